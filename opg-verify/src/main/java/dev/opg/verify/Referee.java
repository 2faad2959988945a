package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.merkle.MerkleProofs;
import dev.opg.core.merkle.Rfc9162;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.WitnessTensor;
import dev.opg.verify.BisectionResult.Party;
import dev.opg.verify.Ruling.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles a dispute between two transcripts of the same model, input and profile by re-executing
 * exactly one step.
 *
 * <p>The {@link Bisector} finds the first step {@code i} whose leaves differ; every step before it
 * is then identical in both transcripts, so both parties are bound to the same commitments up to
 * {@code i}. Each party opens step {@code i} (and the agreed step {@code i - 1}) with inclusion
 * proofs against its own root. The referee takes the input both parties agree on: the input
 * digests of step {@code i} if both claim the same ones, otherwise the outputs of the agreed step
 * {@code i - 1} (the model's inputs for step 0), which is how a sequential model feeds a step.
 * It fetches those tensors from a {@link TensorSource}, checks each against its digest, runs the
 * step alone with the {@link StepExecutor}, and compares the result with both claims (name,
 * inputs, outputs). A party that cannot open what it committed to loses.
 *
 * <p>FULL-mode transcripts only; a SKETCH-mode dispute is {@link Verdict#UNDECIDED} (sketches
 * bind no step inputs that a witness could be checked against).
 */
public final class Referee {
    private static final Logger LOG = LoggerFactory.getLogger(Referee.class);

    private final StepExecutor executor;
    private final TensorSource tensors;
    private final Bisector bisector = new Bisector();

    /**
     * @param executor runs one step of the disputed model
     * @param tensors where the agreed input tensors are found (a witness of either party, or both)
     */
    public Referee(StepExecutor executor, TensorSource tensors) {
        this.executor = Objects.requireNonNull(executor, "executor");
        this.tensors = Objects.requireNonNull(tensors, "tensors");
    }

    /** Settles a dispute between two transcripts held in full. */
    public Ruling settle(Transcript first, Transcript second) {
        return settle(TranscriptParty.honest(first), TranscriptParty.honest(second));
    }

    /** Runs the bisection between two parties and settles the step it finds. */
    public Ruling settle(TranscriptParty first, TranscriptParty second) {
        BisectionResult b = bisector.bisect(first, second);
        Ruling r = switch (b) {
            case BisectionResult.Agreement a -> new Ruling(Verdict.NO_DISPUTE, b, -1, "the roots are equal");
            case BisectionResult.HeaderConflict h -> new Ruling(Verdict.UNDECIDED, b, -1,
                    "the transcripts describe different runs (header field " + h.field() + " differs); no single step settles that");
            case BisectionResult.Equivocation e -> new Ruling(e.party() == Party.FIRST ? Verdict.SECOND_CORRECT : Verdict.FIRST_CORRECT,
                    b, -1, "the " + e.party().name().toLowerCase(java.util.Locale.ROOT) + " party equivocated: " + e.reason());
            case BisectionResult.OutputsOnly o -> settleOutputs(first, second, b);
            case BisectionResult.FirstDifference d -> settleStep(first, second, b, d.stepIndex());
        };
        LOG.info("dispute settled: {} ({})", r.verdict(), r.reason());
        return r;
    }

    private Ruling settleOutputs(TranscriptParty first, TranscriptParty second, BisectionResult b) {
        Opened a = open(first, Party.FIRST);
        Opened c = open(second, Party.SECOND);
        if (a.failure != null || c.failure != null) {
            return loser(a, c, b, -1);
        }
        int steps = a.count - 1;
        if (steps == 0) {
            return new Ruling(Verdict.UNDECIDED, b, -1, "the transcripts have no steps to check the outputs against");
        }
        Optional<Step> lastA = openStep(first, a, steps - 1);
        Optional<Step> lastC = openStep(second, c, steps - 1);
        if (lastA.isEmpty() || lastC.isEmpty()) {
            return loser(lastA.isEmpty() ? a.fail("could not open its last step") : a,
                    lastC.isEmpty() ? c.fail("could not open its last step") : c, b, -1);
        }
        List<Digest> produced = lastA.get().outputs();
        boolean okA = a.header.outputs().equals(produced);
        boolean okC = c.header.outputs().equals(produced);
        return decide(okA, okC, b, steps - 1, "the agreed last step produced " + TranscriptComparator.hex(produced));
    }

    private Ruling settleStep(TranscriptParty first, TranscriptParty second, BisectionResult b, long stepIndex) {
        Opened a = open(first, Party.FIRST);
        Opened c = open(second, Party.SECOND);
        if (a.failure != null || c.failure != null) {
            return loser(a, c, b, stepIndex);
        }
        if (a.header.mode() != CommitmentMode.FULL) {
            return new Ruling(Verdict.UNDECIDED, b, stepIndex, "SKETCH-mode transcripts bind no step inputs; the referee settles FULL-mode disputes");
        }
        int i = Math.toIntExact(stepIndex);
        Optional<Step> sa = i < a.count - 1 ? openStep(first, a, i) : Optional.empty();
        Optional<Step> sc = i < c.count - 1 ? openStep(second, c, i) : Optional.empty();
        if (a.failure != null || c.failure != null) {
            return loser(a, c, b, stepIndex);
        }
        List<Digest> previous;
        if (i == 0) {
            previous = a.header.inputs();
        } else {
            Optional<Step> pa = openStep(first, a, i - 1);
            Optional<Step> pc = openStep(second, c, i - 1);
            if (a.failure != null || c.failure != null) {
                return loser(a, c, b, stepIndex);
            }
            if (!Rfc9162.leafHash(pa.get().leafData()).equals(Rfc9162.leafHash(pc.get().leafData()))) {
                return new Ruling(Verdict.UNDECIDED, b, stepIndex, "the parties do not agree on step " + (i - 1) + " after all");
            }
            previous = pa.get().outputs();
        }
        List<Digest> agreedInputs = sa.isPresent() && sc.isPresent() && sa.get().inputs().equals(sc.get().inputs())
                ? sa.get().inputs() : previous;
        Optional<String> modelName = executor.stepName(i);
        List<String> names = new ArrayList<>();
        modelName.ifPresentOrElse(names::add, () -> {
            sa.ifPresent(s -> names.add(s.name()));
            sc.ifPresent(s -> { if (!names.contains(s.name())) names.add(s.name()); });
        });
        List<WitnessTensor> inputs = new ArrayList<>();
        for (Digest d : agreedInputs) {
            TensorSource.Fetched f = TensorSource.fetch(tensors, d);
            if (f.corrupt()) {
                return new Ruling(Verdict.UNDECIDED, b, stepIndex, "the agreed input tensor " + d.hex() + " of step " + i
                        + " is not available from the witness (" + f.problem() + ")");
            }
            inputs.add(f.tensor());
        }
        // Re-run the step under each candidate name (one, unless the model cannot name its steps).
        java.util.Map<String, List<Digest>> produced = new java.util.HashMap<>();
        for (String name : names) {
            try {
                List<Digest> out = new ArrayList<>();
                for (WitnessTensor t : executor.run(i, name, inputs)) {
                    out.add(t.digest());
                }
                produced.put(name, out);
            } catch (dev.opg.core.OpgException e) {
                LOG.debug("step {} does not run as '{}': {}", i, name, e.getMessage());
            }
        }
        boolean modelHasStep = !produced.isEmpty();
        boolean okA = claimHolds(sa, agreedInputs, produced, modelHasStep);
        boolean okC = claimHolds(sc, agreedInputs, produced, modelHasStep);
        String what = modelHasStep ? "re-running step " + i + " from the agreed input gave " + describe(produced)
                : "the model has no step " + i + " that runs on the agreed input";
        return decide(okA, okC, b, stepIndex, what);
    }

    private static boolean claimHolds(Optional<Step> claim, List<Digest> agreedInputs, java.util.Map<String, List<Digest>> produced,
            boolean modelHasStep) {
        if (claim.isEmpty()) {
            return !modelHasStep;
        }
        Step s = claim.get();
        List<Digest> out = produced.get(s.name());
        return out != null && s.inputs().equals(agreedInputs) && s.outputs().equals(out);
    }

    private static String describe(java.util.Map<String, List<Digest>> produced) {
        StringBuilder sb = new StringBuilder();
        produced.forEach((n, d) -> sb.append('\'').append(n).append("' -> ").append(TranscriptComparator.hex(d)).append(' '));
        return sb.toString().trim();
    }

    private static Ruling decide(boolean okA, boolean okC, BisectionResult b, long stepIndex, String what) {
        Verdict v = okA && okC ? Verdict.UNDECIDED : okA ? Verdict.FIRST_CORRECT : okC ? Verdict.SECOND_CORRECT : Verdict.BOTH_WRONG;
        String why = okA && okC ? "both claims match re-execution although their leaves differ; " + what : what;
        return new Ruling(v, b, stepIndex, why);
    }

    private static Ruling loser(Opened a, Opened c, BisectionResult b, long stepIndex) {
        if (a.failure != null && c.failure != null) {
            return new Ruling(Verdict.BOTH_WRONG, b, stepIndex, "neither party could open its commitments: " + a.failure + "; " + c.failure);
        }
        return a.failure != null
                ? new Ruling(Verdict.SECOND_CORRECT, b, stepIndex, "the first party could not open its commitments: " + a.failure)
                : new Ruling(Verdict.FIRST_CORRECT, b, stepIndex, "the second party could not open its commitments: " + c.failure);
    }

    /** A party's commitment and header, or why it failed to give them. */
    private static final class Opened {
        Digest root;
        int count;
        TranscriptHeader header;
        String failure;

        Opened fail(String why) {
            failure = failure == null ? why : failure;
            return this;
        }
    }

    private static Opened open(TranscriptParty p, Party who) {
        Opened o = new Opened();
        try {
            TranscriptParty.Commitment c = p.commit();
            o.root = c.root();
            o.count = c.leafCount();
            TranscriptParty.HeaderOpening h = p.openHeader(o.count);
            Digest leaf = Rfc9162.leafHash(h.header().leafData());
            if (!h.prefixRoot().equals(o.root) || !MerkleProofs.verifyInclusion(0, o.count, leaf, h.headerPath(), o.root)) {
                return o.fail("its header does not open against its root");
            }
            o.header = h.header();
        } catch (RuntimeException e) {
            return o.fail("it did not open its header: " + e.getMessage());
        }
        return o;
    }

    private static Optional<Step> openStep(TranscriptParty p, Opened o, int i) {
        try {
            TranscriptParty.StepOpening s = p.openStep(i);
            Digest leaf = Rfc9162.leafHash(s.step().leafData());
            if (s.step().index() != i || s.proof().leafIndex() != i + 1 || s.proof().treeSize() != o.count
                    || !MerkleProofs.verifyInclusion(i + 1, o.count, leaf, s.proof().path(), o.root)) {
                o.fail("its step " + i + " does not open against its root");
                return Optional.empty();
            }
            return Optional.of(s.step());
        } catch (RuntimeException e) {
            o.fail("it did not open step " + i + ": " + e.getMessage());
            return Optional.empty();
        }
    }
}
