package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.testmodels.OnnxAlter;
import dev.opg.core.testmodels.TestModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Disputes descend on Silero VAD v5 (ONNX, {@code If} branches inlined, weights stored as
 * {@code Constant} nodes) at block granularity: the forger's copy has one value of one weight
 * changed (the middle value of the second large float Constant of each branch, a convolution
 * weight). The dispute ends at that Constant, a node step of the descent (the constants a block
 * reads belong to its descent), which the referee re-runs.
 */
class DescentSileroDisputeTest extends DescentCases {
    private Model honestModel;
    private Model alteredModel;
    private NDManager manager;
    private List<String> changed;
    private int block = -1;

    @BeforeAll
    void prove() throws Exception {
        Path src = TestModels.sileroVadV5();
        Path dst = Path.of("target", "silero-altered", "silero_vad_v5.onnx").toAbsolutePath();
        changed = OnnxAlter.constant(src, dst, 4096, 1, 5f);
        honestModel = TestModels.loadOnnx(src);
        alteredModel = TestModels.loadOnnx(dst);
        RecordingOptions o = RecordingOptions.full().withWitness();
        honestVm = VerifiableModel.wrap(honestModel, TestModels.onnxProfile(), o);
        alteredVm = VerifiableModel.wrap(alteredModel, TestModels.onnxProfile(), o);
        manager = honestModel.getNDManager().newSubManager();
        input = TestModels.sileroInput(manager, 21, 16000);
        reference = new DjlReference(honestModel, TestModels.onnxProfile(), input);
        proveBoth();
        // the block whose descent runs the changed Constant, from the model alone
        Reference blocks = reference.at(honest.header());
        for (int i = 0; i < honest.steps().size() && block < 0; i++) {
            if (blocks.descend(i, honest.steps().get(i).inputs()).dataflow().steps().stream().anyMatch(s -> isAlteredNode(s.name()))) {
                block = i;
            }
        }
        assertTrue(block >= 0, "no block runs " + changed);
    }

    @AfterAll
    void close() {
        reference.close();
        manager.close();
        honestVm.close();
        alteredVm.close();
        honestModel.close();
        alteredModel.close();
    }

    @Override
    protected String label() {
        return "Silero VAD";
    }

    @Override
    protected int alteredBlock() {
        return block;
    }

    @Override
    protected boolean isAlteredNode(String name) {
        return changed.stream().anyMatch(c -> name.endsWith("/" + c));
    }
}
