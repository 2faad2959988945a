package dev.opg.core.transcript;

import dev.opg.core.MalformedInputException;

/**
 * How finely a transcript commits to an execution, recorded in the header (version 3, spec
 * section 3.2) so that a verifier re-executes at the same granularity.
 *
 * <ul>
 *   <li>{@link #NODE}: one step per graph node (ONNX) or per leaf block (DJL), as before version 3.
 *       Every intermediate value is hashed: a dispute ends at one operator at once, at the cost of
 *       hashing every activation.</li>
 *   <li>{@link #BLOCK}: one step per block, a contiguous run of node steps whose inputs and outputs
 *       (the values that cross the block's boundary) are committed. Values inside a block are not
 *       exposed, so the engine keeps its memory planning. A dispute first finds the block, then
 *       descends into it at node granularity (spec section 3.14).</li>
 *   <li>{@link #OUTPUT}: one block holding the whole model: only the model's inputs and outputs.</li>
 * </ul>
 */
public enum Granularity {
    NODE(0, "node"),
    BLOCK(1, "block"),
    OUTPUT(2, "output");

    private final int code;
    private final String specName;

    Granularity(int code, String specName) {
        this.code = code;
        this.specName = specName;
    }

    /** The one-byte code in the header leaf. */
    public int code() {
        return code;
    }

    /** The name in the JSON form and on the command line. */
    public String specName() {
        return specName;
    }

    /** @throws MalformedInputException for a code the spec does not define */
    public static Granularity fromCode(int code) {
        for (Granularity g : values()) {
            if (g.code == code) {
                return g;
            }
        }
        throw new MalformedInputException("unknown granularity code " + code + "; expected 0 (node), 1 (block) or 2 (output)");
    }

    /** @throws MalformedInputException for a name the spec does not define */
    public static Granularity fromSpecName(String name) {
        for (Granularity g : values()) {
            if (g.specName.equals(name)) {
                return g;
            }
        }
        throw new MalformedInputException("unknown granularity '" + name + "'; expected node, block or output");
    }
}
