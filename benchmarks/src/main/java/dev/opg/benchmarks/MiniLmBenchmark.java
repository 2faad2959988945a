package dev.opg.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OrtSession;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.core.onnx.OnnxRunner;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.MiniLm;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Transcript;
import dev.opg.verify.VerificationReport;
import dev.opg.verify.Verifier;
import java.nio.file.Path;
import java.util.Map;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Proving and verifying a real transformer, all-MiniLM-L6-v2 (ONNX, 637 graph nodes; {@link MiniLm}),
 * at each granularity, sequence length 128, batch 1 and 8, under {@code OnnxProfiles.apply(1, 1, 0)}.
 *
 * <ul>
 *   <li>{@link #plain}: DJL's {@code OrtSymbolBlock} forward in a session opened with opg's settings
 *       ({@code OnnxProfiles.sessionOptions}: 1 intra-op and 1 inter-op thread, sequential, graph
 *       optimization off, deterministic compute): the baseline of every goal.</li>
 *   <li>{@link #plainDefault}: the same forward in a session with DJL's own default options (ONNX
 *       Runtime's default graph optimization, all levels) and the same thread counts: what a user
 *       runs without opg. A reference, no goal.</li>
 *   <li>{@link #proveNode}, {@link #proveBlock}, {@link #proveOutput}: {@code VerifiableModel.predict}
 *       FULL at each granularity.</li>
 *   <li>{@link #exposeAll}: the forward pass with every node output exposed (the session node
 *       granularity runs, {@code OnnxRunner.run}) and a sink that does nothing, so nothing is
 *       hashed: the engine's share of the node bound.</li>
 *   <li>{@link #verifyBlock}: {@code Verifier.verify} of a block transcript recorded in the setup.</li>
 *   <li>{@code paired*}: a goal's subject and {@link #plain} alternately in one call, each timed
 *       apart ({@link Interleaved}), so that both meet the same load on a shared machine.</li>
 * </ul>
 *
 * <p>Each fork builds only what its benchmark needs (a MiniLM session takes seconds to open).
 * Facts: the bytes hashed per prediction at each granularity (the model inputs, every distinct
 * step input and output, the model outputs: what {@code Recording} digests) and the hashing pool's
 * cores, for the node bound in {@link ResultsTable}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MiniLmBenchmark {
    static final int SEQUENCE = 128;
    private static final String NAME = "all-minilm-l6-v2";

    @Param({"1", "8"})
    public int batch;

    private DeterminismProfile profile;
    private Model model;
    private Model defaultModel;
    private VerifiableModel prover;
    private OnnxRunner exposer;
    private Verifier verifier;
    private Transcript blockTranscript;
    private NDManager inputs;
    private NDList input;
    /** Pairs per call of a {@code paired*} benchmark ({@link Interleaved#pairsPerCall}). */
    private int pairsPerCall = 1;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) throws Exception {
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        profile = OnnxProfiles.apply(1, 1, 0);
        Path file = MiniLm.onnxFile();
        model = Model.newInstance(NAME, OnnxProfiles.ENGINE);
        try (OrtSession.SessionOptions options = OnnxProfiles.sessionOptions(profile)) {
            model.load(file.getParent(), NAME, Map.of("sessionOptions", options));
        }
        inputs = model.getNDManager().newSubManager();
        input = MiniLm.input(inputs, batch, SEQUENCE);
        switch (method) {
            case "plain" -> plain();
            case "plainDefault" -> {
                // DJL's defaults (no sessionOptions: ONNX Runtime's own, graph optimization ORT_ENABLE_ALL), same threads
                defaultModel = Model.newInstance(NAME, OnnxProfiles.ENGINE);
                defaultModel.load(file.getParent(), NAME, Map.of("intraOpNumThreads", "1", "interOpNumThreads", "1"));
                plainDefault();
            }
            case "proveNode", "pairedNode" -> prover = prover(Granularity.NODE);
            case "proveBlock", "pairedBlock" -> prover = prover(Granularity.BLOCK);
            case "proveOutput", "pairedOutput" -> prover = prover(Granularity.OUTPUT);
            case "exposeAll" -> {
                exposer = OnnxRunner.open(file, profile);
                exposeAll();
            }
            case "verifyBlock", "pairedVerifyBlock" -> {
                try (VerifiableModel p = VerifiableModel.wrap(model, profile, RecordingOptions.full());
                        NDManager call = inputs.newSubManager()) {
                    input.tempAttach(call);
                    blockTranscript = p.predict(input).transcript();
                }
                verifier = new Verifier(model, profile);
                verifyBlock();
            }
            default -> throw new IllegalStateException("no setup for benchmark " + method);
        }
        if (method.startsWith("paired")) {
            pairsPerCall = Interleaved.pairsPerCall(this::plain, method.equals("pairedVerifyBlock") ? this::verifyBlock : this::prove);
        }
    }

    /** A FULL prover at {@code g}; records the bytes one prediction hashes as a fact, and checks it runs. */
    private VerifiableModel prover(Granularity g) {
        VerifiableModel vm = VerifiableModel.wrap(model, profile, RecordingOptions.full().at(g));
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            Facts.put("minilm." + g.specName() + "Bytes.batch" + batch, HashedBytes.of(vm.runner(), new ParameterStore(call, false), input));
            Prediction<NDList> p = vm.predict(input);
            Facts.put("minilm." + g.specName() + "Steps", p.transcript().steps().size());
        }
        Facts.put("cores.hashing", HashedBytes.hashingCores(profile));
        return vm;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (prover != null) {
            prover.close();
        }
        if (exposer != null) {
            exposer.close();
        }
        if (verifier != null) {
            verifier.close();
        }
        inputs.close();
        model.close();
        if (defaultModel != null) {
            defaultModel.close();
        }
    }

    @Benchmark
    public float[] plain() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return BenchModels.plainPredict(model, input).head().toFloatArray();
        }
    }

    @Benchmark
    public float[] plainDefault() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return BenchModels.plainPredict(defaultModel, input).head().toFloatArray();
        }
    }

    @Benchmark
    public float[] proveNode() {
        return prove();
    }

    @Benchmark
    public float[] proveBlock() {
        return prove();
    }

    @Benchmark
    public float[] proveOutput() {
        return prove();
    }

    private float[] prove() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return prover.predict(input).output().head().toFloatArray();
        }
    }

    /** {@link #proveOutput} and {@link #plain} alternately in one call, timed apart ({@link Interleaved}). */
    @Benchmark
    public float[] pairedOutput(Interleaved pair) {
        return pair.pairs(pairsPerCall, this::plain, this::prove);
    }

    /** {@link #proveBlock} and {@link #plain} alternately in one call, timed apart. */
    @Benchmark
    public float[] pairedBlock(Interleaved pair) {
        return pair.pairs(pairsPerCall, this::plain, this::prove);
    }

    /** {@link #proveNode} and {@link #plain} alternately in one call, timed apart. */
    @Benchmark
    public float[] pairedNode(Interleaved pair) {
        return pair.pairs(pairsPerCall, this::plain, this::prove);
    }

    /** {@link #verifyBlock} and {@link #plain} alternately in one call, timed apart. */
    @Benchmark
    public VerificationReport pairedVerifyBlock(Interleaved pair) {
        return pair.pairs(pairsPerCall, this::plain, this::verifyBlock);
    }

    /** Every node output exposed by ONNX Runtime and wrapped as an array, nothing hashed. */
    @Benchmark
    public float[] exposeAll() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            NDList out = exposer.run(new ParameterStore(call, false), input, (name, in, outs) -> { });
            return out.head().toFloatArray();
        }
    }

    @Benchmark
    public VerificationReport verifyBlock() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            VerificationReport r = verifier.verify(blockTranscript, input);
            if (!r.isValid()) {
                throw new IllegalStateException("an honest block transcript did not verify: " + r.summary());
            }
            return r;
        }
    }
}
