package dev.opg.core.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.testmodels.MiniLm;
import dev.opg.core.transcript.Blocks;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.witness.Witness;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * all-MiniLM-L6-v2 (a real 6-layer transformer no one here wrote) at the three granularities:
 * the default partition follows the exporter's layer prefixes, every block commits exactly the
 * values a node-granularity run computes at its boundary, blocks re-run alone from their inputs,
 * and a descent into a block reproduces the node steps and ends at the block's committed outputs.
 */
class MiniLmGranularityTest {
    private static DeterminismProfile profile;
    private static ZooModel<NDList, NDList> model;

    @BeforeAll
    static void load() throws Exception {
        profile = OnnxProfiles.apply(1, 1, 0);
        model = Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(MiniLm.onnxFile())
                .optEngine("OnnxRuntime").optTranslator(new NoopTranslator()).build().loadModel();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static Prediction<NDList> prove(Model m, RecordingOptions o, NDManager mgr) {
        try (VerifiableModel vm = VerifiableModel.wrap(m, profile, o)) {
            return vm.predict(MiniLm.input(mgr, 1, 128));
        }
    }

    @Test
    void theDefaultPartitionCutsAtTheExportersLayerPrefixes() {
        try (VerifiableModel vm = VerifiableModel.wrap(model, profile, RecordingOptions.full());
                NDManager m = model.getNDManager().newSubManager()) {
            Transcript t = vm.predict(MiniLm.input(m, 1, 128)).transcript();
            assertEquals(Granularity.BLOCK, t.header().granularity());
            List<String> cuts = t.header().cuts();
            // the mask preparation merged with the embeddings (small runs merge), then one block per encoder layer
            assertEquals(6, cuts.size(), "cuts " + cuts);
            for (int l = 0; l < 6; l++) {
                assertEquals("/encoder/layer." + l + "/attention/self/query/MatMul", cuts.get(l));
            }
            assertEquals(7, t.steps().size());
            assertTrue(t.steps().get(1).name().startsWith("/encoder/layer.0/attention/self/query/MatMul" + Blocks.NAME_SEPARATOR));
            assertTrue(t.steps().get(0).name().startsWith("/Unsqueeze" + Blocks.NAME_SEPARATOR));
            // a layer block reads the hidden state and the attention mask, and writes the hidden state
            assertEquals(2, t.steps().get(3).inputs().size());
            assertEquals(1, t.steps().get(3).outputs().size());
            assertEquals(2, t.steps().get(0).outputs().size(), "the embeddings block writes the hidden state and the mask");
        }
    }

    @Test
    void blocksCommitTheValuesANodeRunComputesAtTheirBoundaries() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            Transcript node = prove(model, RecordingOptions.full().at(Granularity.NODE), m).transcript();
            Transcript block = prove(model, RecordingOptions.full(), m).transcript();
            Transcript output = prove(model, RecordingOptions.full().at(Granularity.OUTPUT), m).transcript();
            assertEquals(637, node.steps().size());
            assertEquals(1, output.steps().size());
            assertEquals(node.header().outputs(), block.header().outputs());
            assertEquals(node.header().outputs(), output.header().outputs());
            assertEquals(Set.copyOf(node.header().inputs()), Set.copyOf(output.steps().get(0).inputs()));
            Set<Digest> computed = new HashSet<>(node.header().inputs());
            node.steps().forEach(s -> computed.addAll(s.outputs()));
            for (Step s : block.steps()) {
                assertTrue(computed.containsAll(s.inputs()), "inputs of " + s.name());
                assertTrue(computed.containsAll(s.outputs()), "outputs of " + s.name());
            }
            // the same again: deterministic at every granularity
            assertEquals(block.root(), prove(model, RecordingOptions.full(), m).transcript().root());
            assertEquals(output.root(), prove(model, RecordingOptions.full().at(Granularity.OUTPUT), m).transcript().root());
        }
    }

    @Test
    void everyBlockReRunsAloneAndADescentEndsAtItsCommittedBoundary() {
        try (VerifiableModel vm = VerifiableModel.wrap(model, profile, RecordingOptions.full().withWitness());
                NDManager m = model.getNDManager().newSubManager()) {
            NDList x = MiniLm.input(m, 1, 128);
            Prediction<NDList> p = vm.predict(x);
            Transcript t = p.transcript();
            Witness w = p.witness().orElseThrow();
            Transcript node = prove(model, RecordingOptions.full().at(Granularity.NODE), m).transcript();
            Map<String, Step> nodeSteps = new HashMap<>();
            node.steps().forEach(s -> nodeSteps.put(s.name(), s));
            for (int b = 0; b < t.steps().size(); b++) {
                Step s = t.steps().get(b);
                NDList in = new NDList();
                for (Digest d : s.inputs()) {
                    in.add(w.tensor(d).toNDArray(m));
                }
                NDList out = vm.runStep(s.name(), in);
                for (int k = 0; k < out.size(); k++) {
                    assertEquals(s.outputs().get(k), TensorDigest.of(out.get(k)), "block " + b + " output " + k);
                }
                if (b == 3) {
                    try (VerifiableModel down = vm.descend(x, b, RecordingOptions.full())) {
                        Transcript sub = down.predict(in).transcript();
                        assertEquals(s.name(), sub.header().scope());
                        assertEquals(Granularity.NODE, sub.header().granularity());
                        assertEquals(s.inputs(), sub.header().inputs());
                        assertEquals(s.outputs(), sub.header().outputs());
                        assertFalse(sub.steps().isEmpty());
                        for (Step n : sub.steps()) {
                            Step whole = nodeSteps.get(n.name());
                            assertEquals(whole.outputs(), n.outputs(), "node " + n.name());
                        }
                    }
                }
                for (NDArray a : in) {
                    a.close();
                }
            }
        }
    }
}
