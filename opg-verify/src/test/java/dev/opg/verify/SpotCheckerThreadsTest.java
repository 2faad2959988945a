package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Where {@link SpotChecker} runs steps, and that a step gives the recorded bits wherever it runs.
 * libtorch's intra-op thread count is per thread: a pool thread that is not pinned runs with the
 * machine's default, and the MLP's first Linear at batch 32 (sgemm) then gives other bits than
 * the recording thread, so an honest transcript would be reported INVALID.
 */
class SpotCheckerThreadsTest {
    private static final Shape BATCH_32 = new Shape(32, 784);
    private static DeterminismProfile profile;
    private static NDManager manager;
    private static Model mlp;
    private static VerifiableModel vm;
    private static Transcript full;
    private static Witness witness;
    private static dev.opg.core.transcript.Dataflow flow;

    @BeforeAll
    static void record() {
        profile = TestModels.pytorchProfile();
        manager = NDManager.newBaseManager("PyTorch");
        mlp = TestModels.mlp(1);
        vm = VerifiableModel.wrap(mlp, profile);
        try (VerifiableModel rec = VerifiableModel.wrap(mlp, profile, RecordingOptions.full().withWitness());
                NDManager m = manager.newSubManager()) {
            NDList x = TestModels.input(m, BATCH_32, 7);
            flow = vm.dataflow(x);
            Prediction<NDList> p = rec.predict(x);
            full = p.transcript();
            witness = p.witness().orElseThrow();
        }
    }

    @AfterAll
    static void close() {
        vm.close();
        mlp.close();
        manager.close();
    }

    /**
     * Records which thread ran each step, and the intra-op thread count each thread had before it
     * was pinned; on the calling thread, {@link #pinCurrentThread} waits until the pool has run
     * every step, so that all of them run on a pool thread.
     */
    private static final class Watching implements StepExecutor {
        final StepExecutor delegate;
        final Thread caller;
        final CountDownLatch poolRan;
        final Map<Long, String> ranOn = new ConcurrentHashMap<>();
        final Map<String, Integer> threadsBeforePin = new ConcurrentHashMap<>();

        Watching(StepExecutor delegate, Thread caller, int poolSteps) {
            this.delegate = delegate;
            this.caller = caller;
            this.poolRan = new CountDownLatch(poolSteps);
        }

        @Override
        public List<WitnessTensor> run(long stepIndex, String name, List<WitnessTensor> inputs) {
            ranOn.put(stepIndex, Thread.currentThread().getName());
            return delegate.run(stepIndex, name, inputs);
        }

        @Override
        public List<Digest> runDigests(long stepIndex, String name, List<WitnessTensor> inputs) {
            ranOn.put(stepIndex, Thread.currentThread().getName());
            try {
                return delegate.runDigests(stepIndex, name, inputs);
            } finally {
                if (Thread.currentThread() != caller) {
                    poolRan.countDown();
                }
            }
        }

        @Override
        public void pinCurrentThread() {
            threadsBeforePin.put(Thread.currentThread().getName(), JniUtils.getNumThreads());
            if (Thread.currentThread() == caller) {
                try {
                    assertTrue(poolRan.await(60, TimeUnit.SECONDS), "the pool did not run the steps");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
            delegate.pinCurrentThread();
        }
    }

    @Test
    void aBatch32MlpStepCheckedOnAPoolThreadAgreesWithTheRecording() {
        int steps = full.steps().size();
        Watching exec = new Watching(new DjlStepExecutor(vm), Thread.currentThread(), steps);
        try (SpotChecker c = new SpotChecker(exec, 2)) {
            VerificationReport r = c.check(full, full.root(), flow, TensorSource.of(witness), IntStream.range(0, steps).boxed().toList(),
                    Tolerance.bitwise());
            for (long i = 0; i < steps; i++) {
                assertEquals("opg-spot-check", exec.ranOn.get(i), "step " + i + " ran on " + exec.ranOn.get(i));
            }
            assertEquals(Verdict.VALID, r.verdict(), "a batch-32 MLP step re-run on a pool thread that started with "
                    + exec.threadsBeforePin.get("opg-spot-check") + " intra-op threads (the profile: " + profile.intraOpThreads()
                    + ") gave other bits: " + r.summary());
        }
    }

    @Test
    void oneStepRunsOnTheCallingThread() {
        Watching exec = new Watching(new DjlStepExecutor(vm), Thread.currentThread(), 0);
        try (SpotChecker c = new SpotChecker(exec, 4)) {
            for (int i = 0; i < full.steps().size(); i++) {
                assertEquals(Verdict.VALID, c.check(full, full.root(), flow, TensorSource.of(witness), List.of(i), Tolerance.bitwise()).verdict());
                assertEquals(Thread.currentThread().getName(), exec.ranOn.get((long) i));
            }
        }
    }

    @Test
    void withParallelismOneEveryStepRunsOnTheCallingThread() {
        int steps = full.steps().size();
        Watching exec = new Watching(new DjlStepExecutor(vm), Thread.currentThread(), 0);
        try (SpotChecker c = new SpotChecker(exec, 1)) {
            assertEquals(Verdict.VALID, c.check(full, full.root(), flow, TensorSource.of(witness), IntStream.range(0, steps).boxed().toList(),
                    Tolerance.bitwise()).verdict());
            for (long i = 0; i < steps; i++) {
                assertEquals(Thread.currentThread().getName(), exec.ranOn.get(i));
            }
        }
    }

    @Test
    void digestsInPlaceEqualTheDigestsOfTheCopiedOutputs() {
        DjlStepExecutor exec = new DjlStepExecutor(vm);
        for (int i = 0; i < full.steps().size(); i++) {
            var s = full.steps().get(i);
            List<WitnessTensor> in = s.inputs().stream().map(witness::tensor).toList();
            List<Digest> copied = exec.run(i, s.name(), in).stream().map(WitnessTensor::digest).toList();
            assertEquals(copied, exec.runDigests(i, s.name(), in), "step " + i);
            assertEquals(s.outputs(), copied, "step " + i);
        }
    }
}
