package dev.opg.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Granularity;
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
 * Proving overhead: the plain DJL forward pass ({@link #plain}) against opg's recorded predict in
 * FULL mode (every step's input and output tensors hashed) at the default block granularity
 * ({@link #opgFull}: a block per child of the top-level sequence) and at node granularity
 * ({@link #opgFullNode}: a step per leaf block), and in SKETCH mode at block granularity (a
 * 16-value random projection of every step output), on the seeded MLP and CNN at batch 1 and 32.
 * The MLP's top-level children are its leaves, so its blocks are its nodes; the CNN's nested
 * sequence (conv, ReLU) is one block. Facts: the bytes each granularity hashes per prediction.
 *
 * <p>All three run under the same determinism profile (1 intra-op and 1 inter-op thread, applied
 * before the engine loads), on the same input, with the same per-call memory management: the input
 * is lent to a per-call manager whose closing frees the output and every intermediate array, and
 * each call copies the output back to Java, as a predictor's translator would.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ProvingBenchmark {
    @Param({"mlp", "cnn"})
    public String model;

    @Param({"1", "32"})
    public int batch;

    private DeterminismProfile profile;
    private Model djlModel;
    private VerifiableModel full;
    private VerifiableModel fullNode;
    private VerifiableModel sketch;
    private NDManager inputs;
    private NDList input;

    @Setup(Level.Trial)
    public void setUp() {
        profile = TestModels.pytorchProfile(); // before anything touches the engine
        djlModel = BenchModels.load(model);
        full = VerifiableModel.wrap(djlModel, profile, RecordingOptions.full());
        fullNode = VerifiableModel.wrap(djlModel, profile, RecordingOptions.full().at(Granularity.NODE));
        sketch = VerifiableModel.wrap(djlModel, profile, RecordingOptions.sketch());
        inputs = djlModel.getNDManager().newSubManager();
        input = TestModels.input(inputs, BenchModels.inputShape(model, batch), 7);
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            for (VerifiableModel vm : new VerifiableModel[] {full, fullNode}) {
                String g = vm.runner().granularity().specName();
                Facts.put(model + "." + g + "Bytes.batch" + batch, HashedBytes.of(vm.runner(), new ParameterStore(call, false), input));
                Facts.put(model + "." + g + "Steps", vm.predict(input).transcript().steps().size());
            }
        }
        Facts.put("cores.hashing", HashedBytes.hashingCores(profile));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        full.close();
        fullNode.close();
        sketch.close();
        inputs.close();
        djlModel.close();
    }

    @Benchmark
    public float[] plain() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return BenchModels.plainPredict(djlModel, input).head().toFloatArray();
        }
    }

    @Benchmark
    public float[] opgFull() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return full.predict(input).output().head().toFloatArray();
        }
    }

    @Benchmark
    public float[] opgFullNode() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return fullNode.predict(input).output().head().toFloatArray();
        }
    }

    @Benchmark
    public float[] opgSketch() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return sketch.predict(input).output().head().toFloatArray();
        }
    }
}
