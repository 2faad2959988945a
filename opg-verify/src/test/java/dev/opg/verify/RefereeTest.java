package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Digest;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.WitnessTensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RefereeTest {
    private final SyntheticChain chain = new SyntheticChain(1000);
    private final WitnessTensor x = SyntheticChain.tensor(1, 2, 3, 4);
    private final Transcript honest = chain.run(x);

    private Referee referee() {
        return new Referee(chain.reference(x), TensorSource.of(chain.tensors));
    }

    @Test
    void rulesForTheHonestPartyWhicheverSideItIsOn() {
        Transcript liar = chain.cheatFrom(honest, 617, 0.5f);
        Ruling r = referee().settle(honest, liar);
        assertEquals(Ruling.Verdict.FIRST_CORRECT, r.verdict(), r.reason());
        assertEquals(617, r.stepIndex());
        assertEquals(Ruling.Verdict.SECOND_CORRECT, referee().settle(liar, honest).verdict());
    }

    @Test
    void rulesBothWrongWhenNeitherClaimIsWhatTheStepComputes() {
        Transcript a = chain.cheatFrom(honest, 300, 0.5f);
        Transcript b = chain.cheatFrom(honest, 300, -0.25f);
        Ruling r = referee().settle(a, b);
        assertEquals(Ruling.Verdict.BOTH_WRONG, r.verdict(), r.reason());
        assertEquals(300, r.stepIndex());
    }

    @Test
    void aClaimedInputThatIsNotThePreviousOutputLoses() {
        Step s = honest.steps().get(5);
        Transcript liar = SyntheticChain.replaceStep(honest, 5, Step.full(5, s.name(), List.of(TensorDigestUtil.label("x")), s.outputs()));
        assertEquals(Ruling.Verdict.FIRST_CORRECT, referee().settle(honest, liar).verdict());
    }

    @Test
    void aWrongStepNameLoses() {
        Step s = honest.steps().get(0);
        Transcript liar = SyntheticChain.replaceStep(honest, 0, Step.full(0, "layerX", s.inputs(), s.outputs()));
        assertEquals(Ruling.Verdict.SECOND_CORRECT, referee().settle(liar, honest).verdict());
    }

    @Test
    void isUndecidedWhenTheAgreedInputIsMissingOrAlteredInTheWitness() {
        Transcript liar = chain.cheatFrom(honest, 40, 1f);
        Digest input = honest.steps().get(40).inputs().get(0);
        Map<Digest, WitnessTensor> without = new HashMap<>(chain.tensors);
        without.remove(input);
        Ruling r = new Referee(chain.reference(x), TensorSource.of(without)).settle(honest, liar);
        assertEquals(Ruling.Verdict.UNDECIDED, r.verdict());
        assertTrue(r.reason().contains("absent"), r.reason());
        Map<Digest, WitnessTensor> altered = new HashMap<>(chain.tensors);
        altered.put(input, SyntheticChain.tensor(9, 9, 9, 9));
        assertEquals(Ruling.Verdict.UNDECIDED, new Referee(chain.reference(x), TensorSource.of(altered)).settle(honest, liar).verdict());
    }

    @Test
    void outputsOnlyDisputeGoesToTheHeaderThatMatchesTheLastStep() {
        TranscriptHeader h = honest.header();
        Transcript liar = new Transcript(TranscriptHeader.of(h.mode(), 0, h.modelId(), h.profileDigest(), h.inputs(),
                List.of(TensorDigestUtil.label("fake"))), honest.steps(), honest.profile());
        assertEquals(Ruling.Verdict.SECOND_CORRECT, referee().settle(liar, honest).verdict());
    }

    @Test
    void equalTranscriptsAreNoDispute() {
        assertEquals(Ruling.Verdict.NO_DISPUTE, referee().settle(honest, honest).verdict());
    }

    @Test
    void aTruncatedTranscriptLosesAtItsFirstMissingStep() {
        Transcript shorter = new Transcript(honest.header(), honest.steps().subList(0, 999), honest.profile());
        Ruling r = referee().settle(shorter, honest);
        assertEquals(999, r.stepIndex());
        assertEquals(Ruling.Verdict.SECOND_CORRECT, r.verdict(), r.reason());
    }
}
