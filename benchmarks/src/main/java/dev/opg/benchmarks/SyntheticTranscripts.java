package dev.opg.benchmarks;

import dev.opg.core.Digest;
import dev.opg.core.merkle.Rfc9162;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.DType;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Sketch;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Long transcripts without running a model: a chain of steps, each with one input and one output
 * digest (FULL) or one 16-value sketch of a 1 x 64 output (SKETCH), named like the block paths
 * the DJL recorder writes. Two transcripts built with the same arguments but different
 * {@code divergeAt} agree on every step before it and differ on every step from it on, as two
 * executions that part at one step do.
 */
final class SyntheticTranscripts {
    static final DeterminismProfile PROFILE = new DeterminismProfile("PyTorch", "2.7.1", "0.36.0", "libtorch 2.7.1 cpu",
            "Linux", "amd64", "avx2", 1, 1, false, false, 42, DType.FLOAT32);

    private SyntheticTranscripts() {}

    /** {@code steps} steps; from step {@code divergeAt} on (none if it is {@code >= steps}) the outputs are another run's. */
    static Transcript chain(CommitmentMode mode, int steps, int divergeAt) {
        Digest model = digest("model");
        Digest input = digest("input");
        List<Step> list = new ArrayList<>(steps);
        Digest current = input;
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < steps; i++) {
            String run = i >= divergeAt ? "other" : "honest";
            String name = String.format("%03dSequentialBlock/%02dLinear", i / 10, i % 10);
            if (mode == CommitmentMode.FULL) {
                Digest out = digest(run + " step " + i);
                list.add(Step.full(i, name, List.of(current), List.of(out)));
                current = out;
            } else {
                float[] v = new float[16];
                for (int j = 0; j < v.length; j++) {
                    v[j] = (float) rnd.nextGaussian() + (i >= divergeAt ? 1f : 0f);
                }
                list.add(Step.sketched(i, name, List.of(new Sketch(DType.FLOAT32, new long[] {1, 64}, v))));
            }
        }
        int k = mode == CommitmentMode.SKETCH ? 16 : 0;
        TranscriptHeader h = TranscriptHeader.of(mode, k, model, PROFILE.digest(), List.of(input), List.of(current));
        return new Transcript(h, list, PROFILE);
    }

    private static Digest digest(String s) {
        return Rfc9162.leafHash(s.getBytes(StandardCharsets.UTF_8));
    }
}
