package dev.opg.core.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.opg.core.model.ModelCommitment;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Transcript;
import org.junit.jupiter.api.Test;

class TorchScriptTest {
    @Test
    void torchScriptModelLoadedThroughCriteriaRecordsOneForwardStepDeterministically() throws Exception {
        var profile = TestModels.pytorchProfile();
        Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(TestModels.torchScriptFixture()).optEngine("PyTorch").build();
        try (ZooModel<NDList, NDList> zoo = criteria.loadModel(); VerifiableModel vm = VerifiableModel.wrap(zoo, profile);
                VerifiablePredictor<NDList, NDList> p = vm.newPredictor(); NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertEquals(ModelCommitment.KIND_TORCHSCRIPT, vm.commitment().kind());
            assertTrue(vm.commitment().parameters().stream().anyMatch(e -> e.name().startsWith("storage/")));
            Transcript a = p.predict(TestModels.input(m, new Shape(1, 16), 3)).transcript();
            Transcript b = p.predict(TestModels.input(m, new Shape(1, 16), 3)).transcript();
            Transcript c = p.predict(TestModels.input(m, new Shape(1, 16), 4)).transcript();
            assertEquals(1, a.steps().size());
            assertEquals(TorchScriptRunner.STEP_NAME, a.steps().get(0).name());
            assertEquals(a.root(), b.root());
            assertNotEquals(a.root(), c.root());
            assertEquals(a.header().outputs(), a.steps().get(0).outputs());
        }
    }
}
