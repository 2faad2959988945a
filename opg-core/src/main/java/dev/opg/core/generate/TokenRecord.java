package dev.opg.core.generate;

import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.LeafWriter;
import dev.opg.core.transcript.TranscriptLimits;
import java.util.List;

/**
 * The last leaf of a token's segment (spec section 3.16): which token was chosen at which position,
 * how many step leaves precede it in the segment, the forward pass's bound inputs and outputs
 * (caches by their KV digest) and the logit sketch of the row the token was drawn from.
 *
 * <pre>
 * "OPG-TOKEN" u8 1 u32 index u32 position u32 stepCount u32 nIn (string name digest)*nIn
 * u32 nOut (string name digest)*nOut u32 token u32 k (u16 value)*k
 * </pre>
 *
 * @param index 0 for the first generated token (the prefill), 1, 2, ...
 * @param position the token's absolute position in the sequence: prompt length + index
 * @param stepCount the step leaves of this segment
 * @param inputs the forward pass's model inputs, in the order fed
 * @param outputs its model outputs, in the model's order
 * @param token the chosen token id
 * @param sketch the logit sketch, float16 bits
 */
public record TokenRecord(int index, long position, int stepCount, List<NamedDigest> inputs, List<NamedDigest> outputs, int token,
        short[] sketch) {
    public static final String TAG = "OPG-TOKEN";
    public static final int VERSION = 1;

    public TokenRecord {
        if (inputs == null || outputs == null || sketch == null) {
            throw new MalformedInputException("token record " + index + " needs inputs, outputs and a sketch");
        }
        if (index < 0 || position < 0 || position > 0xffffffffL || stepCount < 0 || token < 0) {
            throw new MalformedInputException("token record " + index + " has a negative or oversized field (position " + position
                    + ", steps " + stepCount + ", token " + token + ")");
        }
        if (inputs.size() > TranscriptLimits.MAX_TENSORS || outputs.size() > TranscriptLimits.MAX_TENSORS) {
            throw new LimitExceededException("token record " + index + " binds " + inputs.size() + " inputs and " + outputs.size()
                    + " outputs; the cap is " + TranscriptLimits.MAX_TENSORS);
        }
        if (sketch.length > LogitSketch.MAX_DIMENSION) {
            throw new LimitExceededException("token record " + index + " has a sketch of " + sketch.length + " values; the cap is "
                    + LogitSketch.MAX_DIMENSION);
        }
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        sketch = sketch.clone();
    }

    @Override
    public short[] sketch() {
        return sketch.clone();
    }

    public byte[] leafData() {
        LeafWriter w = new LeafWriter(TAG, VERSION);
        w.u32(index).u32(position).u32(stepCount);
        named(w, inputs);
        named(w, outputs);
        w.u32(token).u32(sketch.length);
        for (short s : sketch) {
            w.u8(s & 0xff).u8((s >> 8) & 0xff);
        }
        return w.toByteArray();
    }

    private static void named(LeafWriter w, List<NamedDigest> l) {
        w.u32(l.size());
        for (NamedDigest n : l) {
            Names.string(w, n.name(), "value name");
            w.digest(n.digest());
        }
    }

    /** The digest bound to {@code name} among the outputs, or null. */
    public dev.opg.core.Digest output(String name) {
        return outputs.stream().filter(n -> n.name().equals(name)).map(NamedDigest::digest).findFirst().orElse(null);
    }

    /** The digest bound to {@code name} among the inputs, or null. */
    public dev.opg.core.Digest input(String name) {
        return inputs.stream().filter(n -> n.name().equals(name)).map(NamedDigest::digest).findFirst().orElse(null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenRecord r && java.util.Arrays.equals(leafData(), r.leafData());
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(leafData());
    }
}
