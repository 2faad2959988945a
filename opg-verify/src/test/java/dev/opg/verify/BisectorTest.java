package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Digest;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BisectorTest {
    private final Bisector bisector = new Bisector();

    private static int ceilLog2(int n) {
        return 32 - Integer.numberOfLeadingZeros(n - 1);
    }

    /** The transcript with step i's output digest replaced (later steps unchanged). */
    private static Transcript flipOutput(Transcript t, int i) {
        Step s = t.steps().get(i);
        return SyntheticChain.replaceStep(t, i, Step.full(i, s.name(), s.inputs(), List.of(TensorDigestUtil.label("lie" + i))));
    }

    @Test
    void findsTheFirstDifferingStepOfAThousandInLogarithmicQueries() {
        SyntheticChain chain = new SyntheticChain(1000);
        Transcript honest = chain.run(SyntheticChain.tensor(1, 2, 3, 4));
        Random r = new Random(7);
        int bound = 2 * ceilLog2(honest.leafCount()) + 4;
        for (int trial = 0; trial < 50; trial++) {
            int at = trial == 0 ? 0 : trial == 1 ? 999 : r.nextInt(1000);
            Transcript liar = chain.cheatFrom(honest, at, 1f);
            BisectionResult b = bisector.bisect(TranscriptParty.honest(honest), TranscriptParty.honest(liar));
            BisectionResult.FirstDifference d = assertInstanceOf(BisectionResult.FirstDifference.class, b);
            assertEquals(at, d.stepIndex());
            assertTrue(d.queries() <= bound, d.queries() + " queries > " + bound);
        }
    }

    @Test
    void agreesWithALinearScanForEverySizeAndPositionUpToForty() {
        for (int n = 1; n <= 40; n++) {
            SyntheticChain chain = new SyntheticChain(n);
            Transcript honest = chain.run(SyntheticChain.tensor(0.5f));
            for (int at = 0; at < n; at++) {
                for (int second = at; second < n; second += 7) {
                    Transcript t = flipOutput(honest, at);
                    if (second != at) {
                        t = flipOutput(t, second);
                    }
                    BisectionResult b = bisector.bisect(TranscriptParty.honest(honest), TranscriptParty.honest(t));
                    assertEquals(at, assertInstanceOf(BisectionResult.FirstDifference.class, b).stepIndex(), "n=" + n + " at=" + at);
                }
            }
        }
    }

    @Test
    void aTranscriptWithFewerStepsDiffersAtItsFirstMissingStep() {
        Transcript longer = new SyntheticChain(37).run(SyntheticChain.tensor(1));
        Transcript shorter = new Transcript(longer.header(), longer.steps().subList(0, 20), longer.profile());
        BisectionResult b = bisector.bisect(TranscriptParty.honest(longer), TranscriptParty.honest(shorter));
        assertEquals(20, assertInstanceOf(BisectionResult.FirstDifference.class, b).stepIndex());
        b = bisector.bisect(TranscriptParty.honest(shorter), TranscriptParty.honest(longer));
        assertEquals(20, assertInstanceOf(BisectionResult.FirstDifference.class, b).stepIndex());
    }

    @Test
    void equalRootsAreAgreementAfterTwoQueries() {
        Transcript t = new SyntheticChain(9).run(SyntheticChain.tensor(1));
        BisectionResult b = bisector.bisect(TranscriptParty.honest(t), TranscriptParty.honest(t));
        assertEquals(2, assertInstanceOf(BisectionResult.Agreement.class, b).queries());
    }

    @Test
    void differentModelIdsAreAHeaderConflictNotAStepDispute() {
        Transcript t = new SyntheticChain(9).run(SyntheticChain.tensor(1));
        TranscriptHeader h = t.header();
        Transcript other = new Transcript(TranscriptHeader.of(h.mode(), 0, TensorDigestUtil.label("other model"), h.profileDigest(),
                h.inputs(), h.outputs()), t.steps(), t.profile());
        BisectionResult b = bisector.bisect(TranscriptParty.honest(t), TranscriptParty.honest(other));
        assertEquals(HeaderField.MODEL_ID, assertInstanceOf(BisectionResult.HeaderConflict.class, b).field());
    }

    @Test
    void identicalStepsWithDifferentClaimedOutputsAreOutputsOnly() {
        Transcript t = new SyntheticChain(12).run(SyntheticChain.tensor(1));
        TranscriptHeader h = t.header();
        Transcript other = new Transcript(TranscriptHeader.of(h.mode(), 0, h.modelId(), h.profileDigest(), h.inputs(),
                List.of(TensorDigestUtil.label("fake output"))), t.steps(), t.profile());
        assertInstanceOf(BisectionResult.OutputsOnly.class, bisector.bisect(TranscriptParty.honest(t), TranscriptParty.honest(other)));
    }

    @Test
    void aPartyWhoseRevealedChildrenDoNotHashToItsCommitmentIsCaught() {
        SyntheticChain chain = new SyntheticChain(100);
        Transcript honest = chain.run(SyntheticChain.tensor(1));
        Transcript liar = chain.cheatFrom(honest, 60, 1f);
        TranscriptParty real = TranscriptParty.honest(liar);
        TranscriptParty equivocator = new TranscriptParty() {
            @Override
            public Commitment commit() {
                return real.commit();
            }

            @Override
            public HeaderOpening openHeader(int prefixSize) {
                return real.openHeader(prefixSize);
            }

            @Override
            public Children children(int start, int size) {
                Children c = real.children(start, size);
                // Claims its left half matches the honest one, to steer the search away.
                Children h = TranscriptParty.honest(honest).children(start, size);
                return new Children(h.left(), c.right());
            }

            @Override
            public StepOpening openStep(int stepIndex) {
                return real.openStep(stepIndex);
            }
        };
        BisectionResult b = bisector.bisect(TranscriptParty.honest(honest), equivocator);
        BisectionResult.Equivocation e = assertInstanceOf(BisectionResult.Equivocation.class, b);
        assertEquals(BisectionResult.Party.SECOND, e.party());
    }

    @Test
    void aPartyThatThrowsLosesInsteadOfCrashingTheProtocol() {
        Transcript t = new SyntheticChain(5).run(SyntheticChain.tensor(1));
        TranscriptParty broken = new TranscriptParty() {
            @Override
            public Commitment commit() {
                return new Commitment(Digest.of(new byte[32]), 6);
            }

            @Override
            public HeaderOpening openHeader(int prefixSize) {
                throw new IllegalStateException("connection lost");
            }

            @Override
            public Children children(int start, int size) {
                throw new IllegalStateException("connection lost");
            }

            @Override
            public StepOpening openStep(int stepIndex) {
                throw new IllegalStateException("connection lost");
            }
        };
        BisectionResult b = bisector.bisect(broken, TranscriptParty.honest(t));
        assertEquals(BisectionResult.Party.FIRST, assertInstanceOf(BisectionResult.Equivocation.class, b).party());
    }
}
