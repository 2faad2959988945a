package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.MiniLm;
import dev.opg.core.testmodels.OnnxAlter;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Disputes descend (spec section 3.14) on all-MiniLM-L6-v2 at block granularity (7 blocks over
 * 637 nodes): a forger proves with a copy of the model in which one bias value of layer 2 is
 * changed and claims the honest model's id. The bisection finds the block (layer 2); both parties
 * re-run it at node granularity from its agreed inputs; the sub-transcripts are bisected down to
 * the one node that reads the changed bias, which the referee re-runs with its own model.
 */
class DescentDisputeTest {
    private static final Logger LOG = LoggerFactory.getLogger(DescentDisputeTest.class);
    private static final String BIAS = "encoder.layer.2.attention.output.dense.bias";

    private static DeterminismProfile profile;
    private static Model honestModel;
    private static Model alteredModel;
    private static VerifiableModel honestVm;
    private static VerifiableModel alteredVm;
    private static NDManager manager;
    private static NDList input;
    private static Transcript honest;
    private static Witness honestWitness;
    private static Transcript forged;
    private static Witness forgedWitness;
    private static List<String> readers;
    private static DjlReference reference;

    @BeforeAll
    static void prove() throws Exception {
        profile = TestModels.onnxProfile();
        Path src = MiniLm.onnxFile();
        Path dst = Path.of("target", "minilm-altered", "all-minilm-l6-v2-altered.onnx").toAbsolutePath();
        readers = OnnxAlter.initializer(src, dst, BIAS, 7, 1.0f);
        assertEquals(1, readers.size(), "nodes reading " + BIAS + ": " + readers);
        honestModel = TestModels.loadOnnx(src);
        alteredModel = TestModels.loadOnnx(dst);
        RecordingOptions o = RecordingOptions.full().withWitness();
        honestVm = VerifiableModel.wrap(honestModel, profile, o);
        alteredVm = VerifiableModel.wrap(alteredModel, profile, o);
        assertNotEquals(honestVm.modelId(), alteredVm.modelId());
        manager = honestModel.getNDManager().newSubManager();
        input = MiniLm.input(manager, 1, 128);
        Prediction<NDList> h = honestVm.predict(input);
        honest = h.transcript();
        honestWitness = h.witness().orElseThrow();
        Prediction<NDList> f = alteredVm.predict(input);
        // the forger claims the honest model: header rewritten, root recomputed
        forged = new Transcript(f.transcript().header().withModelId(honestVm.modelId()), f.transcript().steps(), f.transcript().profile());
        forgedWitness = f.witness().orElseThrow();
        reference = new DjlReference(honestModel, profile, input);
        assertEquals(Granularity.BLOCK, honest.header().granularity());
        assertEquals(7, honest.steps().size());
    }

    @AfterAll
    static void close() {
        reference.close();
        manager.close();
        honestVm.close();
        alteredVm.close();
        honestModel.close();
        alteredModel.close();
    }

    private static TranscriptParty honestParty() {
        return new ModelParty(honestVm, input, honest, honestWitness);
    }

    private static TranscriptParty forgerParty() {
        return new ModelParty(alteredVm, input, forged, forgedWitness);
    }

    /** A referee that holds no witness: every tensor it needs comes from a party. */
    private static Referee referee() {
        return new Referee(reference, d -> Optional.empty());
    }

    private static int bound(int leaves) {
        return 2 * (32 - Integer.numberOfLeadingZeros(leaves - 1)) + 4;
    }

    @Test
    void theDisputeDescendsToTheOneNodeTheForgerAlteredAndTheHonestPartyWinsOnEitherSide() {
        int block = 3; // the embeddings block, then one block per layer: layer 2 is block 3
        assertTrue(honest.steps().get(block).name().startsWith("/encoder/layer.2/"), honest.steps().get(block).name());
        for (boolean honestFirst : new boolean[] {true, false}) {
            long t0 = System.nanoTime();
            Ruling r = honestFirst ? referee().settle(honestParty(), forgerParty()) : referee().settle(forgerParty(), honestParty());
            double wall = (System.nanoTime() - t0) / 1e6;
            assertEquals(honestFirst ? Ruling.Verdict.FIRST_CORRECT : Ruling.Verdict.SECOND_CORRECT, r.verdict(), r.reason());
            assertEquals(block, assertInstanceOfFirstDifference(r.bisection()));
            assertEquals(block, r.stepIndex());
            Ruling.Descent d = r.descended().orElseThrow(() -> new AssertionError("no descent: " + r.reason()));
            assertEquals(block, d.blockIndex());
            assertEquals(honest.steps().get(block).name(), d.blockName());
            assertEquals(readers.get(0), d.nodeName(), r.reason());
            assertTrue(d.nodeIndex() >= 0);
            assertTrue(d.bisection() instanceof BisectionResult.FirstDifference fd && fd.stepIndex() == d.nodeIndex(), r.reason());
            Ruling.Exchange x = r.exchange();
            assertEquals(r.bisection().queries() + d.bisection().queries(), x.rounds());
            assertTrue(r.bisection().queries() <= bound(honest.leafCount()), r.bisection().queries() + " main queries");
            assertTrue(x.rounds() <= bound(honest.leafCount()) + bound(700), x.rounds() + " rounds");
            assertTrue(x.hashBytes() > 0 && x.leafBytes() > 0 && x.tensorBytes() > 0, x.toString());
            LOG.info("MiniLM descent ({} first): block {} ('{}'), node {} ('{}'); rounds {} ({} + {}), bytes {} (hashes {}, leaves {}, "
                    + "tensors {}), referee work {} ms; whole settle {} ms (both parties' descents and the referee's node plan included)",
                    honestFirst ? "honest" : "forger", d.blockIndex(), d.blockName(), d.nodeIndex(), d.nodeName(), x.rounds(),
                    r.bisection().queries(), d.queries(), x.bytes(), x.hashBytes(), x.leafBytes(), x.tensorBytes(), x.refereeNanos() / 1e6,
                    wall);
            assertTrue(x.refereeNanos() < 5_000_000_000L, "referee work " + x.refereeNanos() / 1e6 + " ms");
        }
    }

    private static long assertInstanceOfFirstDifference(BisectionResult b) {
        assertTrue(b instanceof BisectionResult.FirstDifference, b.toString());
        return ((BisectionResult.FirstDifference) b).stepIndex();
    }

    @Test
    void honestAgainstHonestIsNoDispute() {
        Ruling r = referee().settle(honestParty(), new ModelParty(honestVm, input, honest, honestWitness));
        assertEquals(Ruling.Verdict.NO_DISPUTE, r.verdict(), r.reason());
        assertNull(r.descent());
    }

    @Test
    void aForgerThatCannotDescendLosesAndWithoutAnyDescentTheRefereeReRunsTheBlockWhole() {
        TranscriptParty cannot = TranscriptParty.honest(forged, TensorSource.of(forgedWitness));
        Ruling a = referee().settle(honestParty(), cannot);
        assertEquals(Ruling.Verdict.FIRST_CORRECT, a.verdict(), a.reason());
        assertEquals(-1, a.descent().nodeIndex());
        assertTrue(a.reason().contains("cannot descend"), a.reason());
        Ruling b = referee().settle(cannot, honestParty());
        assertEquals(Ruling.Verdict.SECOND_CORRECT, b.verdict(), b.reason());
        // neither can descend: the referee re-runs the whole block (the behaviour before descents), no one is prejudiced
        Ruling c = referee().settle(TranscriptParty.honest(honest, TensorSource.of(honestWitness)), cannot);
        assertEquals(Ruling.Verdict.FIRST_CORRECT, c.verdict(), c.reason());
        assertNull(c.descent());
        assertEquals(3, c.stepIndex());
        LOG.info("MiniLM whole-block re-run instead of a descent: rounds {}, bytes {}, referee work {} ms", c.exchange().rounds(),
                c.exchange().bytes(), c.exchange().refereeNanos() / 1e6);
    }

    /**
     * A forger that changes block 3's output in its transcript and witness (and the later blocks'
     * inputs and the header's outputs that read it) but descends with the honest model: its
     * sub-transcript ends at the honest outputs, not at its committed ones, and it loses.
     */
    @Test
    void aForgerWhoseSubTranscriptDoesNotEndAtItsCommittedBlockOutputsLoses() {
        int block = 3;
        Step s = honest.steps().get(block);
        Digest d = s.outputs().get(0);
        WitnessTensor changed = Forger.far(honestWitness.tensor(d), new Random(3));
        Digest d2 = changed.digest();
        List<Step> steps = new ArrayList<>();
        for (Step x : honest.steps()) {
            steps.add(Step.full(x.index(), x.name(), x.inputs().stream().map(y -> y.equals(d) ? d2 : y).toList(),
                    x.outputs().stream().map(y -> y.equals(d) ? d2 : y).toList()));
        }
        TranscriptHeader h = honest.header().withOutputs(honest.header().outputs().stream().map(y -> y.equals(d) ? d2 : y).toList());
        Transcript lie = new Transcript(h, steps, honest.profile());
        Map<Digest, WitnessTensor> extra = new HashMap<>();
        extra.put(d2, changed);
        TensorSource lieWitness = TensorSource.firstOf(List.of(TensorSource.of(extra), TensorSource.of(honestWitness)));
        TranscriptParty liar = new ModelParty(honestVm, input, lie, lieWitness);
        Ruling r = referee().settle(liar, honestParty());
        assertEquals(Ruling.Verdict.SECOND_CORRECT, r.verdict(), r.reason());
        assertEquals(block, r.stepIndex());
        assertTrue(r.reason().contains("committed block boundary"), r.reason());
        assertEquals(-1, r.descent().nodeIndex());
        Ruling r2 = referee().settle(honestParty(), liar);
        assertEquals(Ruling.Verdict.FIRST_CORRECT, r2.verdict(), r2.reason());
    }
}
