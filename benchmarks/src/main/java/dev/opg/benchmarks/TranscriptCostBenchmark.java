package dev.opg.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.opg.core.Digest;
import dev.opg.core.djl.ModelRunner;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.StepSink;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.model.ModelCommitment;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Granularity;
import java.util.ArrayList;
import java.util.List;
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
 * The fixed cost of a transcript, apart from hashing activations: a synthetic model of
 * {@code steps} steps, each of which makes one 1-element float32 array (PyTorch engine), run
 * {@linkplain #run plainly} (the runner with a sink that does nothing, scoped as
 * {@code VerifiableModel.predict} scopes it) and {@linkplain #record recorded} FULL at node
 * granularity ({@code VerifiableModel.predict}: two 4-byte digests per step, the step leaf
 * encodings and hashes, the Merkle tree, the header and transcript records). The difference at
 * 1 step is the cost per prediction; the growth of the difference from 1 to 1,000 steps, per step,
 * is the cost per step ({@link ResultsTable}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TranscriptCostBenchmark {
    static final Shape ONE = new Shape(1);

    @Param({"1", "1000"})
    public int steps;

    private Model model;
    private SyntheticRunner runner;
    private VerifiableModel recorder;
    private NDManager inputs;
    private NDList input;

    @Setup(Level.Trial)
    public void setUp() {
        DeterminismProfile profile = TestModels.pytorchProfile(); // before anything touches the engine
        model = Model.newInstance("synthetic", "PyTorch");
        runner = new SyntheticRunner(steps);
        recorder = VerifiableModel.of(model, runner, profile, RecordingOptions.full().at(Granularity.NODE));
        inputs = model.getNDManager().newSubManager();
        input = new NDList(inputs.create(new float[] {0.5f}, ONE));
        if (record().length != 1 || run().length != 1) {
            throw new IllegalStateException("the synthetic model returns one value");
        }
        // Compile both paths before JMH's short warm-up (2 x 1 s in run.sh): at 1 step a call takes
        // microseconds and the JIT needs a few seconds of them to settle.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < until) {
            record();
            run();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        recorder.close();
        inputs.close();
        model.close();
    }

    /** The steps without recording, scoped as {@code VerifiableModel.predict} scopes a prediction. */
    @Benchmark
    public float[] run() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            NDList out;
            try (NDManager scope = call.newSubManager()) {
                input.tempAttach(scope);
                out = runner.run(new ParameterStore(scope, false), input, (name, in, outs) -> { });
                out.attach(call);
            }
            return out.head().toFloatArray();
        }
    }

    @Benchmark
    public float[] record() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return recorder.predict(input).output().head().toFloatArray();
        }
    }

    /** Step i makes a new 1-element array holding i; the model returns the last. */
    static final class SyntheticRunner implements ModelRunner {
        private final List<String> names;
        private final ModelCommitment commitment;

        SyntheticRunner(int steps) {
            List<String> n = new ArrayList<>(steps);
            for (int i = 0; i < steps; i++) {
                n.add("step" + i);
            }
            this.names = List.copyOf(n);
            this.commitment = ModelCommitment.of("synthetic", Digest.of(new byte[Digest.SIZE]), List.of());
        }

        @Override
        public ModelCommitment commitment() {
            return commitment;
        }

        @Override
        public List<String> stepNames() {
            return names;
        }

        @Override
        public dev.opg.core.transcript.Dataflow dataflow(NDList inputs) {
            throw new UnsupportedOperationException("not needed to record");
        }

        @Override
        public NDList run(ParameterStore ps, NDList inputs, StepSink sink) {
            NDManager m = ps.getManager();
            NDList current = inputs;
            for (int i = 0; i < names.size(); i++) {
                NDArray a = m.create(new float[] {i}, ONE);
                NDList out = new NDList(a);
                sink.step(names.get(i), current, out);
                current = out;
            }
            return current;
        }

        @Override
        public NDList runStep(ParameterStore ps, String name, NDList inputs) {
            int i = names.indexOf(name);
            if (i < 0) {
                throw new IllegalArgumentException("no step " + name);
            }
            return new NDList(ps.getManager().create(new float[] {i}, ONE));
        }
    }
}
