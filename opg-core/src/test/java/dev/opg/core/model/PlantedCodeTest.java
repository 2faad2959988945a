package dev.opg.core.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.translate.NoopTranslator;
import dev.opg.core.testmodels.TestModels;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model file handed to opg comes with its directory, which the other side may control. DJL,
 * asked to load a file with no block factory given, searches that directory's classes/ folder
 * and .jar files for a BlockFactory and runs it; opg must never let it.
 */
class PlantedCodeTest {
    @TempDir
    Path dir;

    @Test
    void codeBesideAModelFileIsNeverRun() throws Exception {
        Path onnx = Files.copy(TestModels.sileroVadV5(), dir.resolve("vad.onnx"));
        Path cls = dir.resolve("classes/dev/opg/core/model/PlantedBlockFactory.class");
        Files.createDirectories(cls.getParent());
        try (InputStream in = PlantedBlockFactory.class.getResourceAsStream("PlantedBlockFactory.class")) {
            Files.copy(in, cls);
        }

        // the control: DJL's own loading runs the planted class
        PlantedBlockFactory.ran = false;
        Criteria<NDList, NDList> plain = Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(onnx)
                .optEngine("OnnxRuntime").optTranslator(new NoopTranslator()).build();
        try (Model m = plain.loadModel()) {
            assertTrue(PlantedBlockFactory.ran, "DJL runs a BlockFactory it finds beside the model file");
        }

        PlantedBlockFactory.ran = false;
        try (Model m = LoadedModel.load(onnx)) {
            assertFalse(PlantedBlockFactory.ran, "opg's loading ran code from the model's directory");
        }
    }
}
