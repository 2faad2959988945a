package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.Rfc9162;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.witness.WitnessTensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks {@code k} steps of a FULL-mode transcript alone, from a witness, at about {@code k / L}
 * of the cost of a full re-execution. For each chosen step: its inclusion proof must lead to the
 * trusted root; its committed input tensors are fetched from the witness and hashed against the
 * step's input digests; the step is re-run alone and its outputs compared with the step's output
 * digests (bitwise), or with the witness's output tensors under an explicit {@link Tolerance}.
 *
 * <p>Steps are independent and run in parallel on a fixed pool. A VALID report says only that the
 * chosen steps are right (its notes list them); it is INVALID at the lowest-index step that fails.
 */
public final class SpotChecker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpotChecker.class);

    private final StepExecutor executor;
    private final ExecutorService pool;

    /** A checker running up to {@code parallelism} steps at once. */
    public SpotChecker(StepExecutor executor, int parallelism) {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be >= 1; got " + parallelism);
        }
        this.executor = Objects.requireNonNull(executor, "executor");
        this.pool = Executors.newFixedThreadPool(parallelism, r -> {
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

    /** Checks {@code k} seeded-random steps bitwise. */
    public VerificationReport checkRandom(Transcript t, Digest trustedRoot, TensorSource witness, int k, long seed) {
        return check(t, trustedRoot, witness, choose(t.steps().size(), k, seed), Tolerance.bitwise());
    }

    /**
     * Checks the given steps.
     *
     * @param t the transcript (only the chosen steps and their proofs are used)
     * @param trustedRoot the root the caller trusts (signed or anchored); the transcript's must equal it
     * @param witness where the step tensors are found
     * @param stepIndices which steps
     * @param tolerance bitwise, or a bound the caller chose
     * @throws MalformedInputException for a step index outside the transcript
     */
    public VerificationReport check(Transcript t, Digest trustedRoot, TensorSource witness, List<Integer> stepIndices,
            Tolerance tolerance) {
        Objects.requireNonNull(trustedRoot, "trustedRoot");
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
        List<Future<Outcome>> futures = new ArrayList<>();
        for (int i : new TreeSet<>(stepIndices)) {
            Step s = t.steps().get(i);
            InclusionProof proof = t.inclusionProof(i);
            futures.add(pool.submit(() -> checkOne(s, proof, trustedRoot, witness, tolerance)));
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Future<Outcome> f : futures) {
            try {
                outcomes.add(f.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OpgException("interrupted during a spot check", e);
            } catch (ExecutionException e) {
                throw new OpgException("a spot check failed: " + e.getCause(), e.getCause());
            }
        }
        outcomes.sort(Comparator.comparingLong(o -> o.index));
        List<StepError> errors = new ArrayList<>();
        for (Outcome o : outcomes) {
            if (o.error != null) {
                errors.add(o.error);
            }
        }
        List<String> notes = List.of("spot-checked steps " + new TreeSet<>(stepIndices) + " of " + t.steps().size());
        Optional<Outcome> bad = outcomes.stream().filter(o -> o.finding != null).findFirst();
        if (bad.isPresent()) {
            return VerificationReport.invalid(kind, t.root(), bad.get().finding, outcomes.size(), errors, notes);
        }
        LOG.debug("spot check of {} steps passed", outcomes.size());
        return VerificationReport.valid(kind, t.root(), outcomes.size(), kind == CheckKind.TOLERANT ? errors : List.of(), notes);
    }

    private record Outcome(long index, Divergence finding, StepError error) {}

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
        List<WitnessTensor> outs;
        try {
            outs = executor.run(i, s.name(), inputs);
        } catch (OpgException e) {
            return new Outcome(i, new Divergence(i, s.name(), StepField.NAME, "a step the model can run on its inputs", e.getMessage()), null);
        }
        List<Digest> actual = outs.stream().map(WitnessTensor::digest).toList();
        if (tolerance.isBitwise()) {
            if (!actual.equals(s.outputs())) {
                return new Outcome(i, new Divergence(i, s.name(), StepField.OUTPUTS, TranscriptComparator.hex(actual),
                        TranscriptComparator.hex(s.outputs())), null);
            }
            return new Outcome(i, null, null);
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

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
