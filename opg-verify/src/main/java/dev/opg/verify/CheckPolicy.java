package dev.opg.verify;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import dev.opg.core.MalformedInputException;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.Transcript;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The one verification policy for every check opg offers (full re-execution, spot checks,
 * tolerant and sketch comparisons), used by the library and by {@code opg verify} alike, so that
 * no caller re-implements a check and gets it subtly wrong. It fails closed: it answers VALID
 * only for a comparison it made; everything a prover wrote that no real run can have is INVALID;
 * anything it cannot check is INCONCLUSIVE with the reason. Callers that act on the answer call
 * {@link VerificationReport#requireValid()}.
 *
 * <p>Full re-execution is {@link Verifier#verify}. A spot check ({@link Request#spotSteps} set)
 * first applies the same pre-execution checks as the verifier (the transcript is of the whole
 * model, its profile is plausible, its partition is one the model has on this input), then
 * compares the transcript with the dataflow the model and the input imply and re-runs the chosen
 * steps (blocks at block granularity) from the prover's witness, hash-checked
 * ({@link SpotChecker}); under another profile it answers INCONCLUSIVE unless a tolerance was
 * given.
 */
public final class CheckPolicy {
    private CheckPolicy() {}

    /**
     * What to check.
     *
     * @param transcript the claimed transcript
     * @param input the model input it claims to be about
     * @param tolerance bitwise, or the bound of a tolerant check
     * @param witness the prover's tensors (required for spot checks; for tolerant checks where bits differ), or null
     * @param spotSteps null for full re-execution; K for a spot check of K steps
     * @param spotSeed the seed that chooses the K steps (draw it at random after the transcript is fixed)
     */
    public record Request(Transcript transcript, NDList input, Tolerance tolerance, TensorSource witness, Integer spotSteps, long spotSeed) {
        public Request {
            Objects.requireNonNull(transcript, "transcript");
            Objects.requireNonNull(input, "input");
            tolerance = tolerance == null ? Tolerance.bitwise() : tolerance;
            if (spotSteps != null && spotSteps < 1) {
                throw new MalformedInputException("a spot check needs K >= 1 steps; got " + spotSteps);
            }
        }

        /** Full bitwise re-execution. */
        public static Request full(Transcript transcript, NDList input) {
            return new Request(transcript, input, Tolerance.bitwise(), null, null, 0);
        }

        /** A bitwise spot check of {@code k} steps chosen by {@code seed}. */
        public static Request spot(Transcript transcript, NDList input, TensorSource witness, int k, long seed) {
            return new Request(transcript, input, Tolerance.bitwise(), witness, k, seed);
        }
    }

    /**
     * Runs the check {@code request} asks for, on {@code model} as the verifier loaded it, in this
     * process (which runs under {@code processProfile}); {@code reproducer} re-executes under
     * another profile for full checks (null for none).
     */
    public static VerificationReport check(Model model, DeterminismProfile processProfile, ProfileReproducer reproducer, Request request) {
        if (request.spotSteps() == null) {
            try (Verifier v = new Verifier(model, processProfile, reproducer)) {
                return v.verify(request.transcript(), request.input(), request.tolerance(), request.witness());
            }
        }
        return spot(model, processProfile, request);
    }

    private static VerificationReport spot(Model model, DeterminismProfile processProfile, Request request) {
        Transcript t = request.transcript();
        List<String> notes = new ArrayList<>();
        notes.add("the steps checked were chosen by seed " + request.spotSeed());
        Optional<String> impossible = t.profile().implausibility();
        if (impossible.isPresent()) {
            return VerificationReport.invalid(CheckKind.NONE, t.root(), HeaderMismatch.implausibleProfile(impossible.get()), 0, List.of(),
                    notes);
        }
        if (request.witness() == null) {
            return VerificationReport.inconclusive(t.root(), "a spot check re-runs steps from the prover's witness and none was given; "
                    + "not VALID");
        }
        try (VerifiableModel vm = VerifiableModel.wrap(model, processProfile, RecordingOptions.of(t.header(), false))) {
            Dataflow flow;
            String partitionProblem = null;
            try {
                // What the transcript must look like comes from the model and this input, never from the transcript.
                flow = vm.dataflow(request.input());
            } catch (dev.opg.core.transcript.PartitionException e) {
                // The recorded cuts are no partition of the model's node steps on this input: the prover's claim is
                // false. The header's model id and inputs are judged first, against the node-granularity dataflow.
                partitionProblem = e.getMessage();
                try (VerifiableModel nodes = VerifiableModel.wrap(model, processProfile,
                        RecordingOptions.full().at(dev.opg.core.transcript.Granularity.NODE))) {
                    flow = nodes.dataflow(request.input());
                }
            }
            Optional<Finding> early = earlyFinding(t, flow, partitionProblem);
            if (early.isPresent()) {
                return VerificationReport.invalid(CheckKind.NONE, t.root(), early.get(), 0, List.of(), notes);
            }
            // made after the partition is known to hold: the executor lists the model's steps, which builds its blocks
            try (SpotChecker checker = new SpotChecker(new DjlStepExecutor(vm), 1)) {
                return spot(t, request, checker, flow, processProfile, notes);
            }
        }
    }

    /**
     * What makes {@code t}'s header false before any step is looked at, in the order full
     * verification checks it: another model id or input, then a scope (a dispute's descent into one
     * block is no transcript of the whole model), then a partition the model cannot have.
     */
    private static Optional<Finding> earlyFinding(Transcript t, Dataflow flow, String partitionProblem) {
        dev.opg.core.transcript.TranscriptHeader h = t.header();
        if (h.scope().isEmpty() && partitionProblem == null) {
            return Optional.empty(); // the spot checker's dataflow check covers the rest
        }
        Optional<Dataflow.Mismatch> header = flow.check(t)
                .filter(mm -> mm.inHeader() && (mm.what().equals("model id") || mm.what().equals("inputs")));
        if (header.isPresent()) {
            Dataflow.Mismatch mm = header.get();
            return Optional.of(new HeaderMismatch(mm.what().equals("model id") ? HeaderField.MODEL_ID : HeaderField.INPUTS,
                    mm.expected(), mm.found()));
        }
        return Optional.of(h.scope().isEmpty() ? HeaderMismatch.impossiblePartition(h, partitionProblem)
                : HeaderMismatch.descentAsWholeModel(h));
    }

    private static VerificationReport spot(Transcript t, Request request, SpotChecker checker, Dataflow flow,
            DeterminismProfile processProfile, List<String> notes) {
        List<Integer> chosen = SpotChecker.choose(t.steps().size(), Math.min(request.spotSteps(), t.steps().size()), request.spotSeed());
        List<String> differing = Profiles.differingFields(processProfile, t.profile());
        VerificationReport r;
        if (differing.isEmpty()) {
            r = checker.check(t, t.root(), flow, request.witness(), chosen, request.tolerance());
        } else if (request.tolerance().isBitwise()) {
            // Bits computed under another profile prove nothing either way.
            r = VerificationReport.inconclusive(t.root(), "profile mismatch: this process cannot reproduce the transcript's "
                    + differing + "; no bitwise check was done");
        } else {
            r = checker.check(t, t.root(), flow, request.witness(), chosen, request.tolerance());
            notes.add("profile mismatch: this process cannot reproduce the transcript's " + differing + "; fell back to the "
                    + "tolerant check " + request.tolerance());
        }
        List<String> all = new ArrayList<>(r.notes());
        all.addAll(notes);
        return new VerificationReport(r.verdict(), r.kind(), r.root(), r.findings(), r.stepErrors(), r.stepsChecked(), all);
    }
}
