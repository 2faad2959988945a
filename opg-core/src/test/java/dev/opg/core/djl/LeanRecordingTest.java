package dev.opg.core.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.training.ParameterStore;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.WitnessTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lean recording path (PyTorch arrays read through {@link TorchArrays}, digests kept without
 * futures, no scope of its own in {@link VerifiableModel#predictInInputScope}) commits to exactly
 * the bytes the DJL path does: every digest equals {@link TensorDigest#of(NDArray)}, and a
 * recorded transcript equals one rebuilt step by step from that reference.
 */
class LeanRecordingTest {
    static DeterminismProfile profile;
    static Model mlp;
    static NDManager manager;
    static Hasher hasher;
    static BlockRunner runner;

    @BeforeAll
    static void load() {
        profile = TestModels.pytorchProfile();
        mlp = TestModels.mlp(3);
        manager = NDManager.newBaseManager("PyTorch");
        runner = new BlockRunner(mlp.getBlock());
        hasher = new Hasher(runner, profile, () -> {});
    }

    @AfterAll
    static void close() {
        hasher.close();
        manager.close();
        mlp.close();
    }

    /** An array of {@code dtype} and {@code shape} with seeded bytes (booleans 0 or 1). */
    static NDArray array(NDManager m, DType dtype, long[] shape, long seed) {
        int n = (int) TensorDigest.byteLength(dtype, shape);
        byte[] b = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b[i] = dtype == DType.BOOLEAN ? (byte) r.nextInt(2) : (byte) r.nextInt(256);
        }
        return new WitnessTensor(dtype, shape, b).toNDArray(m);
    }

    static Digest done(Object d) throws Exception {
        return d instanceof Digest x ? x : ((Future<?>) d).get() instanceof Digest y ? y : null;
    }

    @Test
    void leanDigestEqualsTheDjlPathForEveryDtypeAndShape() throws Exception {
        long[][] shapes = {{}, {1}, {7}, {2, 3}, {2, 3, 4}, {1, 1, 5, 2}, {0}, {2, 0, 3}};
        try (NDManager m = manager.newSubManager()) {
            for (DType dtype : DType.values()) {
                if (dtype == DType.BFLOAT16) {
                    continue; // DJL 0.36's PyTorch engine aborts the JVM making a bfloat16 array (from a buffer or by toType)
                }
                for (long[] shape : shapes) {
                    NDArray a = array(m, dtype, shape, dtype.code() * 31L + shape.length);
                    Digest reference = TensorDigest.of(a);
                    boolean empty = TensorDigest.byteLength(dtype, shape) == 0;
                    Digest lean = TorchArrays.digest((PtNDArray) a, Hasher.INLINE_BYTES);
                    String what = dtype.specName() + " " + java.util.Arrays.toString(shape);
                    if (empty) {
                        assertNull(lean, what + ": an empty tensor takes DJL's path");
                    } else {
                        assertNotNull(lean, what + ": a small dense CPU tensor takes the lean path");
                        assertEquals(reference, lean, what);
                    }
                    assertEquals(reference, done(hasher.digest(a, null)), what);
                }
            }
        }
    }

    @Test
    void nonContiguousAndLargeArraysTakeDjlsPathWithTheSameDigest() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = array(m, DType.FLOAT32, new long[] {3, 5}, 1);
            NDArray t = a.transpose(); // a strided view: DJL makes it contiguous before reading
            assertNull(TorchArrays.digest((PtNDArray) t, Hasher.INLINE_BYTES));
            assertEquals(TensorDigest.of(t), done(hasher.digest(t, null)));
            assertEquals(TensorDigest.of(t.duplicate()), TensorDigest.of(t));

            NDArray big = array(m, DType.FLOAT32, new long[] {Hasher.INLINE_BYTES / 4 + 1}, 2);
            assertNull(TorchArrays.digest((PtNDArray) big, Hasher.INLINE_BYTES));
            Object pending = hasher.digest(big, null);
            assertInstanceOf(Future.class, pending, "an array above the inline size is hashed on the pool");
            assertEquals(TensorDigest.of(big), done(pending));

            NDArray edge = array(m, DType.INT8, new long[] {Hasher.INLINE_BYTES}, 3);
            assertEquals(TensorDigest.of(edge), TorchArrays.digest((PtNDArray) edge, Hasher.INLINE_BYTES), "exactly the inline size");
        }
    }

    @Test
    void badArraysFailAsOnTheDjlPath() {
        try (NDManager m = manager.newSubManager()) {
            NDArray s = m.create(new float[] {1, 2, 3}).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            NDArray closed = s.duplicate();
            closed.close();
            RuntimeException expected = assertThrows(RuntimeException.class, () -> TensorDigest.of(closed));
            RuntimeException lean = assertThrows(RuntimeException.class, () -> hasher.digest(closed, null));
            assertEquals(expected.getClass(), lean.getClass());
            NDArray sparse;
            try {
                sparse = m.create(new float[] {0, 2, 0, 4}, new Shape(2, 2)).toSparse(ai.djl.ndarray.types.SparseFormat.COO);
            } catch (UnsupportedOperationException e) {
                return; // this engine build makes no sparse arrays
            }
            MalformedInputException e1 = assertThrows(MalformedInputException.class, () -> TensorDigest.of(sparse));
            MalformedInputException e2 = assertThrows(MalformedInputException.class, () -> hasher.digest(sparse, null));
            assertEquals(e1.getMessage(), e2.getMessage());
        }
    }

    /** The transcript a recorder must write, rebuilt from {@link TensorDigest#of(NDArray)} of each leaf step's arrays. */
    static Transcript reference(VerifiableModel vm, NDList input) {
        try (NDManager m = manager.newSubManager()) {
            NDList x = new NDList(input.head().duplicate());
            x.head().attach(m);
            ParameterStore ps = new ParameterStore(m, false);
            List<String> names = runner.stepNames();
            List<Step> steps = new ArrayList<>();
            NDList current = x;
            Digest in = TensorDigest.of(x.head());
            for (int i = 0; i < names.size(); i++) {
                NDList out = runner.runStep(ps, names.get(i), current);
                steps.add(Step.full(i, names.get(i), List.of(TensorDigest.of(current.head())), List.of(TensorDigest.of(out.head()))));
                current = out;
            }
            TranscriptHeader h = new TranscriptHeader(TranscriptHeader.VERSION, CommitmentMode.FULL, 0, Granularity.NODE, "", List.of(),
                    vm.modelId(), profile.digest(), List.of("0"), List.of(in), List.of(TensorDigest.of(current.head())));
            return new Transcript(h, steps, profile);
        }
    }

    @Test
    void recordedTranscriptsEqualOnesRebuiltFromTheReferenceDigests() {
        try (VerifiableModel vm = VerifiableModel.wrap(mlp, profile, RecordingOptions.full().at(Granularity.NODE));
                NDManager m = manager.newSubManager()) {
            for (long seed = 1; seed <= 3; seed++) {
                NDList x = TestModels.input(m, TestModels.MLP_INPUT, seed);
                Transcript expected = reference(vm, x);
                Transcript scoped = vm.predict(x).transcript();
                assertEquals(expected, scoped);
                assertEquals(expected.root(), scoped.root());
                try (NDManager row = m.newSubManager()) {
                    NDList y = new NDList(x.head().duplicate());
                    y.head().attach(row);
                    Prediction<NDList> p = vm.predictInInputScope(y);
                    assertEquals(expected.root(), p.transcript().root(), "no scope of its own, the same transcript");
                    assertEquals(expected.header().outputs().get(0), TensorDigest.of(p.output().head()));
                }
            }
        }
    }

    @Test
    void predictInInputScopeLeavesItsArraysToTheCallersManager() {
        try (VerifiableModel vm = VerifiableModel.wrap(mlp, profile, RecordingOptions.full())) {
            NDManager row = manager.newSubManager();
            NDList x = TestModels.input(row, TestModels.MLP_INPUT, 9);
            Prediction<NDList> p = vm.predictInInputScope(x);
            assertEquals(vm.predict(x).transcript().root(), p.transcript().root());
            assertEquals(row, p.output().head().getManager());
            row.close();
            assertThrows(IllegalStateException.class, () -> p.output().head().toFloatArray(), "freed with the caller's manager");
        }
    }
}
