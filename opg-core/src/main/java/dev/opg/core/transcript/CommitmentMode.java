package dev.opg.core.transcript;

import dev.opg.core.MalformedInputException;

/**
 * How a transcript commits to each step's tensors. The code is written into the header leaf and
 * the name into the JSON form; both are fixed by the spec.
 */
public enum CommitmentMode {
    /** Every byte of every step input and output is hashed (tensor digests). Bit-exact verification only. */
    FULL(0, "full"),
    /**
     * Each step output is committed through a small seeded random projection (a {@link Sketch})
     * computed by the engine; a verifier on other hardware compares the projections with a tolerance.
     */
    SKETCH(1, "sketch");

    private final int code;
    private final String specName;

    CommitmentMode(int code, String specName) {
        this.code = code;
        this.specName = specName;
    }

    /** The one-byte code in the header leaf. */
    public int code() {
        return code;
    }

    /** The name in the JSON form ({@code full} or {@code sketch}). */
    public String specName() {
        return specName;
    }

    /** @throws MalformedInputException for a code the spec does not define */
    public static CommitmentMode fromCode(int code) {
        for (CommitmentMode m : values()) {
            if (m.code == code) {
                return m;
            }
        }
        throw new MalformedInputException("unknown commitment mode code " + code + "; expected 0 (full) or 1 (sketch)");
    }

    /** @throws MalformedInputException for a name the spec does not define */
    public static CommitmentMode fromSpecName(String name) {
        for (CommitmentMode m : values()) {
            if (m.specName.equals(name)) {
                return m;
            }
        }
        throw new MalformedInputException("unknown commitment mode '" + name + "'; expected 'full' or 'sketch'");
    }
}
