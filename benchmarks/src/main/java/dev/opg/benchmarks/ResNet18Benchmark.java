package dev.opg.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.PyTorchProfiles;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Granularity;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Proving a ResNet-18-sized CNN built from DJL blocks ({@link ResNet18}, PyTorch engine, batch 1,
 * 224 x 224 x 3) under {@code PyTorchProfiles.apply(1, 1, 42)}, applied before the engine loads:
 * {@link #plain} is the block's own forward pass with the same NDManager scoping as
 * {@link ProvingBenchmark#plain}; {@link #proveBlock} and {@link #proveNode} are
 * {@code VerifiableModel.predict} FULL at block granularity (six blocks: the top-level children)
 * and at node granularity (23 steps); {@code paired*} runs a prover and {@link #plain} alternately
 * in one call, timed apart ({@link Interleaved}). Facts: the bytes each granularity hashes per
 * prediction.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ResNet18Benchmark {
    static final long SEED = 42;

    private DeterminismProfile profile;
    private Model model;
    private VerifiableModel prover;
    private NDManager inputs;
    private NDList input;
    /** Pairs per call of a {@code paired*} benchmark ({@link Interleaved#pairsPerCall}). */
    private int pairsPerCall = 1;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        profile = PyTorchProfiles.apply(1, 1, SEED); // before anything touches the engine
        model = ResNet18.build("PyTorch", SEED);
        inputs = model.getNDManager().newSubManager();
        input = TestModels.input(inputs, ResNet18.INPUT, 7);
        switch (method) {
            case "plain" -> plain();
            case "proveBlock", "pairedBlock" -> prover = prover(Granularity.BLOCK);
            case "proveNode", "pairedNode" -> prover = prover(Granularity.NODE);
            default -> throw new IllegalStateException("no setup for benchmark " + method);
        }
        if (method.startsWith("paired")) {
            pairsPerCall = Interleaved.pairsPerCall(this::plain, this::prove);
        }
    }

    private VerifiableModel prover(Granularity g) {
        VerifiableModel vm = VerifiableModel.wrap(model, profile, RecordingOptions.full().at(g));
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            Facts.put("resnet18." + g.specName() + "Bytes", HashedBytes.of(vm.runner(), new ParameterStore(call, false), input));
            Prediction<NDList> p = vm.predict(input);
            Facts.put("resnet18." + g.specName() + "Steps", p.transcript().steps().size());
        }
        Facts.put("cores.hashing", HashedBytes.hashingCores(profile));
        return vm;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (prover != null) {
            prover.close();
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
    public float[] proveBlock() {
        return prove();
    }

    @Benchmark
    public float[] proveNode() {
        return prove();
    }

    /** {@link #proveBlock} and {@link #plain} alternately in one call, timed apart ({@link Interleaved}). */
    @Benchmark
    public float[] pairedBlock(Interleaved pair) {
        return pair.pairs(pairsPerCall, this::plain, this::prove);
    }

    /** {@link #proveNode} and {@link #plain} alternately in one call, timed apart. */
    @Benchmark
    public float[] pairedNode(Interleaved pair) {
        return pair.pairs(pairsPerCall, this::plain, this::prove);
    }

    private float[] prove() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return prover.predict(input).output().head().toFloatArray();
        }
    }
}
