package dev.opg.core.testmodels;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;

/** Prints the node-granularity transcript roots of the seeded MLP and CNN on seeded inputs (and the CNN's at block granularity); the cross-process test runs it in a child JVM. */
public final class PrintRoots {
    private static final RecordingOptions NODE = RecordingOptions.full().at(dev.opg.core.transcript.Granularity.NODE);

    private PrintRoots() {}

    public static void main(String[] args) {
        var profile = TestModels.pytorchProfile();
        try (Model mlp = TestModels.mlp(1); Model cnn = TestModels.cnn(2);
                VerifiableModel vm = VerifiableModel.wrap(mlp, profile, NODE); VerifiableModel vc = VerifiableModel.wrap(cnn, profile, NODE);
                VerifiableModel vb = VerifiableModel.wrap(cnn, profile, RecordingOptions.full());
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            System.out.println("cnn-block " + vb.predict(TestModels.input(m, TestModels.CNN_INPUT, 7)).transcript().root().hex());
            System.out.println("mlp " + vm.predict(TestModels.input(m, TestModels.MLP_INPUT, 7)).transcript().root().hex());
            System.out.println("cnn " + vc.predict(TestModels.input(m, TestModels.CNN_INPUT, 7)).transcript().root().hex());
        }
    }
}
