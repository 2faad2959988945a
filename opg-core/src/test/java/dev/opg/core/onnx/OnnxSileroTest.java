package dev.opg.core.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.model.ModelCommitment;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Transcript;
import org.junit.jupiter.api.Test;

class OnnxSileroTest {
    @Test
    void sileroV5RecordsOneStepPerNode() throws Exception {
        var profile = TestModels.onnxProfile();
        try (Model model = TestModels.loadOnnx(TestModels.sileroVadV5());
                VerifiableModel vm = VerifiableModel.wrap(model, profile, RecordingOptions.full().withWitness());
                NDManager m = model.getNDManager().newSubManager()) {
            assertEquals(ModelCommitment.KIND_ONNX, vm.commitment().kind());
            System.out.println(vm.commitment() + " profile " + profile);
            Prediction<NDList> p = vm.predict(TestModels.sileroInput(m, 1, 16000));
            Transcript t = p.transcript();
            System.out.println("steps " + t.steps().size() + " out " + p.output().get(0));
            t.steps().stream().limit(12).forEach(s -> System.out.println(s.name()));
            assertTrue(t.steps().size() > 50);
        }
    }
}
