package dev.opg.core.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.testmodels.TestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * FULL recording without a witness hashes ONNX Runtime's node outputs where they lie
 * ({@link OnnxRunner#dataInPlace}); with a witness every tensor is copied first. Both must give
 * the same roots, for either If branch of Silero, in any order of sample rates (the If condition
 * is remembered per sample rate).
 */
class OnnxInPlaceHashingTest {
    private static DeterminismProfile profile;
    private static Model model;
    private static VerifiableModel inPlace;
    private static VerifiableModel copied;

    @BeforeAll
    static void load() throws Exception {
        profile = TestModels.onnxProfile();
        model = TestModels.loadOnnx(TestModels.sileroVadV5());
        inPlace = VerifiableModel.wrap(model, profile, RecordingOptions.full());
        copied = VerifiableModel.wrap(model, profile, RecordingOptions.full().withWitness());
    }

    @AfterAll
    static void close() {
        inPlace.close();
        copied.close();
        model.close();
    }

    @Test
    void inPlaceDigestsEqualCopiedDigestsForBothBranchesInAnyOrder() {
        long[] rates = {16000, 8000, 16000, 8000, 8000, 16000};
        for (int i = 0; i < rates.length; i++) {
            try (NDManager m = model.getNDManager().newSubManager()) {
                Digest a = inPlace.predict(TestModels.sileroInput(m, i, rates[i])).transcript().root();
                Digest b = copied.predict(TestModels.sileroInput(m, i, rates[i])).transcript().root();
                assertEquals(b, a, "prediction " + i + " at " + rates[i] + " Hz");
            }
        }
    }

    @Test
    void nodeOutputsAreReadInPlaceAndHashLikeTheirCopies() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDList out = inPlace.predict(TestModels.sileroInput(m, 3, 16000)).output();
            for (NDArray a : out) {
                var view = inPlace.runner().dataInPlace(a);
                assertNotNull(view, "no in-place view of an ONNX Runtime output");
                assertEquals(TensorDigest.of(a), TensorDigest.of(DType.fromDjl(a.getDataType()), a.getShape().getShape(), view));
            }
        }
    }
}
