package example;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.opg.chain.ChainConfig;
import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.PyTorchProfiles;
import dev.opg.core.transcript.Transcript;
import dev.opg.verify.Verifier;
import org.web3j.crypto.Credentials;

public final class Embedding {
    public static void main(String[] args) {
        DeterminismProfile profile = PyTorchProfiles.apply(1, 1, 42); // pin threads and seed before the engine loads
        try (Model model = Model.newInstance("tiny", "PyTorch")) {
            model.setBlock(new SequentialBlock().add(Linear.builder().setUnits(8).build())
                    .add(Activation.reluBlock()).add(Linear.builder().setUnits(2).build()));
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 4));
            try (VerifiableModel vm = VerifiableModel.wrap(model, profile);         // 1. wrap any DJL model
                    NDManager m = model.getNDManager().newSubManager();
                    Verifier verifier = new Verifier(model, profile)) {
                NDList x = new NDList(m.create(new float[] {1, 2, 3, 4}, new Shape(1, 4)));
                Transcript t = vm.predict(x).transcript();                          // 2. predict: output + transcript
                System.out.println("root " + t.root().hex() + " over " + t.steps().size() + " steps");
                System.out.println(verifier.verify(t, x).requireValid().summary()); // 3. re-execute; throws unless VALID
                try (AnvilNode chain = AnvilNode.start();                           // 4. anchor the root on a local chain
                        TransactionSender s = TransactionSender.connect(ChainConfig.of(chain.rpcUrl()),
                                Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(0)))) {
                    System.out.println("anchored in block " + TranscriptAnchorClient.deploy(s).anchor(t.root()).blockNumber());
                }
            }
        }
    }
}
