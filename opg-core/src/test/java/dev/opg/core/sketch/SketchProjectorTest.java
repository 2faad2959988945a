package dev.opg.core.sketch;

import dev.opg.core.transcript.Granularity;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.OpgException;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Sketch;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.Transcripts;
import dev.opg.core.witness.Witness;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The SKETCH projection rule (spec 3.6) and SKETCH recordings on PyTorch and ONNX Runtime. */
class SketchProjectorTest {
    @Test
    void ruleDependsOnModelStepOutputAndSizeOnly() {
        Digest a = Transcripts.d("a");
        Digest s = SketchProjector.seed(a);
        assertEquals(s, new SketchProjector(a).seed());
        assertNotEquals(s, SketchProjector.seed(Transcripts.d("b")));
        Set<Digest> keys = new HashSet<>();
        for (long step = 0; step < 3; step++) {
            for (int out = 0; out < 2; out++) {
                for (long n = 1; n < 3; n++) {
                    assertTrue(keys.add(SketchProjector.stepKey(s, step, out, n)));
                }
            }
        }
        float[] m = SketchProjector.matrix(SketchProjector.stepKey(s, 0, 0, 1000), 1000, 16);
        int minus = 0;
        for (float v : m) {
            assertTrue(v == 1f || v == -1f);
            minus += v < 0 ? 1 : 0;
        }
        assertTrue(minus > 7000 && minus < 9000, "about half the entries are -1: " + minus);
        assertThrows(LimitExceededException.class, () -> SketchProjector.matrix(s, SketchProjector.MAX_MATRIX_ELEMENTS, 2));
        assertThrows(LimitExceededException.class, () -> SketchProjector.matrix(s, 4, 0));
    }

    @Test
    void engineAndJavaPathsAgreeWithTheReferenceAndDoNotDependOnTheCache() {
        Digest id = Transcripts.d("engine paths");
        TestModels.pytorchProfile();
        try (NDManager m = NDManager.newBaseManager("PyTorch");
                SketchProjector p = new SketchProjector(id);
                SketchProjector q = new SketchProjector(id)) {
            for (long n : new long[] {0, 1, 7, 300, 5000}) {
                float[] x = new float[(int) n];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) Math.sin(i * 0.37) * 3f;
                }
                NDArray a = m.create(x, new Shape(1, n));
                Sketch first = p.sketch(a, 3, 1, 16);
                assertEquals(first, p.sketch(a, 3, 1, 16), "cached R gives the same bits, n=" + n);
                assertEquals(first, q.sketch(a, 3, 1, 16), "a fresh projector gives the same bits, n=" + n);
                Sketch ref = new Sketch(first.dtype(), first.shape(), SketchProjector.project(x, id, 3, 1, 16));
                assertTrue(SketchProjector.withinTolerance(first, ref, 1e-5, 1e-5), "n=" + n);
                NDArray ints = m.arange(0, (int) n, 1, DataType.INT64);
                float[] xi = SketchProjector.floats(ints);
                Sketch si = p.sketch(ints, 4, 0, 8);
                assertTrue(SketchProjector.withinTolerance(si,
                        new Sketch(si.dtype(), si.shape(), SketchProjector.project(xi, id, 4, 0, 8)), 1e-5, 1e-5), "int64 n=" + n);
            }
        }
        SketchProjector closed = new SketchProjector(id);
        closed.close();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertThrows(OpgException.class, () -> closed.sketch(m.ones(new Shape(2)), 0, 0, 4));
        }
    }

    @Test
    void onnxSileroSketchRecordsDeterministicallyAndMatchesTheJavaReference() throws Exception {
        TestModels.onnxProfile();
        try (Model model = TestModels.loadOnnx(TestModels.sileroVadV5());
                VerifiableModel vm = VerifiableModel.wrap(model, TestModels.onnxProfile(), RecordingOptions.sketch(16).at(Granularity.NODE).withWitness());
                NDManager m = model.getNDManager().newSubManager()) {
            Prediction<NDList> p = vm.predict(TestModels.sileroInput(m, 1, 16000));
            Transcript t = p.transcript();
            assertEquals(CommitmentMode.SKETCH, t.header().mode());
            assertEquals(16, t.header().sketchDimension());
            assertTrue(t.steps().size() > 100, "one step per node: " + t.steps().size());
            assertEquals(t.root(), vm.predict(TestModels.sileroInput(m, 1, 16000)).transcript().root());
            assertNotEquals(t.root(), vm.predict(TestModels.sileroInput(m, 2, 16000)).transcript().root());
            try (VerifiableModel again = VerifiableModel.wrap(model, TestModels.onnxProfile(), RecordingOptions.sketch(16).at(Granularity.NODE))) {
                assertEquals(t.root(), again.predict(TestModels.sileroInput(m, 1, 16000)).transcript().root(),
                        "a second wrap (fresh cache) records the same root");
            }
            Witness w = p.witness().orElseThrow();
            int checked = 0;
            for (int i = 0; i < t.steps().size(); i++) {
                Step s = t.steps().get(i);
                NDList outs = w.stepOutputs(m, i);
                assertEquals(outs.size(), s.sketches().size(), s.name());
                for (int j = 0; j < outs.size(); j++) {
                    Sketch committed = s.sketches().get(j);
                    assertArrayEquals(outs.get(j).getShape().getShape(), committed.shape(), s.name());
                    float[] x = SketchProjector.floats(outs.get(j));
                    Sketch ref = new Sketch(committed.dtype(), committed.shape(), SketchProjector.project(x, vm.modelId(), i, j, 16));
                    assertTrue(SketchProjector.withinTolerance(committed, ref, 1e-4, 1e-4), s.name() + " output " + j);
                    checked++;
                }
            }
            assertTrue(checked >= t.steps().size());
        }
    }
}
