package dev.opg.core.testmodels;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.opg.core.djl.VerifiableModel;

/** Prints the transcript roots of the seeded MLP and CNN on seeded inputs; the cross-process test runs it in a child JVM. */
public final class PrintRoots {
    private PrintRoots() {}

    public static void main(String[] args) {
        var profile = TestModels.pytorchProfile();
        try (Model mlp = TestModels.mlp(1); Model cnn = TestModels.cnn(2);
                VerifiableModel vm = VerifiableModel.wrap(mlp, profile); VerifiableModel vc = VerifiableModel.wrap(cnn, profile);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            System.out.println("mlp " + vm.predict(TestModels.input(m, TestModels.MLP_INPUT, 7)).transcript().root().hex());
            System.out.println("cnn " + vc.predict(TestModels.input(m, TestModels.CNN_INPUT, 7)).transcript().root().hex());
        }
    }
}
