package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.TranslatorContext;
import dev.opg.core.MalformedInputException;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.djl.VerifiablePredictor;
import dev.opg.core.djl.VerifiableZooModel;
import dev.opg.core.testmodels.MiniLm;
import dev.opg.core.testmodels.MiniLmTranslator;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Transcript;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The embedding user's path: a DJL {@code Criteria} with a real translator (sentence in, embedding
 * out, on all-MiniLM-L6-v2) to verified predictions in one call, verification after the
 * translator from the tensors the prediction kept, a verdict that must be looked at before acting
 * on it, and engine failures wrapped as DJL's predictor wraps them.
 */
class CriteriaEntryPointTest {
    private static Criteria<String, float[]> criteria() {
        return Criteria.builder().setTypes(String.class, float[].class).optModelPath(MiniLm.onnxFile()).optEngine("OnnxRuntime")
                .optTranslator(new MiniLmTranslator()).build();
    }

    private static double cos(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d += a[i] * b[i];
        }
        return d;
    }

    @Test
    void aCriteriaWithATranslatorGivesVerifiablePredictionsThatVerifyFromTheKeptInputs() throws Exception {
        try (VerifiableZooModel<String, float[]> model = VerifiableZooModel.load(criteria());
                VerifiablePredictor<String, float[]> predictor = model.newPredictor();
                NDManager m = model.zooModel().getNDManager().newSubManager();
                Verifier verifier = new Verifier(model.zooModel(), model.profile())) {
            List<Prediction<float[]>> ps = predictor.batchPredict(List.of("a cat sits on the mat", "a cat is sitting on a mat",
                    "stock markets fell sharply today"));
            assertEquals(384, ps.get(0).output().length);
            assertTrue(cos(ps.get(0).output(), ps.get(1).output()) > cos(ps.get(0).output(), ps.get(2).output()) + 0.2,
                    "a real embedding: paraphrases are closer than unrelated sentences");
            assertNotEquals(ps.get(0).transcript().root(), ps.get(1).transcript().root());
            for (Prediction<float[]> p : ps) {
                assertEquals(Granularity.BLOCK, p.transcript().header().granularity());
                assertEquals(3, p.modelInputs().size());
                VerificationReport r = verifier.verify(p.transcript(), p.modelInputs(m)).requireValid();
                assertEquals(Verdict.VALID, r.verdict());
            }
            // a forged output fails closed: requireValid throws, carrying the INVALID report
            Transcript t = ps.get(0).transcript();
            Transcript forged = Forger.withHeader(t, t.header().inputs(), List.of(Forger.randomDigest(new java.util.Random(1))));
            VerificationFailedException e = assertThrows(VerificationFailedException.class,
                    () -> verifier.verify(forged, ps.get(0).modelInputs(m)).requireValid());
            assertEquals(Verdict.INVALID, e.report().verdict());
            assertEquals("header.OUTPUTS", e.report().firstFinding().orElseThrow().location());
        }
    }

    @Test
    void criteriaWithoutAnEngineAreRefusedBeforeAnythingLoads() {
        Criteria<String, float[]> noEngine = Criteria.builder().setTypes(String.class, float[].class).optModelPath(MiniLm.onnxFile())
                .optTranslator(new MiniLmTranslator()).build();
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> VerifiableZooModel.load(noEngine));
        assertTrue(e.getMessage().contains("optEngine"), e.getMessage());
    }

    @Test
    void anEngineFailureIsWrappedAsDjlsPredictorWrapsIt() throws Exception {
        try (Model mlp = TestModels.mlp(1); VerifiableModel vm = VerifiableModel.wrap(mlp, TestModels.pytorchProfile());
                VerifiablePredictor<float[], float[]> p = vm.newPredictor(new NoBatchifyTranslator<float[], float[]>() {
                    @Override
                    public NDList processInput(TranslatorContext ctx, float[] input) {
                        return new NDList(ctx.getNDManager().create(input, new ai.djl.ndarray.types.Shape(1, input.length)));
                    }

                    @Override
                    public float[] processOutput(TranslatorContext ctx, NDList list) {
                        return list.head().toFloatArray();
                    }
                })) {
            assertEquals(10, p.predict(new float[784]).output().length);
            TranslateException e = assertThrows(TranslateException.class, () -> p.predict(new float[5]), "5 features into a 784-wide layer");
            assertInstanceOf(EngineException.class, e.getCause());
        }
    }
}
