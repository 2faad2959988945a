package dev.opg.examples;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.opg.chain.BatchRoots;
import dev.opg.core.io.Inputs;
import dev.opg.core.io.Npz;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.verify.VerificationReport;
import dev.opg.verify.Verifier;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Silero VAD (the v5 ONNX model shipped by npm {@code @ricky0123/vad-web}; no one here wrote it)
 * over a few seconds of generated 16 kHz audio: quiet noise, a voiced stretch (a 140 Hz
 * harmonic series with a syllable-rate envelope), noise again. Every 512-sample frame is one
 * prediction with a per-node transcript ({@link Granularity#NODE}, one step per ONNX node); the
 * model's recurrent state output of frame {@code i} is the state input of frame {@code i + 1}, so
 * each transcript's input digests commit to the previous frame's output. The frames' roots are
 * then combined into one batch root, ready to anchor.
 */
public final class SileroVadExample {
    /** Samples per frame the v5 model takes at 16 kHz. */
    public static final int FRAME = 512;
    /** Sample rate. */
    public static final int RATE = 16000;

    /** What a run established. */
    public record Result(int frames, int stepsPerFrame, List<Float> speechProbabilities, int verified, int valid,
            boolean stateChained, Digest batchRoot) {}

    private SileroVadExample() {}

    public static void main(String[] args) throws Exception {
        try (WorkDir work = WorkDir.of(args, "opg-vad-")) {
            Path out = work.path();
            Result r = run(MnistDigits.repoRoot(), out, 3.0, 4, System.out);
            if (r.valid() != r.verified() || !r.stateChained()) {
                // A failed example must fail its command (exec:java turns this into a non-zero exit).
                throw new dev.opg.core.OpgException(r.valid() + " of " + r.verified() + " verified frames VALID"
                        + (r.stateChained() ? "" : "; the recurrent state was not chained from frame to frame"));
            }
        }
    }

    /** Generated audio: noise, {@code seconds / 3} of voiced signal in the middle, noise. */
    public static float[] audio(double seconds, long seed) {
        int n = (int) (seconds * RATE);
        float[] a = new float[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            double t = (double) i / RATE;
            double noise = (r.nextDouble() - 0.5) * 0.01;
            double voiced = 0;
            if (i > n / 3 && i < 2 * n / 3) {
                double envelope = 0.5 * (1 - Math.cos(2 * Math.PI * 4 * t)); // ~4 syllables a second
                for (int h = 1; h <= 12; h++) {
                    voiced += Math.sin(2 * Math.PI * 140 * h * t + h) / h;
                }
                voiced *= 0.25 * envelope;
            }
            a[i] = (float) (noise + voiced);
        }
        return a;
    }

    /**
     * Runs the example.
     *
     * @param verifyEvery verify every k-th frame by re-execution (all frames are proven)
     */
    public static Result run(Path repoRoot, Path outDir, double seconds, int verifyEvery, PrintStream log) throws Exception {
        Path onnx = repoRoot.resolve("node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx");
        if (!Files.isRegularFile(onnx)) {
            throw new IllegalStateException("Silero VAD missing at " + onnx + "; run `npm ci` in the repository root");
        }
        DeterminismProfile profile = OnnxProfiles.apply(1, 1, 0);
        float[] audio = audio(seconds, 7);
        int frames = audio.length / FRAME;
        Files.createDirectories(outDir);
        log.printf("Silero VAD v5 (npm @ricky0123/vad-web) on %.1f s of generated audio: %d frames of %d samples%n",
                seconds, frames, FRAME);
        List<Transcript> transcripts = new ArrayList<>();
        List<Float> probs = new ArrayList<>();
        int verified = 0;
        int valid = 0;
        boolean chained = true;
        try (Model model = load(onnx);
                // node granularity, said explicitly: every ONNX node's outputs committed (the default is block granularity)
                VerifiableModel vm = VerifiableModel.wrap(model, profile, RecordingOptions.full().at(Granularity.NODE));
                Verifier verifier = new Verifier(model, profile);
                NDManager m = model.getNDManager().newSubManager()) {
            NDArray state = m.zeros(new Shape(2, 1, 128));
            Digest previousStateOut = null;
            for (int f = 0; f < frames; f++) {
                try (NDManager frame = m.newSubManager()) {
                    float[] chunk = new float[FRAME];
                    System.arraycopy(audio, f * FRAME, chunk, 0, FRAME);
                    NDArray in = frame.create(chunk, new Shape(1, FRAME));
                    in.setName("input");
                    NDArray st = state.duplicate();
                    st.attach(frame);
                    st.setName("state");
                    NDArray sr = frame.create((long) RATE);
                    sr.setName("sr");
                    NDList x = new NDList(in, st, sr);
                    Prediction<NDList> p = vm.predict(x);
                    Transcript t = p.transcript();
                    transcripts.add(t);
                    // The state this frame consumed is the state the previous frame produced.
                    if (previousStateOut != null) {
                        chained &= t.header().inputs().get(1).equals(previousStateOut);
                    }
                    previousStateOut = t.header().outputs().get(1);
                    float prob = p.output().get(0).toFloatArray()[0];
                    probs.add(prob);
                    if (f % verifyEvery == 0) {
                        VerificationReport r = verifier.verify(t, x);
                        verified++;
                        valid += r.isValid() ? 1 : 0;
                        String name = String.format(Locale.ROOT, "frame-%03d", f);
                        TranscriptCodec.write(t, outDir.resolve(name + ".json"));
                        Npz.write(Inputs.fromNDList(x), outDir.resolve(name + ".npz"));
                    }
                    NDArray next = p.output().get(1).duplicate();
                    next.attach(m);
                    state.close();
                    state = next;
                    if (f % 6 == 0) {
                        log.printf("  %5.2f s  p(speech) %.3f %-20s root %s  %d steps%n", (double) f * FRAME / RATE, prob,
                                "#".repeat(Math.round(prob * 20)), t.root().hex().substring(0, 16) + "...", t.steps().size());
                    }
                }
            }
        }
        Digest batch = BatchRoots.batchRoot(transcripts.stream().map(Transcript::root).toList());
        int stepsPerFrame = transcripts.get(0).steps().size();
        log.printf("%d frames proven, %d ONNX nodes each; state chained frame to frame: %s%n", frames, stepsPerFrame, chained);
        log.printf("verified by re-execution: %d of %d sampled frames VALID%n", valid, verified);
        log.printf("batch root over all %d frame roots (what `opg anchor` would put on chain): %s%n", frames, batch.hex());
        log.println("the CLI checks the saved frames (opg-examples/run.sh vad DIR keeps them in DIR), e.g.:");
        log.printf("  bin/opg verify %s --model %s --input %s%n", outDir.resolve("frame-000.json"), onnx, outDir.resolve("frame-000.npz"));
        return new Result(frames, stepsPerFrame, probs, verified, valid, chained, batch);
    }

    private static Model load(Path onnx) throws IOException, ai.djl.MalformedModelException {
        String name = onnx.getFileName().toString().replaceFirst("\\.onnx$", "");
        Model m = Model.newInstance(name, "OnnxRuntime");
        m.load(onnx.getParent(), name);
        return m;
    }
}
