package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispute cases of a descent (spec section 3.14), run on each real model by a subclass: an
 * honest prover against a forger who proved with a copy of the model in which one weight is
 * changed and who claims the honest model's id (its transcript's header rewritten, the root
 * recomputed). Both are {@link ModelParty ModelParties} at block granularity; the referee holds no
 * witness of its own (every tensor it needs comes from a party) and runs the honest model.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DescentCases {
    private static final Logger LOG = LoggerFactory.getLogger(DescentCases.class);

    /** What a subclass proves: the honest and the altered model (block granularity, FULL, witness), the input, the referee's reference. */
    protected VerifiableModel honestVm;
    protected VerifiableModel alteredVm;
    protected NDList input;
    protected DjlReference reference;
    protected Transcript honest;
    protected Witness honestWitness;
    protected Transcript forged;
    protected Witness forgedWitness;

    /** The model's name in the log. */
    protected abstract String label();

    /** The block the changed weight is in. */
    protected abstract int alteredBlock();

    /** Whether {@code name} is the node step the changed weight makes differ first (the node the ruling must name). */
    protected abstract boolean isAlteredNode(String name);

    /** Proves with both models and makes the forger's transcript claim the honest model id. */
    protected void proveBoth() {
        assertNotEquals(honestVm.modelId(), alteredVm.modelId());
        Prediction<NDList> h = honestVm.predict(input);
        honest = h.transcript();
        honestWitness = h.witness().orElseThrow();
        Prediction<NDList> f = alteredVm.predict(input);
        forged = new Transcript(f.transcript().header().withModelId(honestVm.modelId()), f.transcript().steps(), f.transcript().profile());
        forgedWitness = f.witness().orElseThrow();
        h.output().close();
        f.output().close();
        assertEquals(Granularity.BLOCK, honest.header().granularity());
        assertTrue(honest.steps().size() > 1 && honest.steps().size() < 50, honest.steps().size() + " blocks");
    }

    protected TranscriptParty honestParty() {
        return new ModelParty(honestVm, input, honest, honestWitness);
    }

    protected TranscriptParty forgerParty() {
        return new ModelParty(alteredVm, input, forged, forgedWitness);
    }

    /** A referee that holds no witness: every tensor it needs comes from a party. */
    protected Referee referee() {
        return new Referee(reference, d -> Optional.empty());
    }

    static int bound(int leaves) {
        return 2 * (32 - Integer.numberOfLeadingZeros(Math.max(1, leaves - 1))) + 4;
    }

    @Test
    void theDisputeDescendsToTheOneNodeTheForgerAlteredAndTheHonestPartyWinsOnEitherSide() {
        int block = alteredBlock();
        for (boolean honestFirst : new boolean[] {true, false}) {
            long t0 = System.nanoTime();
            Ruling r = honestFirst ? referee().settle(honestParty(), forgerParty()) : referee().settle(forgerParty(), honestParty());
            double wall = (System.nanoTime() - t0) / 1e6;
            assertEquals(honestFirst ? Ruling.Verdict.FIRST_CORRECT : Ruling.Verdict.SECOND_CORRECT, r.verdict(), r.reason());
            assertTrue(r.bisection() instanceof BisectionResult.FirstDifference f && f.stepIndex() == block, r.bisection().toString());
            assertEquals(block, r.stepIndex());
            Ruling.Descent d = r.descended().orElseThrow(() -> new AssertionError("no descent: " + r.reason()));
            assertEquals(block, d.blockIndex());
            assertEquals(honest.steps().get(block).name(), d.blockName());
            assertTrue(isAlteredNode(d.nodeName()), d.nodeName() + ": " + r.reason());
            assertTrue(d.nodeIndex() >= 0);
            assertTrue(d.bisection() instanceof BisectionResult.FirstDifference fd && fd.stepIndex() == d.nodeIndex(), r.reason());
            Ruling.Exchange x = r.exchange();
            assertEquals(r.bisection().queries() + d.queries(), x.rounds());
            assertTrue(r.bisection().queries() <= bound(honest.leafCount()), r.bisection().queries() + " main queries");
            int subLeaves = reference.at(honest.header()).descend(block, honest.steps().get(block).inputs()).dataflow().steps().size() + 1;
            assertTrue(d.queries() <= bound(subLeaves), d.queries() + " sub-transcript queries over " + subLeaves + " leaves");
            assertTrue(x.hashBytes() > 0 && x.leafBytes() > 0, x.toString());
            LOG.info("{} descent ({} first): block {} of {} ('{}'), node {} of {} ('{}'); rounds {} ({} + {}), bytes {} (hashes {}, "
                    + "leaves {}, tensors {}), referee work {} ms; whole settle {} ms (both parties' descents and the referee's node "
                    + "plan included)", label(), honestFirst ? "honest" : "forger", d.blockIndex(), honest.steps().size(), d.blockName(),
                    d.nodeIndex(), subLeaves - 1, d.nodeName(), x.rounds(), r.bisection().queries(), d.queries(), x.bytes(),
                    x.hashBytes(), x.leafBytes(), x.tensorBytes(), x.refereeNanos() / 1e6, wall);
        }
    }

    @Test
    void honestAgainstHonestIsNoDispute() {
        Ruling r = referee().settle(honestParty(), honestParty());
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
        assertEquals(alteredBlock(), c.stepIndex());
        LOG.info("{} whole-block re-run instead of a descent: rounds {}, bytes {}, referee work {} ms", label(), c.exchange().rounds(),
                c.exchange().bytes(), c.exchange().refereeNanos() / 1e6);
    }

    /**
     * A forger that changes the altered block's first output in its transcript and witness (and
     * wherever a later block or the header reads it) but descends with the honest model: its
     * sub-transcript ends at the honest outputs, not at its committed ones, and it loses.
     */
    @Test
    void aForgerWhoseSubTranscriptDoesNotEndAtItsCommittedBlockOutputsLoses() {
        int block = alteredBlock();
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
        TensorSource lieWitness = TensorSource.firstOf(List.of(TensorSource.of(Map.of(d2, changed)), TensorSource.of(honestWitness)));
        TranscriptParty liar = new ModelParty(honestVm, input, lie, lieWitness);
        Ruling r = referee().settle(liar, honestParty());
        assertEquals(Ruling.Verdict.SECOND_CORRECT, r.verdict(), r.reason());
        assertEquals(block, r.stepIndex());
        assertTrue(r.reason().contains("committed block boundary"), r.reason());
        assertEquals(-1, r.descent().nodeIndex());
        Ruling r2 = referee().settle(honestParty(), liar);
        assertEquals(Ruling.Verdict.FIRST_CORRECT, r2.verdict(), r2.reason());
    }

    /** The honest model's descent into {@code block}, recorded from the block inputs in the honest witness. */
    private Prediction<NDList> honestDescent(int block) {
        try (ai.djl.ndarray.NDManager scope = honestVm.model().getNDManager().newSubManager();
                VerifiableModel down = honestVm.descend(input, block, dev.opg.core.djl.RecordingOptions.full().withWitness())) {
            NDList in = new NDList();
            for (Digest d : honest.steps().get(block).inputs()) {
                in.add(honestWitness.tensor(d).toNDArray(scope));
            }
            Prediction<NDList> p = down.predict(in);
            return new Prediction<>(null, p.transcript(), p.witness());
        }
    }

    /** A party that answers from {@code main} and, asked to descend into any block, answers from {@code sub}. */
    private static TranscriptParty descendingTo(Transcript main, TensorSource witness, Transcript sub, TensorSource subWitness) {
        TranscriptParty top = TranscriptParty.honest(main, witness);
        return new TranscriptParty() {
            @Override
            public Commitment commit() {
                return top.commit();
            }

            @Override
            public HeaderOpening openHeader(int prefixSize) {
                return top.openHeader(prefixSize);
            }

            @Override
            public Children children(int start, int size) {
                return top.children(start, size);
            }

            @Override
            public StepOpening openStep(int stepIndex) {
                return top.openStep(stepIndex);
            }

            @Override
            public TensorSource witness() {
                return witness;
            }

            @Override
            public TranscriptParty descend(int stepIndex) {
                return TranscriptParty.honest(sub, subWitness);
            }
        };
    }

    /**
     * The forger's sub-transcript is the honest node run with only its header rewritten (root
     * recomputed) to end at the forger's committed block outputs: every node agrees with the
     * honest party's and only the claimed outputs differ, which the model's wiring over the agreed
     * nodes refutes. Rewriting the scope or the inputs instead is off the committed boundary.
     */
    @Test
    void aSubTranscriptWhoseHeaderAloneEndsAtTheForgersOutputsLoses() {
        int block = alteredBlock();
        Prediction<NDList> p = honestDescent(block);
        Transcript sub = p.transcript();
        TensorSource subWitness = TensorSource.of(p.witness().orElseThrow());
        assertEquals(honest.steps().get(block).outputs(), sub.header().outputs(), "the honest descent ends at the honest block outputs");
        List<Digest> claimed = forged.steps().get(block).outputs();
        Transcript lying = new Transcript(sub.header().withOutputs(claimed), sub.steps(), sub.profile());
        TranscriptParty forger = descendingTo(forged, TensorSource.of(forgedWitness), lying, subWitness);
        for (boolean honestFirst : new boolean[] {true, false}) {
            Ruling r = honestFirst ? referee().settle(honestParty(), forger) : referee().settle(forger, honestParty());
            assertEquals(honestFirst ? Ruling.Verdict.FIRST_CORRECT : Ruling.Verdict.SECOND_CORRECT, r.verdict(), r.reason());
            Ruling.Descent d = r.descended().orElseThrow(() -> new AssertionError(r.reason()));
            assertTrue(d.bisection() instanceof BisectionResult.OutputsOnly, d.bisection() + ": " + r.reason());
        }
        TranscriptHeader h = sub.header();
        List<Transcript> offBoundary = List.of(
                new Transcript(new TranscriptHeader(h.version(), h.mode(), h.sketchDimension(), Granularity.NODE, "another block", h.cuts(),
                        h.modelId(), h.profileDigest(), h.inputNames(), h.inputs(), claimed), sub.steps(), sub.profile()),
                new Transcript(h.withInputs(h.inputNames(), h.inputs().stream().map(x -> claimed.get(0)).toList()).withOutputs(claimed),
                        sub.steps(), sub.profile()));
        for (Transcript off : offBoundary) {
            Ruling r = referee().settle(descendingTo(forged, TensorSource.of(forgedWitness), off, subWitness), honestParty());
            assertEquals(Ruling.Verdict.SECOND_CORRECT, r.verdict(), r.reason());
            assertTrue(r.reason().contains("committed block boundary"), r.reason());
        }
    }
}
