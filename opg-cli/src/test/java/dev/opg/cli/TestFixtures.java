package dev.opg.cli;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.model.BlockSpec;
import dev.opg.core.io.Inputs;
import dev.opg.core.io.Npz;
import dev.opg.core.testmodels.TestModels;
import java.io.IOException;
import java.nio.file.Path;

/** Real models saved as the CLI reads them: the seeded MLP and CNN of opg-core's test models. */
final class TestFixtures {
    private TestFixtures() {}

    static final BlockSpec MLP = BlockSpec.of("mlp", new long[] {1, 784},
            BlockSpec.layer("linear", "units", 64), BlockSpec.layer("relu"),
            BlockSpec.layer("linear", "units", 32), BlockSpec.layer("relu"),
            BlockSpec.layer("linear", "units", 10));

    static final BlockSpec CNN = BlockSpec.of("cnn", new long[] {1, 1, 28, 28},
            BlockSpec.layer("conv2d", "filters", 8, "kernel", new long[] {3, 3}),
            BlockSpec.layer("batchNorm"), BlockSpec.layer("relu"),
            BlockSpec.layer("maxPool2d", "kernel", new long[] {2, 2}),
            BlockSpec.layer("sequential", "layers", java.util.List.of(
                    BlockSpec.layer("conv2d", "filters", 8, "kernel", new long[] {3, 3}, "padding", new long[] {1, 1}),
                    BlockSpec.layer("relu"))),
            BlockSpec.layer("flatten"), BlockSpec.layer("linear", "units", 10));

    /** Saves TestModels.mlp(seed) (or cnn) as a model directory. */
    static Path saveModel(Path dir, String kind, long seed) throws IOException {
        TestModels.pytorchProfile();
        try (Model m = kind.equals("mlp") ? TestModels.mlp(seed) : TestModels.cnn(seed)) {
            m.save(dir, kind);
            (kind.equals("mlp") ? MLP : CNN).write(dir);
        }
        return dir;
    }

    /** Writes a seeded input of the model's shape as .npz. */
    static Path saveInput(Path file, String kind, long seed) throws IOException {
        TestModels.pytorchProfile();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDList x = TestModels.input(m, kind.equals("mlp") ? TestModels.MLP_INPUT : TestModels.CNN_INPUT, seed);
            Npz.write(Inputs.fromNDList(x), file);
        }
        return file;
    }
}
