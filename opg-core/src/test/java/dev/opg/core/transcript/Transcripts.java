package dev.opg.core.transcript;

import dev.opg.core.Digest;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.DType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/** Small hand-made transcripts for codec and encoding tests. */
public final class Transcripts {
    private Transcripts() {}

    public static DeterminismProfile profile() {
        return new DeterminismProfile("PyTorch", "2.7.1", "0.36.0", "pytorch-native-cpu 2.7.1 linux-x86_64",
                "Linux", "amd64", "avx2", 1, 1, false, false, 42, DType.FLOAT32);
    }

    public static Digest d(String label) {
        try {
            return Digest.of(MessageDigest.getInstance("SHA-256").digest(label.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static Transcript full(int steps) {
        DeterminismProfile p = profile();
        List<Step> list = new ArrayList<>();
        Digest prev = d("input");
        for (int i = 0; i < steps; i++) {
            Digest out = d("out" + i);
            list.add(Step.full(i, "01SequentialBlock/0" + i + "Linear", List.of(prev), List.of(out)));
            prev = out;
        }
        TranscriptHeader h = TranscriptHeader.of(CommitmentMode.FULL, 0, d("model"), p.digest(), List.of(d("input")), List.of(prev));
        return new Transcript(h, list, p);
    }

    public static Transcript sketched(int steps, int k) {
        DeterminismProfile p = profile();
        List<Step> list = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            float[] v = new float[k];
            for (int j = 0; j < k; j++) {
                v[j] = (i + 1) * 0.25f - j;
            }
            v[0] = -0.0f;
            list.add(Step.sketched(i, "node_" + i + " é", List.of(new Sketch(DType.FLOAT32, new long[] {1, 8}, v))));
        }
        TranscriptHeader h = TranscriptHeader.of(CommitmentMode.SKETCH, k, d("model"), p.digest(), List.of(d("in")), List.of(d("out")));
        return new Transcript(h, list, p);
    }
}
