package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.testmodels.MiniLm;
import dev.opg.core.testmodels.OnnxAlter;
import dev.opg.core.testmodels.TestModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Disputes descend on all-MiniLM-L6-v2 at block granularity (7 blocks over 637 nodes): the
 * forger's copy of the model has one bias value of layer 2 changed. The bisection finds the block
 * (layer 2, block 3); both parties re-run it at node granularity from its agreed inputs; the
 * sub-transcripts are bisected down to the one node that reads the changed bias (an {@code Add}),
 * which the referee re-runs with its own model.
 */
class DescentDisputeTest extends DescentCases {
    private static final String BIAS = "encoder.layer.2.attention.output.dense.bias";

    private Model honestModel;
    private Model alteredModel;
    private NDManager manager;
    private List<String> readers;

    @BeforeAll
    void prove() throws Exception {
        Path src = MiniLm.onnxFile();
        Path dst = Path.of("target", "minilm-altered", "all-minilm-l6-v2-altered.onnx").toAbsolutePath();
        readers = OnnxAlter.initializer(src, dst, BIAS, 7, 1.0f);
        assertEquals(1, readers.size(), "nodes reading " + BIAS + ": " + readers);
        honestModel = TestModels.loadOnnx(src);
        alteredModel = TestModels.loadOnnx(dst);
        RecordingOptions o = RecordingOptions.full().withWitness();
        honestVm = VerifiableModel.wrap(honestModel, TestModels.onnxProfile(), o);
        alteredVm = VerifiableModel.wrap(alteredModel, TestModels.onnxProfile(), o);
        manager = honestModel.getNDManager().newSubManager();
        input = MiniLm.input(manager, 1, 128);
        reference = new DjlReference(honestModel, TestModels.onnxProfile(), input);
        proveBoth();
        assertEquals(7, honest.steps().size());
        assertTrue(honest.steps().get(3).name().startsWith("/encoder/layer.2/"), honest.steps().get(3).name());
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
        return "MiniLM";
    }

    @Override
    protected int alteredBlock() {
        return 3; // the embeddings block, then one block per layer
    }

    @Override
    protected boolean isAlteredNode(String name) {
        return name.equals(readers.get(0));
    }
}
