package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Transcript;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Disputes descend on a DJL block tree (PyTorch): the MNIST CNN of {@link TestModels#cnn}, whose
 * fifth child is a nested {@code SequentialBlock} (conv, ReLU), so that at block granularity (one
 * block per top-level child) block 4 holds two leaves. The forger's copy has one weight of that
 * inner conv changed; the dispute ends at the inner conv's leaf.
 */
class DescentDjlDisputeTest extends DescentCases {
    private static final int INNER = 4;

    private Model honestModel;
    private Model alteredModel;
    private NDManager manager;
    private String innerConv;

    @BeforeAll
    void prove() {
        honestModel = TestModels.cnn(7);
        alteredModel = TestModels.cnn(7);
        List<Pair<String, Parameter>> params = alteredModel.getBlock().getParameters().stream().toList();
        Pair<String, Parameter> weight = params.stream().filter(p -> p.getKey().contains("SequentialBlock") && p.getKey().endsWith("weight"))
                .findFirst().orElseThrow(() -> new AssertionError("no inner conv weight among " + params.stream().map(Pair::getKey).toList()));
        NDArray a = weight.getValue().getArray();
        float[] v = a.toFloatArray();
        v[5] += 0.5f;
        a.set(v);
        RecordingOptions o = RecordingOptions.full().withWitness();
        honestVm = VerifiableModel.wrap(honestModel, TestModels.pytorchProfile(), o);
        alteredVm = VerifiableModel.wrap(alteredModel, TestModels.pytorchProfile(), o);
        manager = NDManager.newBaseManager("PyTorch");
        input = TestModels.input(manager, TestModels.CNN_INPUT, 71);
        reference = new DjlReference(honestModel, TestModels.pytorchProfile(), input);
        proveBoth();
        assertEquals(7, honest.steps().size(), "one block per top-level child");
        // the node steps of the inner block, from the referee's model alone
        var inside = reference.at(honest.header()).descend(INNER, honest.steps().get(INNER).inputs()).dataflow().steps();
        assertEquals(2, inside.size(), "the nested sequence's two leaves");
        innerConv = inside.get(0).name();
        assertTrue(innerConv.contains("Conv2d"), innerConv);
        try (VerifiableModel nodes = VerifiableModel.wrap(honestModel, TestModels.pytorchProfile(),
                RecordingOptions.full().at(Granularity.NODE))) {
            assertEquals(8, nodes.dataflow(input).steps().size(), "eight leaves in all");
        }
    }

    /** At output granularity the one block is the whole model: the descent bisects all eight leaves. */
    @Test
    void atOutputGranularityTheDisputeDescendsIntoTheWholeModel() {
        RecordingOptions o = RecordingOptions.full().at(Granularity.OUTPUT).withWitness();
        try (VerifiableModel h = VerifiableModel.wrap(honestModel, TestModels.pytorchProfile(), o);
                VerifiableModel f = VerifiableModel.wrap(alteredModel, TestModels.pytorchProfile(), o)) {
            Prediction<NDList> ph = h.predict(input);
            Prediction<NDList> pf = f.predict(input);
            Transcript forgedOut = new Transcript(pf.transcript().header().withModelId(h.modelId()), pf.transcript().steps(),
                    pf.transcript().profile());
            assertEquals(1, ph.transcript().steps().size());
            TranscriptParty honestOut = new ModelParty(h, input, ph.transcript(), ph.witness().orElseThrow());
            TranscriptParty forgerOut = new ModelParty(f, input, forgedOut, pf.witness().orElseThrow());
            for (boolean honestFirst : new boolean[] {true, false}) {
                Ruling r = honestFirst ? referee().settle(honestOut, forgerOut) : referee().settle(forgerOut, honestOut);
                assertEquals(honestFirst ? Ruling.Verdict.FIRST_CORRECT : Ruling.Verdict.SECOND_CORRECT, r.verdict(), r.reason());
                Ruling.Descent d = r.descended().orElseThrow(() -> new AssertionError(r.reason()));
                assertEquals(0, d.blockIndex());
                assertEquals(INNER, d.nodeIndex(), "the inner conv is the fifth of the eight leaves");
                assertEquals(innerConv, d.nodeName());
            }
            ph.output().close();
            pf.output().close();
        }
    }

    @AfterAll
    void close() {
        reference.close();
        honestVm.close();
        alteredVm.close();
        manager.close();
        honestModel.close();
        alteredModel.close();
    }

    @Override
    protected String label() {
        return "DJL CNN";
    }

    @Override
    protected int alteredBlock() {
        return INNER;
    }

    @Override
    protected boolean isAlteredNode(String name) {
        return name.equals(innerConv);
    }
}
