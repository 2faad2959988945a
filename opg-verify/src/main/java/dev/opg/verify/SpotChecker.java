package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.Rfc9162;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.witness.WitnessTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a FULL-mode transcript from a witness at about {@code k / L} of the cost of a full
 * re-execution, in two parts.
 *
 * <p>First, from Merkle data alone and before anything runs, the whole dataflow: the transcript's
 * root must be the trusted root, and the transcript must match the {@link Dataflow} the verifier
 * derived from the model and the input ({@link Dataflow#check}): the model id, the header's inputs
 * are the given input's digests, the steps are exactly the ones the model runs (count, names,
 * order), every step's input digests are the outputs of the steps (or model inputs) that feed it
 * by the model's own wiring, outputs fixed by the model id are those, and the header's outputs are
 * the values the model returns. After that, every committed value is produced by exactly one step
 * from values the model wires to it, so a false transcript must contain at least one step whose
 * committed outputs are not what that step computes from its committed inputs.
 *
 * <p>Then the arithmetic of the {@code k} chosen steps: each step's input tensors are fetched from
 * the witness and hashed against its input digests, the step is re-run alone and its outputs
 * compared with the step's output digests (bitwise), or with the witness's output tensors under an
 * explicit {@link Tolerance}. A lie confined to one step escapes a check of {@code k} steps chosen
 * uniformly from {@code L} with probability {@code 1 - k/L}; the report's notes state it.
 *
 * <p>Steps are independent: the calling thread checks them together with a fixed pool, and a single
 * step is checked on the calling thread alone (a hand-off to a pool costs more than a small step).
 * Every thread that runs a step is first pinned to the profile ({@link StepExecutor#pinCurrentThread}).
 * The report is INVALID at the first dataflow departure, else at the lowest-index chosen step that
 * fails.
 */
public final class SpotChecker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpotChecker.class);

    private final StepExecutor executor;
    private final ExecutorService pool;
    private final int poolSize;

    /**
     * A checker running up to {@code parallelism} steps at once: one on the thread that calls
     * {@link #check}, the others on a pool of {@code parallelism - 1} threads (none for 1).
     */
    public SpotChecker(StepExecutor executor, int parallelism) {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be >= 1; got " + parallelism);
        }
        this.executor = Objects.requireNonNull(executor, "executor");
        this.poolSize = parallelism - 1;
        this.pool = poolSize == 0 ? null : Executors.newFixedThreadPool(poolSize, r -> {
            Thread t = new Thread(r, "opg-spot-check");
            t.setDaemon(true);
            return t;
        });
    }

    /** A checker using every available core. */
    public SpotChecker(StepExecutor executor) {
        this(executor, Runtime.getRuntime().availableProcessors());
    }

    /** The {@code k} distinct step indices of {@code 0..steps-1} that {@code seed} chooses, ascending. */
    public static List<Integer> choose(int steps, int k, long seed) {
        if (k < 0 || k > steps) {
            throw new IllegalArgumentException("cannot choose " + k + " of " + steps + " steps");
        }
        SplittableRandom r = new SplittableRandom(seed);
        TreeSet<Integer> chosen = new TreeSet<>();
        while (chosen.size() < k) {
            chosen.add(r.nextInt(steps));
        }
        return List.copyOf(chosen);
    }

    /** Checks the dataflow and {@code k} seeded-random steps bitwise. */
    public VerificationReport checkRandom(Transcript t, Digest trustedRoot, Dataflow flow, TensorSource witness, int k, long seed) {
        return check(t, trustedRoot, flow, witness, choose(t.steps().size(), k, seed), Tolerance.bitwise());
    }

    /**
     * Checks the given steps.
     *
     * @param t the transcript (its leaves are checked against {@code flow}; only the chosen steps are re-run)
     * @param trustedRoot the root the caller trusts (signed or anchored); the transcript's must equal it
     * @param flow what the verifier's model implies for the verifier's input ({@code VerifiableModel.dataflow})
     * @param witness where the step tensors are found
     * @param stepIndices which steps
     * @param tolerance bitwise, or a bound the caller chose
     * @throws MalformedInputException for a step index outside the transcript
     */
    public VerificationReport check(Transcript t, Digest trustedRoot, Dataflow flow, TensorSource witness, List<Integer> stepIndices,
            Tolerance tolerance) {
        Objects.requireNonNull(trustedRoot, "trustedRoot");
        Objects.requireNonNull(flow, "flow");
        CheckKind kind = tolerance.isBitwise() ? CheckKind.BITWISE : CheckKind.TOLERANT;
        if (!t.root().equals(trustedRoot)) {
            return VerificationReport.invalid(CheckKind.NONE, t.root(), new HeaderMismatch(HeaderField.ROOT, trustedRoot.hex(), t.root().hex()),
                    0, List.of(), List.of());
        }
        if (t.header().mode() != CommitmentMode.FULL) {
            return VerificationReport.inconclusive(t.root(), "spot checks need a FULL-mode transcript: sketches bind no step inputs");
        }
        for (int i : stepIndices) {
            if (i < 0 || i >= t.steps().size()) {
                throw new MalformedInputException("step " + i + " is outside the transcript's " + t.steps().size() + " steps");
            }
        }
        Optional<Dataflow.Mismatch> wiring = flow.check(t);
        if (wiring.isPresent()) {
            return VerificationReport.invalid(CheckKind.NONE, t.root(), DataflowFindings.of(wiring.get(), flow), 0, List.of(),
                    List.of("rejected from the transcript's leaves before any step was run: they are not the dataflow the model "
                            + "implies for this input"));
        }
        List<Integer> chosen = List.copyOf(new TreeSet<>(stepIndices));
        List<Outcome> outcomes = run(t, trustedRoot, witness, tolerance, chosen);
        List<StepError> errors = new ArrayList<>();
        for (Outcome o : outcomes) {
            if (o.error != null) {
                errors.add(o.error);
            }
        }
        int steps = t.steps().size();
        List<String> notes = List.of("dataflow checked from the leaves: model id, inputs, " + steps + " steps as the model runs them, "
                        + "every step input wired to its producer, the header outputs",
                "spot-checked steps " + chosen + " of " + steps + ": a lie confined to one step escapes with probability "
                        + String.format(java.util.Locale.ROOT, "%.4f", steps == 0 ? 0.0 : 1.0 - (double) chosen.size() / steps)
                        + " (1 - " + chosen.size() + "/" + steps + ")");
        Optional<Outcome> bad = outcomes.stream().filter(o -> o.finding != null).findFirst();
        if (bad.isPresent()) {
            return VerificationReport.invalid(kind, t.root(), bad.get().finding, outcomes.size(), errors, notes);
        }
        LOG.debug("spot check of {} steps passed", outcomes.size());
        if (kind == CheckKind.TOLERANT) {
            List<String> more = new ArrayList<>(notes);
            more.add(StepError.overall(tolerance, errors));
            return VerificationReport.valid(kind, t.root(), outcomes.size(), errors, more);
        }
        return VerificationReport.valid(kind, t.root(), outcomes.size(), List.of(), notes);
    }

    private record Outcome(long index, Divergence finding, StepError error) {}

    /**
     * Checks the chosen steps (distinct, ascending) and returns their outcomes in that order. The
     * calling thread takes steps from a shared counter alongside up to {@code parallelism - 1} pool
     * workers, which are started only when there are steps left for them: a single step runs on
     * the caller with no hand-off at all. Every thread pins itself to the profile first.
     */
    private List<Outcome> run(Transcript t, Digest root, TensorSource witness, Tolerance tolerance, List<Integer> chosen) {
        int n = chosen.size();
        Outcome[] outcomes = new Outcome[n];
        Throwable[] failures = new Throwable[n];
        AtomicInteger next = new AtomicInteger();
        Runnable drain = () -> {
            executor.pinCurrentThread();
            for (int j; (j = next.getAndIncrement()) < n; ) {
                int i = chosen.get(j);
                try {
                    outcomes[j] = checkOne(t.steps().get(i), t.inclusionProof(i), root, witness, tolerance);
                } catch (RuntimeException | Error e) {
                    failures[j] = e;
                }
            }
        };
        int helpers = pool == null ? 0 : Math.min(n - 1, poolSize);
        List<Future<?>> workers = new ArrayList<>(Math.max(helpers, 0));
        for (int w = 0; w < helpers; w++) {
            workers.add(pool.submit(drain));
        }
        drain.run();
        for (Future<?> f : workers) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OpgException("interrupted during a spot check", e);
            } catch (ExecutionException e) {
                throw new OpgException("a spot check failed: " + e.getCause(), e.getCause());
            }
        }
        for (Throwable e : failures) {
            if (e != null) {
                throw new OpgException("a spot check failed: " + e, e);
            }
        }
        return Arrays.asList(outcomes);
    }

    private Outcome checkOne(Step s, InclusionProof proof, Digest root, TensorSource witness, Tolerance tolerance) {
        long i = s.index();
        Digest leaf = Rfc9162.leafHash(s.leafData());
        if (!proof.verify(leaf, root)) {
            return new Outcome(i, new Divergence(i, s.name(), StepField.INCLUSION, root.hex(), "a proof that does not lead to the root"), null);
        }
        List<WitnessTensor> inputs = new ArrayList<>();
        for (Digest d : s.inputs()) {
            TensorSource.Fetched f = TensorSource.fetch(witness, d);
            if (f.corrupt()) {
                return new Outcome(i, new Divergence(i, s.name(), StepField.WITNESS, "input " + d.hex(), f.problem()), null);
            }
            inputs.add(f.tensor());
        }
        if (tolerance.isBitwise()) {
            List<Digest> actual;
            try {
                actual = executor.runDigests(i, s.name(), inputs);
            } catch (OpgException e) {
                return cannotRun(s, e);
            }
            if (!actual.equals(s.outputs())) {
                return new Outcome(i, new Divergence(i, s.name(), StepField.OUTPUTS, TranscriptComparator.hex(actual),
                        TranscriptComparator.hex(s.outputs())), null);
            }
            return new Outcome(i, null, null);
        }
        List<WitnessTensor> outs;
        try {
            outs = executor.run(i, s.name(), inputs);
        } catch (OpgException e) {
            return cannotRun(s, e);
        }
        if (outs.size() != s.outputs().size()) {
            return new Outcome(i, new Divergence(i, s.name(), StepField.OUTPUTS, outs.size() + " outputs", s.outputs().size() + " outputs"), null);
        }
        List<StepError> parts = new ArrayList<>();
        for (int o = 0; o < outs.size(); o++) {
            TensorSource.Fetched f = TensorSource.fetch(witness, s.outputs().get(o));
            if (f.corrupt()) {
                return new Outcome(i, new Divergence(i, s.name(), StepField.WITNESS, "output " + s.outputs().get(o).hex(), f.problem()), null);
            }
            parts.add(ElementComparison.compare(i, s.name(), f.tensor(), outs.get(o), tolerance));
        }
        StepError e = ElementComparison.merge(i, s.name(), parts);
        if (!e.withinTolerance()) {
            return new Outcome(i, new Divergence(i, s.name(), StepField.OUTPUTS, "within " + tolerance,
                    "max abs error " + e.maxAbsError() + ", " + e.maxUlps() + " ulps"), e);
        }
        return new Outcome(i, null, e);
    }

    private static Outcome cannotRun(Step s, OpgException e) {
        return new Outcome(s.index(), new Divergence(s.index(), s.name(), StepField.NAME, "a step the model can run on its inputs",
                e.getMessage()), null);
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
