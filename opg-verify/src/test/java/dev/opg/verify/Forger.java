package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.WitnessTensor;
import java.util.List;
import java.util.Random;

/**
 * A prover who rewrites transcripts and recomputes everything: every transcript made here is
 * well-formed, its root recomputed (the {@link Transcript} constructor builds the tree), so only
 * the checks that derive what must hold from the model and the input can refuse it.
 */
final class Forger {
    private Forger() {}

    static Transcript withSteps(Transcript t, List<Step> steps) {
        return new Transcript(t.header(), steps, t.profile());
    }

    static Transcript withHeader(Transcript t, List<Digest> inputs, List<Digest> outputs) {
        TranscriptHeader h = t.header();
        return new Transcript(h.withInputs(h.inputNames(), inputs).withOutputs(outputs), t.steps(), t.profile());
    }

    /** A copy of {@code t} with one bit flipped. */
    static WitnessTensor flipped(WitnessTensor t, Random r) {
        byte[] data = t.data();
        int bit = r.nextInt(data.length * 8);
        data[bit / 8] ^= (byte) (1 << (bit % 8));
        return new WitnessTensor(t.dtype(), t.shape(), data);
    }

    /**
     * A copy of {@code t} changed by far more than any tolerance a test uses: one float32 element
     * gets its top exponent bit flipped (a value of magnitude below 2 becomes one above 2^64, or
     * the reverse); other dtypes get one bit flipped (compared exactly under every tolerance).
     */
    static WitnessTensor far(WitnessTensor t, Random r) {
        if (t.dtype() != dev.opg.core.tensor.DType.FLOAT32 || t.data().length < 4) {
            return flipped(t, r);
        }
        byte[] data = t.data();
        int e = r.nextInt(data.length / 4);
        data[4 * e + 3] ^= 0x40; // little-endian: byte 3 holds the sign and the top exponent bits
        return new WitnessTensor(t.dtype(), t.shape(), data);
    }

    /** A digest no tensor has. */
    static Digest randomDigest(Random r) {
        byte[] b = new byte[Digest.SIZE];
        r.nextBytes(b);
        return Digest.of(b);
    }
}
