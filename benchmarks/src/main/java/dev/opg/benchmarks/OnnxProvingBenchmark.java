package dev.opg.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OrtSession;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.core.onnx.OnnxRunner;
import dev.opg.core.transcript.Granularity;
import ai.djl.training.ParameterStore;
import dev.opg.core.testmodels.TestModels;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Proving overhead on a real third-party ONNX model, Silero VAD v5 (npm {@code @ricky0123/vad-web}),
 * under {@code OnnxProfiles.apply(1, 1, 0)}: the plain DJL {@code OrtSymbolBlock} forward pass
 * (a session with the profile's settings) against opg's recording ({@code OnnxRunner}) in FULL
 * mode at block granularity (the default: one session exposing only block boundaries) and at node
 * granularity (every node output exposed and hashed), and in SKETCH mode at block granularity;
 * {@link #exposeAll} is the node granularity's session run with nothing hashed. At
 * batch 1 and 32 (one 512-sample 16 kHz window per batch row, with the model's recurrent state).
 * Memory management as in {@link ProvingBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class OnnxProvingBenchmark {
    @Param({"1", "32"})
    public int batch;

    private Model model;
    private VerifiableModel full;
    private VerifiableModel fullNode;
    private VerifiableModel sketch;
    private OnnxRunner exposer;
    private NDManager inputs;
    private NDList input;
    private RuntimeException unsupported;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        DeterminismProfile profile = OnnxProfiles.apply(1, 1, 0);
        // The baseline session runs under exactly the settings opg's own sessions use (threads,
        // sequential execution, no graph optimization, deterministic compute), so the ratio is
        // the cost of recording, not of the profile.
        model = Model.newInstance("silero_vad_v5", OnnxProfiles.ENGINE);
        Path file = TestModels.sileroVadV5();
        try (OrtSession.SessionOptions options = OnnxProfiles.sessionOptions(profile)) {
            model.load(file.getParent(), "silero_vad_v5", Map.of("sessionOptions", options));
        }
        inputs = model.getNDManager().newSubManager();
        SplittableRandom rnd = new SplittableRandom(7);
        float[] audio = new float[batch * 512];
        for (int i = 0; i < audio.length; i++) {
            audio[i] = (float) (rnd.nextGaussian() * 0.1);
        }
        NDArray x = inputs.create(audio, new Shape(batch, 512));
        x.setName("input");
        NDArray state = inputs.zeros(new Shape(2, batch, 128));
        state.setName("state");
        NDArray sr = inputs.create(16000L);
        sr.setName("sr");
        input = new NDList(x, state, sr);
        plain(); // fail here, not in the measurement, if the plain path cannot run
        try {
            full = VerifiableModel.wrap(model, profile, RecordingOptions.full());
            fullNode = VerifiableModel.wrap(model, profile, RecordingOptions.full().at(Granularity.NODE));
            sketch = VerifiableModel.wrap(model, profile, RecordingOptions.sketch());
            exposer = OnnxRunner.open(file, profile);
            try (NDManager call = inputs.newSubManager()) {
                input.tempAttach(call);
                for (VerifiableModel vm : new VerifiableModel[] {full, fullNode}) {
                    String g = vm.runner().granularity().specName();
                    Facts.put("silero." + g + "Bytes.batch" + batch, HashedBytes.of(vm.runner(), new ParameterStore(call, false), input));
                    Facts.put("silero." + g + "Steps", vm.predict(input).transcript().steps().size());
                }
            }
            Facts.put("cores.hashing", HashedBytes.hashingCores(profile));
        } catch (RuntimeException e) {
            // The plain baseline still runs; the opg benchmarks fail with this cause.
            unsupported = e;
        }
    }

    private VerifiableModel require(VerifiableModel m) {
        if (m == null) {
            throw new IllegalStateException("opg cannot wrap Silero VAD in this build: " + unsupported.getMessage(), unsupported);
        }
        return m;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (full != null) {
            full.close();
            fullNode.close();
            exposer.close();
        }
        if (sketch != null) {
            sketch.close();
        }
        inputs.close();
        model.close();
    }

    @Benchmark
    public float[] plain() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return BenchModels.plainPredict(model, input).head().toFloatArray();
        }
    }

    @Benchmark
    public float[] opgFull() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return require(full).predict(input).output().head().toFloatArray();
        }
    }

    @Benchmark
    public float[] opgFullNode() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return require(fullNode).predict(input).output().head().toFloatArray();
        }
    }

    /** Every node output exposed (the session node granularity runs) and nothing hashed: the engine's share of the node bound. */
    @Benchmark
    public float[] exposeAll() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            require(full);
            return exposer.run(new ParameterStore(call, false), input, (name, in, outs) -> { }).head().toFloatArray();
        }
    }

    @Benchmark
    public float[] opgSketch() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return require(sketch).predict(input).output().head().toFloatArray();
        }
    }
}
