package dev.opg.core.testmodels;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.PyTorchProfiles;

/** Prints the kernel set the applied PyTorch profile records and the seeded CNN's root under it; tests run it in child JVMs. */
public final class PrintProfileRoot {
    private PrintProfileRoot() {}

    public static void main(String[] args) {
        DeterminismProfile profile = PyTorchProfiles.apply(1, 1, 42);
        try (Model cnn = TestModels.cnn(2); VerifiableModel vm = VerifiableModel.wrap(cnn, profile);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            System.out.println("cap " + profile.cpuCapability());
            System.out.println("root " + vm.predict(TestModels.input(m, TestModels.CNN_INPUT, 7)).transcript().root().hex());
        }
    }
}
