package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.OpgException;
import dev.opg.core.merkle.MerkleProofs;
import dev.opg.core.merkle.Rfc9162;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.WitnessTensor;
import dev.opg.verify.BisectionResult.Party;
import dev.opg.verify.Ruling.Verdict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles a dispute between two transcripts against the model and the input alone
 * ({@link Reference}), re-executing one step in FULL mode.
 *
 * <p>In order:
 * <ol>
 *   <li>The {@link Bisector} finds the first step {@code i} whose leaves differ (every step before
 *       it is identical in both transcripts), or that only the headers' outputs differ; a party
 *       that contradicts its own commitments loses.</li>
 *   <li>Each header is checked against the terms of the dispute: the referee's model id, the
 *       digests of the given input, and the referee's profile. A party off the terms loses. If
 *       both are off only in the profile, and in the same one, the referee refuses
 *       ({@link DisputeRefusedException}: re-run it under that profile), which no single party
 *       can bring about. If the parties committed in different modes or sketch dimensions, each
 *       transcript is right iff it is the referee's own re-execution in its mode (root and leaf
 *       count), so changing mode cannot stop a dispute.</li>
 *   <li>FULL mode, step {@code i}: what the step must be comes from the model's dataflow for this
 *       input: its name, its inputs (the outputs of the agreed earlier steps the model wires to it,
 *       or model inputs), and its outputs (the referee runs that one step on those tensors, taken
 *       from the input and the parties' witnesses and checked against their digests). A party is
 *       right iff its leaf {@code i} is exactly that step; a step the model does not run (extra,
 *       renamed, re-ordered, rewired) is never right; a transcript that ends where the model goes
 *       on is never right; one that ends where the model ends is right iff its header's outputs
 *       are the values the model returns, by the model's wiring over its agreed steps.</li>
 *   <li>FULL mode at block or output granularity, when both parties' leaf {@code i} is the block
 *       the dataflow requires (name, agreed inputs) and they differ only in its outputs, the
 *       dispute descends (spec section 3.14): each party re-runs that block at node granularity
 *       from the agreed inputs ({@link TranscriptParty#descend}), its sub-transcript must start at
 *       those inputs and end at the party's own committed block outputs (a party that cannot
 *       descend, or whose sub-transcript is off its committed boundary, loses), and the two
 *       sub-transcripts are bisected and settled as above against the node-level dataflow inside
 *       the block ({@link Reference#descend}), re-running one node. The referee's work stays one
 *       operator and the rounds O(log n) in the number of nodes. Where only one party's leaf
 *       {@code i} is as the dataflow requires (the other's is wrong whatever the block computes),
 *       where the reference cannot descend, or where neither party can, the referee re-runs the
 *       block whole instead, as before descents existed.</li>
 *   <li>SKETCH mode: the referee re-executes the whole model in SKETCH mode under the agreed
 *       profile and compares leaf {@code i} (or the header's outputs) with its own, bit for bit.</li>
 * </ol>
 * The {@link Ruling} reports the descent ({@link Ruling#descent()}: the block, the node it ended
 * at) and what the dispute cost ({@link Ruling#exchange()}: rounds, bytes, the referee's own
 * execution time).
 * A party that cannot open what it committed to loses; every opening is checked against the
 * commitment the party gave the bisection (asked again, it repeats it), so a party cannot bisect
 * with one tree and show the referee another. {@link Verdict#UNDECIDED} remains only
 * where the agreed tensors needed to re-run step {@code i} are in no witness or the step cannot
 * run on them; neither can a single party bring that about when the other gives its witness.
 */
public final class Referee {
    private static final Logger LOG = LoggerFactory.getLogger(Referee.class);

    private final Reference reference;
    private final TensorSource tensors;
    private final Bisector bisector = new Bisector();
    /** The reference at the granularity and partition the parties agreed on (set per dispute). */
    private Reference current;
    /** What the dispute in progress has cost so far (set per dispute; shared with a descent's referee). */
    private Tally tally;
    /** {@link #tensors}, counted into {@link #tally} (set per dispute). */
    private TensorSource counted;

    /**
     * @param reference the model and input the dispute is about, under the referee's profile
     * @param tensors where the agreed step tensors are found (a witness of either party, or both);
     *     the parties' own {@link TranscriptParty#witness() witnesses} are asked after it
     */
    public Referee(Reference reference, TensorSource tensors) {
        this.reference = Objects.requireNonNull(reference, "reference");
        this.tensors = Objects.requireNonNull(tensors, "tensors");
    }

    /** The referee of a descent: its reference is the block's, its tensors already counted into the dispute's tally. */
    private Referee(Reference reference, TensorSource counted, Tally tally) {
        this(reference, counted);
        this.tally = tally;
        this.counted = counted;
    }

    /** Settles a dispute between two transcripts held in full. */
    public Ruling settle(Transcript first, Transcript second) {
        return settle(TranscriptParty.honest(first), TranscriptParty.honest(second));
    }

    /**
     * Runs the bisection between two parties and settles what it finds.
     *
     * @throws DisputeRefusedException where the referee cannot rule under its own terms (see the class comment)
     */
    public Ruling settle(TranscriptParty firstParty, TranscriptParty secondParty) {
        tally = new Tally();
        counted = tally.counting(tensors);
        // A party is held to the commitment it bisected with: asked again, it could show the referee
        // another tree (the honest one) and turn its lie into "both right" (UNDECIDED).
        TranscriptParty first = new Pinned(firstParty, tally);
        TranscriptParty second = new Pinned(secondParty, tally);
        Ruling r = rule(first, second);
        r = r.withExchange(tally.exchange(r));
        Ruling.Exchange x = r.exchange();
        if (r.descent() != null) {
            LOG.info("dispute settled: {} at block {} ('{}'), node {} ('{}'); {} rounds, {} bytes, referee work {} ms ({})", r.verdict(),
                    r.descent().blockIndex(), r.descent().blockName(), r.descent().nodeIndex(), r.descent().nodeName(), x.rounds(),
                    x.bytes(), x.refereeNanos() / 1_000_000, r.reason());
        } else {
            LOG.info("dispute settled: {}; {} rounds, {} bytes, referee work {} ms ({})", r.verdict(), x.rounds(), x.bytes(),
                    x.refereeNanos() / 1_000_000, r.reason());
        }
        return r;
    }

    /** Bisects two pinned parties and settles what the bisection finds. */
    private Ruling rule(TranscriptParty first, TranscriptParty second) {
        BisectionResult b = bisector.bisect(first, second);
        return switch (b) {
            case BisectionResult.Agreement a -> new Ruling(Verdict.NO_DISPUTE, b, -1, "the roots are equal");
            case BisectionResult.Equivocation e -> new Ruling(e.party() == Party.FIRST ? Verdict.SECOND_CORRECT : Verdict.FIRST_CORRECT,
                    b, -1, "the " + e.party().name().toLowerCase(Locale.ROOT) + " party equivocated: " + e.reason());
            default -> settleDispute(first, second, b);
        };
    }

    private Ruling settleDispute(TranscriptParty first, TranscriptParty second, BisectionResult b) {
        Opened a = open(first);
        Opened c = open(second);
        if (a.failure != null || c.failure != null) {
            return loser(a, c, b, -1);
        }
        List<String> offA = offTerms(a.header);
        List<String> offC = offTerms(c.header);
        if (!offA.isEmpty() || !offC.isEmpty()) {
            if (!offA.isEmpty() && !offC.isEmpty()) {
                if (offA.equals(List.of("profile")) && offC.equals(offA) && a.header.profileDigest().equals(c.header.profileDigest())) {
                    throw new DisputeRefusedException("both transcripts are under profile " + a.header.profileDigest().hex()
                            + " and the referee runs under " + reference.profileDigest().hex()
                            + "; re-run the referee under the transcripts' profile (opg bisect starts a child JVM for that where it can)");
                }
                return new Ruling(Verdict.BOTH_WRONG, b, -1, "neither transcript is about the disputed run: the first differs in "
                        + offA + ", the second in " + offC);
            }
            boolean firstOff = !offA.isEmpty();
            return new Ruling(firstOff ? Verdict.SECOND_CORRECT : Verdict.FIRST_CORRECT, b, -1, "the " + (firstOff ? "first" : "second")
                    + " party's header is not about the disputed run: its " + (firstOff ? offA : offC)
                    + " differ from the referee's model, input and profile");
        }
        if (b instanceof BisectionResult.HeaderConflict h && (h.field() == HeaderField.MODE || h.field() == HeaderField.SKETCH_DIMENSION
                || h.field() == HeaderField.GRANULARITY)) {
            // Refusing here would let a cheater stop any dispute by committing in the other mode.
            return settleByReexecution(a, c, b);
        }
        if (b instanceof BisectionResult.HeaderConflict h) {
            throw new DisputeRefusedException("the transcripts differ in " + h.field() + " (one commits in another mode or sketch "
                    + "dimension than the other); a referee compares transcripts of one mode: check each with opg verify");
        }
        try {
            current = reference.at(a.header);
            current.dataflow();
        } catch (dev.opg.core.MalformedInputException e) {
            return new Ruling(Verdict.BOTH_WRONG, b, -1, "both transcripts record a partition the model cannot have on this input: "
                    + e.getMessage());
        }
        Expectation x = a.header.mode() == CommitmentMode.FULL ? new Full() : new Sketched(a.header);
        return switch (b) {
            case BisectionResult.FirstDifference d -> settleStep(first, second, a, c, b, Math.toIntExact(d.stepIndex()), x);
            case BisectionResult.OutputsOnly o -> settleOutputs(first, second, a, c, b, x);
            default -> throw new IllegalStateException("unexpected bisection result " + b);
        };
    }

    /**
     * Two transcripts of the agreed model, input and profile committed in different modes (or
     * sketch dimensions) share no leaf to bisect to; each is judged whole: it is right iff it is,
     * root and leaf count, the referee's own re-execution in that party's mode and dimension.
     */
    private Ruling settleByReexecution(Opened a, Opened c, BisectionResult b) {
        boolean okA = isReexecution(a);
        boolean okC = isReexecution(c);
        String what = "the transcripts are in different modes or sketch dimensions (" + a.header.mode() + "/" + a.header.sketchDimension()
                + ", " + c.header.mode() + "/" + c.header.sketchDimension() + "); each was compared whole with the referee's own "
                + "re-execution in its mode";
        if (okA && okC) {
            return new Ruling(Verdict.UNDECIDED, b, -1, "both transcripts are the referee's re-execution, each in its own mode; "
                    + "there is nothing to decide between them: " + what);
        }
        return decide(okA, okC, b, -1, what);
    }

    private boolean isReexecution(Opened o) {
        Transcript mine = tally.timed(() -> reference.reexecute(dev.opg.core.djl.RecordingOptions.of(o.header, false)));
        return mine.root().equals(o.root) && mine.leafCount() == o.count;
    }

    /** The terms of the dispute a header departs from: {@code model id}, {@code inputs}, {@code profile}, {@code scope}. */
    private List<String> offTerms(TranscriptHeader h) {
        Dataflow flow = reference.dataflow();
        List<String> off = new ArrayList<>();
        if (!h.scope().equals(reference.scope())) {
            off.add("scope");
        }
        if (!h.modelId().equals(flow.modelId())) {
            off.add("model id");
        }
        if (!flow.inputsMatch(h)) {
            off.add("inputs");
        }
        if (!h.profileDigest().equals(reference.profileDigest())) {
            off.add("profile");
        }
        return off;
    }

    private Ruling settleStep(TranscriptParty first, TranscriptParty second, Opened a, Opened c, BisectionResult b, int i, Expectation x) {
        Optional<Step> sa = i < a.count - 1 ? openStep(first, a, i) : Optional.empty();
        Optional<Step> sc = i < c.count - 1 ? openStep(second, c, i) : Optional.empty();
        if (a.failure != null || c.failure != null) {
            return loser(a, c, b, i);
        }
        Dataflow flow = current.dataflow();
        if (i >= flow.steps().size()) {
            // The model has no step i: a party that has one is wrong; one that ends here must return the model's outputs.
            if (i > flow.steps().size()) {
                return new Ruling(Verdict.BOTH_WRONG, b, i, "both transcripts agree on steps beyond the " + flow.steps().size()
                        + " the model runs on this input");
            }
            Outcome oa = sa.isPresent() ? Outcome.wrong() : x.outputsHold(first, a, i);
            Outcome oc = sc.isPresent() ? Outcome.wrong() : x.outputsHold(second, c, i);
            if (oa.failed(a) || oc.failed(c)) {
                return loser(a, c, b, i);
            }
            return decide(oa.ok, oc.ok, b, i, "the model runs " + flow.steps().size() + " steps on this input; a step " + i
                    + " is not one of them" + oa.note(" (first: ") + oc.note(" (second: "));
        }
        if (x instanceof Full && a.header.granularity() != Granularity.NODE && sa.isPresent() && sc.isPresent()) {
            Optional<Ruling> d = descend(first, second, a, c, b, i, sa.get(), sc.get());
            if (d.isPresent()) {
                return d.get();
            }
            if (a.failure != null || c.failure != null) {
                return loser(a, c, b, i);
            }
        }
        Expected e = x.step(first, second, a, c, i);
        if (e.ruling != null) {
            return e.ruling.apply(b);
        }
        if (a.failure != null || c.failure != null) {
            return loser(a, c, b, i);
        }
        boolean okA = sa.isPresent() && Arrays.equals(sa.get().leafData(), e.step.leafData());
        boolean okC = sc.isPresent() && Arrays.equals(sc.get().leafData(), e.step.leafData());
        return decide(okA, okC, b, i, "step " + i + " as the model runs it on this input is '" + e.step.name() + "' "
                + e.how + describe(sa, "first") + describe(sc, "second"));
    }

    private Ruling settleOutputs(TranscriptParty first, TranscriptParty second, Opened a, Opened c, BisectionResult b, Expectation x) {
        int steps = a.count - 1;
        Dataflow flow = current.dataflow();
        if (steps != flow.steps().size()) {
            return new Ruling(Verdict.BOTH_WRONG, b, -1, "both transcripts have " + steps + " steps; the model runs "
                    + flow.steps().size() + " on this input");
        }
        Outcome oa = x.outputsHold(first, a, steps);
        Outcome oc = x.outputsHold(second, c, steps);
        if (oa.failed(a) || oc.failed(c)) {
            return loser(a, c, b, -1);
        }
        return decide(oa.ok, oc.ok, b, steps - 1, "the model returns " + oa.expected);
    }

    private static String describe(Optional<Step> s, String who) {
        return s.map(st -> "; the " + who + " party claims '" + st.name() + "' with inputs " + TranscriptComparator.hex(st.inputs())
                + " and outputs " + TranscriptComparator.hex(st.outputs())).orElse("; the " + who + " party has no step there");
    }

    /** Whether a party's header outputs hold, or why the party failed to show. */
    private record Outcome(boolean ok, String expected, String failure) {
        static Outcome wrong() {
            return new Outcome(false, "", null);
        }

        boolean failed(Opened o) {
            if (failure != null) {
                o.fail(failure);
                return true;
            }
            return false;
        }

        String note(String prefix) {
            return expected.isEmpty() ? "" : prefix + "the model returns " + expected + ")";
        }
    }

    /** What step i must be, or a ruling made while finding out. */
    private record Expected(Step step, String how, java.util.function.Function<BisectionResult, Ruling> ruling) {}

    /** How the referee learns what a step or the outputs must be, per commitment mode. */
    private interface Expectation {
        Expected step(TranscriptParty first, TranscriptParty second, Opened a, Opened c, int i);

        /** Whether the header outputs of a party with {@code steps} (agreed) steps are what the model returns. */
        Outcome outputsHold(TranscriptParty p, Opened o, int steps);
    }

    /** FULL mode: the dataflow names the step and its inputs; one step is re-run. */
    private final class Full implements Expectation {
        @Override
        public Expected step(TranscriptParty first, TranscriptParty second, Opened a, Opened c, int i) {
            Dataflow flow = current.dataflow();
            Dataflow.PlannedStep planned = flow.steps().get(i);
            Step[] prefix = new Step[i];
            for (int j : Dataflow.stepsRead(planned.inputs())) {
                Optional<Step> pa = openStep(first, a, j);
                Optional<Step> pc = openStep(second, c, j);
                if (pa.isEmpty() || pc.isEmpty()) {
                    return new Expected(null, "", null);
                }
                if (!Arrays.equals(pa.get().leafData(), pc.get().leafData())) {
                    return new Expected(null, "", r -> new Ruling(Verdict.UNDECIDED, r, i, "the parties do not agree on step " + j
                            + " after all"));
                }
                prefix[j] = pa.get();
            }
            List<Digest> ins = flow.inputsOf(i, flow.inputs(), Arrays.asList(prefix));
            if (ins == null) {
                return new Expected(null, "", r -> new Ruling(Verdict.BOTH_WRONG, r, i, "the agreed steps before step " + i
                        + " lack an output the model wires to it"));
            }
            List<WitnessTensor> inputs = new ArrayList<>();
            for (Digest d : ins) {
                TensorSource.Fetched f = TensorSource.fetch(current.inputs(), d);
                if (f.corrupt()) {
                    f = TensorSource.fetch(witnesses(first, second), d);
                }
                if (f.corrupt()) {
                    String why = f.problem();
                    return new Expected(null, "", r -> new Ruling(Verdict.UNDECIDED, r, i, "the agreed input tensor " + d.hex()
                            + " of step " + i + " is not available from the witness (" + why + ")"));
                }
                inputs.add(f.tensor());
            }
            List<Digest> outs;
            try {
                List<WitnessTensor> in = inputs;
                outs = tally.timed(() -> current.executor().runDigests(i, planned.name(), in));
            } catch (OpgException e) {
                return new Expected(null, "", r -> new Ruling(Verdict.UNDECIDED, r, i, "step " + i + " ('" + planned.name()
                        + "') does not run on its agreed inputs: " + e.getMessage()));
            }
            Step expected = Step.full(i, planned.name(), ins, outs);
            return new Expected(expected, "reading " + TranscriptComparator.hex(ins) + " and computing " + TranscriptComparator.hex(outs),
                    null);
        }

        @Override
        public Outcome outputsHold(TranscriptParty p, Opened o, int steps) {
            Dataflow flow = current.dataflow();
            Step[] all = new Step[steps];
            for (int j : Dataflow.stepsRead(flow.outputs())) {
                if (j >= steps) {
                    return Outcome.wrong();
                }
                Optional<Step> s = openStep(p, o, j);
                if (s.isEmpty()) {
                    return new Outcome(false, "", o.failure);
                }
                all[j] = s.get();
            }
            List<Digest> expected = flow.outputsOf(flow.inputs(), Arrays.asList(all));
            if (expected == null) {
                return Outcome.wrong();
            }
            return new Outcome(o.header.outputs().equals(expected), TranscriptComparator.hex(expected), null);
        }
    }

    /** SKETCH mode: the referee's own SKETCH transcript, made once, is what each leaf must be. */
    private final class Sketched implements Expectation {
        private final dev.opg.core.djl.RecordingOptions options;
        private Transcript mine;

        Sketched(TranscriptHeader h) {
            this.options = dev.opg.core.djl.RecordingOptions.of(h, false);
        }

        private Transcript mine() {
            if (mine == null) {
                mine = tally.timed(() -> reference.reexecute(options));
            }
            return mine;
        }

        @Override
        public Expected step(TranscriptParty first, TranscriptParty second, Opened a, Opened c, int i) {
            Transcript t = mine();
            if (i >= t.steps().size()) {
                return new Expected(null, "", r -> new Ruling(Verdict.BOTH_WRONG, r, i, "the referee's re-execution has no step " + i));
            }
            return new Expected(t.steps().get(i), "with the sketches of the referee's own SKETCH-mode re-execution", null);
        }

        @Override
        public Outcome outputsHold(TranscriptParty p, Opened o, int steps) {
            Transcript t = mine();
            List<Digest> expected = t.header().outputs();
            return new Outcome(steps == t.steps().size() && o.header.outputs().equals(expected), TranscriptComparator.hex(expected), null);
        }
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

    /** The tensors the referee may fetch in this dispute: those it was given, then each party's witness. */
    private TensorSource witnesses(TranscriptParty first, TranscriptParty second) {
        return TensorSource.firstOf(List.of(counted, first.witness(), second.witness()));
    }

    // ------------------------------------------------------------------------------------------
    // Descent (spec section 3.14)

    /**
     * FULL mode at block or output granularity, both parties' leaf {@code i} as the dataflow
     * requires it (name, inputs from the agreed steps, output count): the parties differ only in
     * the block's outputs, so the referee descends instead of re-running the whole block. Each
     * party re-runs the block at node granularity from the agreed inputs
     * ({@link TranscriptParty#descend}); its sub-transcript's header must be at node granularity,
     * scoped to the block, about the dispute's model and profile, bound to the block's inputs
     * ({@link dev.opg.core.transcript.Blocks#descentInputNames}) and end at the party's own
     * committed block outputs. A party that cannot descend, or whose sub-transcript is off its
     * committed boundary, loses; the two sub-transcripts are then bisected and settled like any
     * node-granularity dispute against the reference's {@linkplain Reference#descend descent},
     * re-running one node.
     *
     * @return empty where the referee re-runs the block whole instead: one party's leaf is not
     *     as the dataflow requires (that party is wrong whatever the block computes), the
     *     reference cannot descend, or neither party can descend (no one is prejudiced)
     */
    private Optional<Ruling> descend(TranscriptParty first, TranscriptParty second, Opened a, Opened c, BisectionResult b, int i,
            Step sa, Step sc) {
        Dataflow flow = current.dataflow();
        Dataflow.PlannedStep planned = flow.steps().get(i);
        Step[] prefix = new Step[i];
        for (int j : Dataflow.stepsRead(planned.inputs())) {
            Optional<Step> pa = openStep(first, a, j);
            Optional<Step> pc = openStep(second, c, j);
            if (pa.isEmpty() || pc.isEmpty() || !Arrays.equals(pa.get().leafData(), pc.get().leafData())) {
                return Optional.empty();
            }
            prefix[j] = pa.get();
        }
        List<Step> before = Arrays.asList(prefix);
        if (flow.checkStep(i, sa, a.header, before, true).isPresent() || flow.checkStep(i, sc, c.header, before, true).isPresent()) {
            return Optional.empty();
        }
        List<Digest> ins = sa.inputs();
        Reference inside;
        try {
            inside = current.descend(i, ins);
        } catch (UnsupportedOperationException | OpgException e) {
            LOG.warn("the referee cannot descend into block {} ('{}'); it re-runs the block whole: {}", i, planned.name(), e.getMessage());
            return Optional.empty();
        }
        String block = planned.name();
        Down da = down(first, i, sa, inside);
        Down dc = down(second, i, sc, inside);
        if (da.cannot && dc.cannot) {
            LOG.info("neither party can descend into block {} ('{}'); the referee re-runs the block whole", i, block);
            return Optional.empty();
        }
        String where = "block " + i + " ('" + block + "'): both parties' leaves read the inputs the model wires to it and differ in "
                + "its outputs; ";
        if (da.failure != null || dc.failure != null) {
            Ruling.Descent d = new Ruling.Descent(i, block, -1, "", null);
            if (da.failure != null && dc.failure != null) {
                return Optional.of(new Ruling(Verdict.BOTH_WRONG, b, i, where + "neither party descended into it: the first "
                        + da.failure + "; the second " + dc.failure).withDescent(d));
            }
            boolean firstFailed = da.failure != null;
            return Optional.of(new Ruling(firstFailed ? Verdict.SECOND_CORRECT : Verdict.FIRST_CORRECT, b, i, where + "the "
                    + (firstFailed ? "first party " + da.failure : "second party " + dc.failure)).withDescent(d));
        }
        TensorSource subTensors = TensorSource.firstOf(List.of(counted, first.witness(), second.witness()));
        Referee sub = new Referee(inside, subTensors, tally);
        Ruling r = sub.rule(da.party, dc.party);
        long node = r.stepIndex();
        String nodeName = node >= 0 && node < inside.dataflow().steps().size() ? inside.dataflow().steps().get((int) node).name() : "";
        Verdict v = r.verdict() == Verdict.NO_DISPUTE ? Verdict.UNDECIDED : r.verdict();
        String why = r.verdict() == Verdict.NO_DISPUTE ? "the sub-transcripts agree although the blocks' outputs differ" : r.reason();
        Ruling.Descent d = new Ruling.Descent(i, block, nodeName.isEmpty() ? -1 : node, nodeName, r.bisection());
        return Optional.of(new Ruling(v, b, i, where + "each party re-ran it at node granularity from those inputs; inside it, "
                + (nodeName.isEmpty() ? "" : "node " + node + " ('" + nodeName + "'): ") + why).withDescent(d));
    }

    /** A party's descent: its sub-party (pinned), or why it failed (with {@code cannot} where it did not descend at all). */
    private record Down(TranscriptParty party, String failure, boolean cannot) {}

    /** Asks {@code p} to descend into block {@code i} and checks its sub-transcript's header against the terms and its own leaf. */
    private Down down(TranscriptParty p, int i, Step leaf, Reference inside) {
        TranscriptParty sub;
        try {
            sub = p.descend(i);
        } catch (RuntimeException e) {
            return new Down(null, "cannot descend into it: " + e.getMessage(), true);
        }
        if (sub == null) {
            return new Down(null, "cannot descend into it: it gave no sub-transcript", true);
        }
        Opened o = open(sub);
        if (o.failure != null) {
            return new Down(null, "descended but its sub-transcript does not open: " + o.failure, false);
        }
        TranscriptHeader h = o.header;
        Dataflow inner = inside.dataflow();
        List<String> off = new ArrayList<>();
        if (h.granularity() != Granularity.NODE) {
            off.add("granularity " + h.granularity().specName() + " (not node)");
        }
        if (!h.scope().equals(inside.scope())) {
            off.add("scope '" + h.scope() + "' (not the block's name)");
        }
        if (h.mode() != CommitmentMode.FULL) {
            off.add("mode " + h.mode() + " (not FULL)");
        }
        if (!h.modelId().equals(inner.modelId())) {
            off.add("model id " + h.modelId().hex() + " (not the dispute's)");
        }
        if (!h.profileDigest().equals(inside.profileDigest())) {
            off.add("profile " + h.profileDigest().hex() + " (not the dispute's)");
        }
        if (!inner.inputsMatch(h)) {
            off.add("inputs " + TranscriptHeader.describeInputs(h.inputNames(), h.inputs()) + " (not the block's agreed inputs "
                    + TranscriptHeader.describeInputs(inner.inputNames(), inner.inputs()) + ")");
        }
        if (!h.outputs().equals(leaf.outputs())) {
            off.add("outputs " + TranscriptComparator.hex(h.outputs()) + " (not its committed block outputs "
                    + TranscriptComparator.hex(leaf.outputs()) + ")");
        }
        if (!off.isEmpty()) {
            return new Down(null, "descended but its sub-transcript does not start and end at its committed block boundary: " + off,
                    false);
        }
        return new Down(sub, null, false);
    }

    // ------------------------------------------------------------------------------------------
    // What a dispute costs

    /** Rounds, bytes and referee time of one dispute, its descent included. */
    private static final class Tally {
        long hashBytes;
        long leafBytes;
        long tensorBytes;
        long nanos;

        void hashes(int n) {
            hashBytes += (long) n * Digest.SIZE;
        }

        void leaf(byte[] data) {
            leafBytes += data.length;
        }

        <T> T timed(java.util.function.Supplier<T> work) {
            long t0 = System.nanoTime();
            try {
                return work.get();
            } finally {
                nanos += System.nanoTime() - t0;
            }
        }

        /** {@code source}, counting the file form of every tensor it hands over. */
        TensorSource counting(TensorSource source) {
            return d -> {
                Optional<WitnessTensor> t = source.find(d);
                if (t != null && t.isPresent()) {
                    WitnessTensor w = t.get();
                    tensorBytes += 7L + 8L * w.shape().length + dev.opg.core.tensor.TensorDigest.byteLength(w.dtype(), w.shape());
                }
                return t;
            };
        }

        Ruling.Exchange exchange(Ruling r) {
            int rounds = r.bisection().queries() + (r.descent() == null ? 0 : r.descent().queries());
            return new Ruling.Exchange(rounds, hashBytes, leafBytes, tensorBytes, nanos);
        }
    }

    /**
     * A party whose first commitment is the only one it can give: every later {@code commit()}
     * repeats it, every step it opened opens the same way again, and its descent is asked once.
     * It counts what the party hands over into the dispute's {@link Tally}.
     */
    private static final class Pinned implements TranscriptParty {
        private final TranscriptParty party;
        private final Tally tally;
        private final java.util.Map<Integer, StepOpening> steps = new java.util.HashMap<>();
        private Commitment commitment;
        private TensorSource witness;
        private TranscriptParty descent;
        private RuntimeException descentFailure;
        private int descentIndex = -1;

        Pinned(TranscriptParty party, Tally tally) {
            this.party = Objects.requireNonNull(party, "party");
            this.tally = tally;
        }

        @Override
        public Commitment commit() {
            if (commitment == null) {
                commitment = party.commit();
                tally.hashes(1);
            }
            return commitment;
        }

        @Override
        public HeaderOpening openHeader(int prefixSize) {
            HeaderOpening h = party.openHeader(prefixSize);
            if (h != null) {
                tally.hashes(1 + size(h.headerPath()) + size(h.consistencyPath()));
                if (h.header() != null) {
                    tally.leaf(h.header().leafData());
                }
            }
            return h;
        }

        @Override
        public Children children(int start, int size) {
            Children c = party.children(start, size);
            tally.hashes(2);
            return c;
        }

        @Override
        public StepOpening openStep(int stepIndex) {
            StepOpening s = steps.get(stepIndex);
            if (s == null) {
                s = party.openStep(stepIndex);
                if (s != null && s.step() != null && s.proof() != null) {
                    tally.leaf(s.step().leafData());
                    tally.hashes(size(s.proof().path()));
                    steps.put(stepIndex, s);
                }
            }
            return s;
        }

        @Override
        public TensorSource witness() {
            if (witness == null) {
                TensorSource w;
                try {
                    w = party.witness();
                } catch (RuntimeException e) {
                    w = null; // a party that will not hand over its witness hands over nothing
                }
                witness = tally.counting(w == null ? d -> Optional.empty() : w);
            }
            return witness;
        }

        @Override
        public TranscriptParty descend(int stepIndex) {
            if (descentIndex != stepIndex) {
                descentIndex = stepIndex;
                descent = null;
                descentFailure = null;
                try {
                    TranscriptParty d = party.descend(stepIndex);
                    descent = d == null ? null : new Pinned(d, tally);
                } catch (RuntimeException e) {
                    descentFailure = e;
                }
            }
            if (descentFailure != null) {
                throw descentFailure;
            }
            return descent;
        }

        private static int size(List<?> l) {
            return l == null ? 0 : l.size();
        }
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

    private static Opened open(TranscriptParty p) {
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
