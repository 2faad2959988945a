package dev.opg.core.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.opg.core.Digest;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.PyTorchProfiles;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Transcript;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * libtorch's intra-op thread count is per thread (OpenMP): a thread opg did not start runs with
 * libtorch's default (the core count) unless pinned, and the MLP's first Linear at batch 32 then
 * gives other bits. Recording on this thread and re-running a step, or the whole prediction, on a
 * fresh thread must give identical digests.
 */
class OtherThreadDeterminismTest {
    static final Shape BATCH_32 = new Shape(32, 784);
    static DeterminismProfile profile;
    static Model mlp;
    static VerifiableModel vm;
    static NDManager manager;

    @BeforeAll
    static void load() {
        profile = TestModels.pytorchProfile();
        mlp = TestModels.mlp(1);
        vm = VerifiableModel.wrap(mlp, profile);
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterAll
    static void close() {
        vm.close();
        mlp.close();
        manager.close();
    }

    /** Runs {@code c} on a new thread (not a pool thread that anything pinned before). */
    static <T> T onFreshThread(Callable<T> c) throws Exception {
        FutureTask<T> task = new FutureTask<>(c);
        Thread t = new Thread(task, "fresh");
        t.start();
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    @Test
    void stepReRunOnAFreshThreadGivesTheRecordedDigest() throws Exception {
        Transcript t;
        try (NDManager m = manager.newSubManager()) {
            t = vm.predict(TestModels.input(m, BATCH_32, 7)).transcript();
        }
        String first = vm.runner().stepNames().get(0);
        Digest recorded = t.steps().get(0).outputs().get(0);
        // Nothing may call JniUtils.getNumThreads() on the fresh thread before the step: libtorch's
        // get_num_threads initializes a thread's count from the last global setting, which would hide the bug.
        Digest rerun = onFreshThread(() -> {
            try (NDManager m = manager.newSubManager()) {
                NDList out = vm.runStep(first, TestModels.input(m, BATCH_32, 7));
                return TensorDigest.of(out.head());
            }
        });
        assertEquals(recorded, rerun, "step 0 re-run on a fresh thread gave other bits");
        int pinned = onFreshThread(() -> {
            PyTorchProfiles.pinCurrentThread();
            return JniUtils.getNumThreads();
        });
        assertEquals(profile.intraOpThreads(), pinned);
    }

    @Test
    void wholePredictionOnAFreshThreadGivesTheSameRoot() throws Exception {
        Digest here;
        try (NDManager m = manager.newSubManager()) {
            here = vm.predict(TestModels.input(m, BATCH_32, 7)).transcript().root();
        }
        Digest there = onFreshThread(() -> {
            try (NDManager m = manager.newSubManager()) {
                return vm.predict(TestModels.input(m, BATCH_32, 7)).transcript().root();
            }
        });
        assertEquals(here, there);
    }
}
