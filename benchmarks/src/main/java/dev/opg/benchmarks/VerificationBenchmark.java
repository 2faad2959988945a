package dev.opg.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Transcript;
import dev.opg.verify.DjlStepExecutor;
import dev.opg.verify.SpotChecker;
import dev.opg.verify.StepExecutor;
import dev.opg.verify.TensorSource;
import dev.opg.verify.Tolerance;
import dev.opg.verify.VerificationReport;
import dev.opg.verify.Verifier;
import dev.opg.core.merkle.Rfc9162;
import dev.opg.core.transcript.Step;
import dev.opg.core.witness.WitnessTensor;
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
 * Verification costs of a FULL-mode transcript with its witness, recorded once in the setup:
 * {@link #reexecute} is {@code Verifier.verify} (digest the input, re-run the model recording
 * FULL, compare leaf by leaf), to be set against {@code ProvingBenchmark.plain} of the same model
 * and batch; {@link #spotCheckOneStep} checks one step from the witness with {@code SpotChecker}
 * (inclusion proof, witness tensors hashed against the step's input digests, the step re-run
 * alone and its output digested), cycling through all L steps so the score is the mean over
 * steps. Both must answer VALID, or the benchmark fails. The setup records L as a fact.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class VerificationBenchmark {
    @Param({"mlp", "cnn"})
    public String model;

    @Param({"1", "32"})
    public int batch;

    private Model djlModel;
    private NDManager inputs;
    private NDList input;
    private Transcript transcript;
    private Digest root;
    private TensorSource witness;
    private Verifier verifier;
    private VerifiableModel stepModel;
    private StepExecutor stepExecutor;
    private SpotChecker spotChecker;
    private dev.opg.core.transcript.Dataflow flow;
    private int steps;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        DeterminismProfile profile = TestModels.pytorchProfile(); // before anything touches the engine
        djlModel = BenchModels.load(model);
        inputs = djlModel.getNDManager().newSubManager();
        input = TestModels.input(inputs, BenchModels.inputShape(model, batch), 7);
        try (VerifiableModel prover = VerifiableModel.wrap(djlModel, profile, RecordingOptions.full().withWitness());
                NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            Prediction<NDList> p = prover.predict(input);
            transcript = p.transcript();
            witness = TensorSource.of(p.witness().orElseThrow());
        }
        root = transcript.root();
        steps = transcript.steps().size();
        Facts.put("steps." + model, steps);
        verifier = new Verifier(djlModel, profile);
        stepModel = VerifiableModel.wrap(djlModel, profile, RecordingOptions.full());
        stepExecutor = pinned(new DjlStepExecutor(stepModel), profile.intraOpThreads());
        spotChecker = new SpotChecker(stepExecutor, 1);
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            flow = stepModel.dataflow(input);
        }
        for (int i = 0; i < steps; i++) {
            spotCheckOneStep();
            spotCheckOneStepCallerThread();
        }
        reexecute();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        spotChecker.close();
        stepModel.close();
        verifier.close();
        inputs.close();
        djlModel.close();
    }

    @Benchmark
    public VerificationReport reexecute() {
        try (NDManager call = inputs.newSubManager()) {
            input.tempAttach(call);
            return valid(verifier.verify(transcript, input));
        }
    }

    @Benchmark
    public VerificationReport spotCheckOneStep() {
        int step = next;
        next = (next + 1) % steps;
        return valid(spotChecker.check(transcript, root, flow, witness, List.of(step), Tolerance.bitwise()));
    }

    /**
     * The same work as {@link #spotCheckOneStep} for one step (inclusion proof, witness inputs
     * fetched and hashed, the step re-run, its outputs digested and compared) done on the calling
     * thread, without SpotChecker's hand-off to its pool: what a one-step check would cost if
     * {@code SpotChecker.check} ran a single step inline. A reference for the proposed fix, not
     * a replacement for the checker.
     */
    @Benchmark
    public boolean spotCheckOneStepCallerThread() {
        int i = next;
        next = (next + 1) % steps;
        Step s = transcript.steps().get(i);
        if (!transcript.inclusionProof(i).verify(Rfc9162.leafHash(s.leafData()), root)) {
            throw new IllegalStateException("inclusion proof of step " + i + " failed");
        }
        List<WitnessTensor> in = new ArrayList<>(s.inputs().size());
        for (Digest d : s.inputs()) {
            TensorSource.Fetched f = TensorSource.fetch(witness, d);
            if (f.corrupt()) {
                throw new IllegalStateException("witness input of step " + i + ": " + f.problem());
            }
            in.add(f.tensor());
        }
        List<Digest> out = stepExecutor.run(i, s.name(), in).stream().map(WitnessTensor::digest).toList();
        if (!out.equals(s.outputs())) {
            throw new IllegalStateException("step " + i + " re-ran to other outputs");
        }
        return true;
    }

    /**
     * Works around a determinism bug until opg-core fixes it: libtorch's intra-op thread count is
     * per thread (OpenMP), and {@code PyTorchProfiles.pinCurrentThread} does not set it, so a step
     * re-run on SpotChecker's pool thread runs with the machine's default thread count; a batch-32
     * Linear (sgemm) then gives other bits than the recording thread and an honest step fails.
     * Setting the count on the calling thread, as the fix in pinCurrentThread would, costs one
     * JNI call per step.
     */
    private static StepExecutor pinned(StepExecutor delegate, int intraOpThreads) {
        return (index, name, in) -> {
            JniUtils.setNumThreads(intraOpThreads);
            return delegate.run(index, name, in);
        };
    }

    private static VerificationReport valid(VerificationReport r) {
        if (!r.isValid()) {
            throw new IllegalStateException("an honest transcript did not verify: " + r.summary());
        }
        return r;
    }
}
