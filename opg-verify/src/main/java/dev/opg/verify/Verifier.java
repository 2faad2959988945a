package dev.opg.verify;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import dev.opg.core.Digest;
import dev.opg.core.OpgException;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Full re-execution: given a transcript, the model and the input, re-runs the model under the
 * transcript's profile and compares leaf by leaf ({@link TranscriptComparator}).
 *
 * <p>Guarantees, in the order the checks run:
 * <ol>
 *   <li>a signature, when one is presented, is checked before anything else;</li>
 *   <li>a model whose commitment differs from the header's model id, or an input whose digests,
 *       or the model inputs this verifier's runner binds them to, differ from the header's, is reported ({@link HeaderField#MODEL_ID},
 *       {@link HeaderField#INPUTS}) before anything is executed;</li>
 *   <li>a profile no run recorded by opg can have ({@link DeterminismProfile#implausibility()}:
 *       a field with trailing whitespace, an unknown engine or kernel set, an os/arch pair the
 *       JDK never reports, ...) is INVALID ({@link HeaderField#PROFILE}) before anything is
 *       executed: otherwise a prover could write such a field to escape every bitwise check;</li>
 *   <li>when this process runs under another (possible) profile than the transcript's (engine
 *       version, CPU kernel set, platform, threads, seed) it does not compare bits it cannot
 *       reproduce: it re-executes through a {@link ProfileReproducer} (a child JVM) if it has one,
 *       else falls back to a tolerant check if the caller gave a tolerance, else answers
 *       INCONCLUSIVE; every such report says so in its notes;</li>
 *   <li>a tolerant check measures every claimed value against this verifier's own re-execution
 *       of the model on the given input, with bounds from the verifier's values
 *       ({@link ElementComparison}): in FULL mode every step's input and output tensors and the
 *       header's outputs, in SKETCH mode every step's sketches and the header's outputs (which are
 *       full digests: equal digests pass, otherwise the prover's output tensors must be given
 *       and are hashed against them). A value that differs bit for bit and has no tensor to
 *       compare makes the answer INCONCLUSIVE, never VALID. The report's notes state the largest
 *       errors and the worst element's error against the bound applied to it; its step errors
 *       give the same per step;</li>
 *   <li>a VALID report is only ever the result of a comparison that was made.</li>
 * </ol>
 * Not thread-safe (DJL predictors are not); use one verifier per thread.
 */
public final class Verifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Verifier.class);

    private final Model model;
    private final DeterminismProfile processProfile;
    private final ProfileReproducer reproducer;
    private final Map<RecordingOptions, VerifiableModel> wrapped = new HashMap<>();
    private Digest modelId;

    /**
     * @param model the model as the verifier loaded it (its commitment is computed here)
     * @param processProfile the profile this process measurably runs under (e.g. {@code PyTorchProfiles.apply})
     * @param reproducer re-executes under another profile in another process; null for none
     */
    public Verifier(Model model, DeterminismProfile processProfile, ProfileReproducer reproducer) {
        this.model = Objects.requireNonNull(model, "model");
        this.processProfile = Objects.requireNonNull(processProfile, "processProfile");
        this.reproducer = reproducer;
    }

    /** A verifier without a reproducer. */
    public Verifier(Model model, DeterminismProfile processProfile) {
        this(model, processProfile, null);
    }

    /** The model id of the verifier's model. */
    public Digest modelId() {
        if (modelId == null) {
            modelId = wrap(RecordingOptions.full()).modelId();
        }
        return modelId;
    }

    /** Bitwise verification of {@code claimed} against a re-execution of {@code inputs}. */
    public VerificationReport verify(Transcript claimed, NDList inputs) {
        return verify(claimed, inputs, Tolerance.bitwise(), null);
    }

    /** Verifies a signed transcript: the signature first, then as {@link #verify(Transcript, NDList)}. */
    public VerificationReport verify(SignedTranscript signed, TranscriptSignatureVerifier signatures, NDList inputs) {
        Optional<SignatureRejected> bad = signed.check(signatures);
        if (bad.isPresent()) {
            return VerificationReport.invalid(CheckKind.NONE, signed.transcript().root(), bad.get(), 0, List.of(), List.of());
        }
        return verify(signed.transcript(), inputs);
    }

    /**
     * Verifies {@code claimed} against a re-execution of {@code inputs}.
     *
     * @param tolerance bitwise (the default), or a bound the caller chooses; a tolerant check
     *     compares every committed value with this verifier's own re-execution (see the class
     *     comment), taking the prover's tensors from {@code proverWitness} where digests differ
     * @param proverWitness the prover's tensors (FULL: step inputs and outputs and the model
     *     outputs; SKETCH: the model outputs), or null; every tensor is hashed and checked against
     *     the transcript's digest before it is used, and without one a value that differs bit for
     *     bit makes the answer INCONCLUSIVE
     */
    public VerificationReport verify(Transcript claimed, NDList inputs, Tolerance tolerance, TensorSource proverWitness) {
        Digest root = claimed.root();
        Digest id = modelId();
        if (!id.equals(claimed.header().modelId())) {
            return early(root, new HeaderMismatch(HeaderField.MODEL_ID, id.hex(), claimed.header().modelId().hex()));
        }
        // The input as this verifier's own runner binds it (names and digests, in order), against the header's
        List<Digest> in = dev.opg.core.djl.ModelRunner.digests(inputs);
        List<String> names = wrap(RecordingOptions.full()).runner().inputBinding(inputs);
        if (!in.equals(claimed.header().inputs()) || !names.equals(claimed.header().inputNames())) {
            return early(root, new HeaderMismatch(HeaderField.INPUTS, TranscriptHeader.describeInputs(names, in),
                    TranscriptHeader.describeInputs(claimed.header().inputNames(), claimed.header().inputs())));
        }
        if (!claimed.header().scope().isEmpty()) {
            return early(root, HeaderMismatch.descentAsWholeModel(claimed.header()));
        }
        try {
            // The recorded partition must be one this model has on this input: a cut naming no node step, or
            // cuts out of order, is a false claim about the execution, not unreadable input.
            wrap(RecordingOptions.of(claimed.header(), false)).runner().cuts(inputs);
        } catch (dev.opg.core.transcript.PartitionException e) {
            return early(root, HeaderMismatch.impossiblePartition(claimed.header(), e.getMessage()));
        }
        List<String> differing = Profiles.differingFields(processProfile, claimed.profile());
        Optional<String> impossible = claimed.profile().implausibility();
        if (impossible.isPresent()) {
            // Not "cannot reproduce": no real run has this profile, so the transcript's claim about its execution is false.
            return early(root, HeaderMismatch.implausibleProfile(impossible.get()));
        }
        if (differing.isEmpty() && tolerance.isBitwise()) {
            return TranscriptComparator.compare(claimed, rerun(claimed, inputs, false).transcript());
        }
        List<String> notes = new ArrayList<>();
        if (!differing.isEmpty()) {
            String what = "profile mismatch: this process cannot reproduce the transcript's " + differing
                    + " (" + Profiles.describeDifference(processProfile, claimed.profile(), false) + ")";
            LOG.info("{}", what);
            if (reproducer != null) {
                Transcript again;
                try {
                    again = reproducer.reproduce(claimed);
                } catch (OpgException e) {
                    return VerificationReport.inconclusive(root, what + "; re-execution under the recorded profile failed: " + e.getMessage());
                }
                VerificationReport r = TranscriptComparator.compare(claimed, again);
                return withNote(r, what + "; re-executed in another process under the recorded profile");
            }
            if (tolerance.isBitwise()) {
                return VerificationReport.inconclusive(root, what + "; no bitwise check was done. Verify on a machine that runs "
                        + "this profile (opg verify starts a child JVM itself where only the kernel set, threads or seed differ), or "
                        + "choose a tolerance with the prover's witness: that checks every value against this machine's own "
                        + "re-execution within the tolerance, a weaker claim than bit-for-bit equality");
            }
            notes.add(what + "; fell back to the tolerant check " + tolerance);
        } else {
            notes.add("tolerant check " + tolerance + " chosen by the caller");
        }
        return tolerant(claimed, inputs, tolerance, proverWitness, notes);
    }

    /**
     * The tolerant check: every claimed value the transcript commits to is compared with this
     * verifier's own re-execution of the model on the true input, bounds from the verifier's value.
     * FULL mode: each step's input and output tensors (the prover's from {@code proverWitness},
     * hashed against the step's digests) and the header's outputs. SKETCH mode: each step's
     * sketches, and the header's outputs (full digests: bit-equal digests pass, otherwise the
     * prover's output tensors from {@code proverWitness} are hashed against them and compared).
     * Where a value differs bit for bit and no tensor was supplied, the answer is INCONCLUSIVE,
     * never VALID.
     */
    private VerificationReport tolerant(Transcript claimed, NDList inputs, Tolerance tolerance, TensorSource proverWitness, List<String> notes) {
        Digest root = claimed.root();
        if (claimed.header().mode() == CommitmentMode.SKETCH) {
            Prediction<NDList> p = rerun(claimed, inputs, false);
            TranscriptComparator.SketchSteps s = TranscriptComparator.compareSketchSteps(claimed, p.transcript(), tolerance, notes);
            if (s.failure() != null) {
                return s.failure();
            }
            return outputs(claimed, p, tolerance, proverWitness, new ArrayList<>(s.errors()), notes);
        }
        Prediction<NDList> p = rerun(claimed, inputs, true);
        Transcript mine = p.transcript();
        Witness local = p.witness().orElseThrow();
        List<StepError> errors = new ArrayList<>();
        List<Step> cs = claimed.steps();
        List<Step> ms = mine.steps();
        List<String> unsupplied = new ArrayList<>();
        for (int i = 0; i < Math.min(cs.size(), ms.size()); i++) {
            Step c = cs.get(i);
            Step m = ms.get(i);
            if (!c.name().equals(m.name())) {
                return VerificationReport.invalid(CheckKind.TOLERANT, root, new Divergence(i, m.name(), StepField.NAME, m.name(), c.name()), i + 1, errors, notes);
            }
            if (c.inputs().size() != m.inputs().size()) {
                return VerificationReport.invalid(CheckKind.TOLERANT, root, new Divergence(i, m.name(), StepField.INPUTS,
                        m.inputs().size() + " inputs", c.inputs().size() + " inputs"), i + 1, errors, notes);
            }
            if (c.outputs().size() != m.outputs().size()) {
                return VerificationReport.invalid(CheckKind.TOLERANT, root, new Divergence(i, m.name(), StepField.OUTPUTS,
                        m.outputs().size() + " outputs", c.outputs().size() + " outputs"), i + 1, errors, notes);
            }
            List<StepError> parts = new ArrayList<>();
            // Inputs too: what a step read is derived from the model and the true input (this re-execution), not from the claim.
            for (int side = 0; side < 2; side++) {
                List<Digest> claimedDs = side == 0 ? c.inputs() : c.outputs();
                List<Digest> mineDs = side == 0 ? m.inputs() : m.outputs();
                StepField field = side == 0 ? StepField.INPUTS : StepField.OUTPUTS;
                for (int o = 0; o < claimedDs.size(); o++) {
                    Digest d = claimedDs.get(o);
                    if (d.equals(mineDs.get(o))) {
                        parts.add(StepError.exact(i, m.name()));
                        continue;
                    }
                    if (proverWitness == null) {
                        unsupplied.add("step " + i + " " + field.name().toLowerCase(java.util.Locale.ROOT) + " " + o);
                        continue;
                    }
                    TensorSource.Fetched f = TensorSource.fetch(proverWitness, d);
                    if (f.corrupt()) {
                        return VerificationReport.invalid(CheckKind.TOLERANT, root, new Divergence(i, m.name(), StepField.WITNESS,
                                (side == 0 ? "input " : "output ") + d.hex(), f.problem()), i + 1, errors, notes);
                    }
                    StepError e = ElementComparison.compare(i, m.name(), f.tensor(), local.tensor(mineDs.get(o)), tolerance);
                    parts.add(e);
                    if (!e.withinTolerance()) {
                        errors.add(ElementComparison.merge(i, m.name(), parts));
                        return VerificationReport.invalid(CheckKind.TOLERANT, root, new Divergence(i, m.name(), field,
                                "within " + tolerance + " of this re-execution's " + (side == 0 ? "input " : "output ") + o,
                                e.describe()), i + 1, errors, notes);
                    }
                }
            }
            errors.add(ElementComparison.merge(i, m.name(), parts));
        }
        if (cs.size() != ms.size()) {
            int n = Math.min(cs.size(), ms.size());
            String name = cs.size() > n ? cs.get(n).name() : ms.get(n).name();
            return VerificationReport.invalid(CheckKind.TOLERANT, root, new Divergence(n, name, StepField.PRESENCE,
                    ms.size() + " steps", cs.size() + " steps"), n, errors, notes);
        }
        if (!unsupplied.isEmpty()) {
            // Checked after every step, so that a provable falsehood elsewhere still comes back INVALID.
            VerificationReport out = outputs(claimed, p, tolerance, proverWitness, errors, notes);
            if (out.verdict() == Verdict.INVALID) {
                return out;
            }
            // the reason first: it is what a one-line answer shows
            return VerificationReport.inconclusive(root, unsupplied.size() + " step tensors differ bit for bit from this "
                    + "re-execution (first: " + unsupplied.get(0) + ") and no witness was given to compare them within the "
                    + "tolerance; not VALID, pass the prover's witness; " + String.join("; ", notes));
        }
        return outputs(claimed, p, tolerance, proverWitness, errors, notes);
    }

    /**
     * The header's outputs against this verifier's re-execution {@code p}: equal digests pass;
     * otherwise the prover's tensor from {@code proverWitness}, hashed against the header's digest,
     * must lie within {@code tolerance} of the verifier's own output. VALID only if every output
     * was compared and passed; INCONCLUSIVE where a differing output has no tensor to compare.
     */
    private static VerificationReport outputs(Transcript claimed, Prediction<NDList> p, Tolerance tolerance, TensorSource proverWitness,
            List<StepError> errors, List<String> notes) {
        Digest root = claimed.root();
        long n = claimed.steps().size();
        List<Digest> co = claimed.header().outputs();
        List<Digest> mo = p.transcript().header().outputs();
        if (co.size() != mo.size() || p.output().size() != mo.size()) {
            return VerificationReport.invalid(CheckKind.TOLERANT, root, new HeaderMismatch(HeaderField.OUTPUTS, TranscriptComparator.hex(mo),
                    TranscriptComparator.hex(co)), n, errors, notes);
        }
        List<StepError> parts = new ArrayList<>();
        List<Integer> unsupplied = new ArrayList<>();
        for (int o = 0; o < co.size(); o++) {
            if (co.get(o).equals(mo.get(o))) {
                parts.add(StepError.exact(n, StepError.HEADER_OUTPUTS));
                continue;
            }
            if (proverWitness == null) {
                unsupplied.add(o);
                continue;
            }
            TensorSource.Fetched f = TensorSource.fetch(proverWitness, co.get(o));
            if (f.corrupt()) {
                return VerificationReport.invalid(CheckKind.TOLERANT, root, new HeaderMismatch(HeaderField.OUTPUTS,
                        "the prover's tensor of output " + o + " hashing to " + co.get(o).hex(), f.problem()), n, errors, notes);
            }
            WitnessTensor recomputed = WitnessTensor.of(p.output().get(o));
            StepError e = ElementComparison.compare(n, StepError.HEADER_OUTPUTS, f.tensor(), recomputed, tolerance);
            parts.add(e);
            if (!e.withinTolerance()) {
                errors.add(ElementComparison.merge(n, StepError.HEADER_OUTPUTS, parts));
                return VerificationReport.invalid(CheckKind.TOLERANT, root, new HeaderMismatch(HeaderField.OUTPUTS,
                        "output " + o + " within " + tolerance + " of this re-execution's " + mo.get(o).hex(),
                        co.get(o).hex() + ": " + e.describe()), n, errors, notes);
            }
        }
        errors.add(ElementComparison.merge(n, StepError.HEADER_OUTPUTS, parts));
        if (!unsupplied.isEmpty()) {
            return VerificationReport.inconclusive(root, "the header's outputs " + unsupplied + " differ bit for bit from this "
                    + "re-execution's and the prover's output tensors were not supplied (a witness), so they cannot be compared "
                    + "within the tolerance; not VALID; " + String.join("; ", notes));
        }
        notes.add(StepError.overall(tolerance, errors));
        return VerificationReport.valid(CheckKind.TOLERANT, root, n, errors, notes);
    }

    private Prediction<NDList> rerun(Transcript claimed, NDList inputs, boolean witness) {
        RecordingOptions o = RecordingOptions.of(claimed.header(), witness);
        return wrap(o).predict(inputs);
    }

    private VerifiableModel wrap(RecordingOptions o) {
        return wrapped.computeIfAbsent(o, k -> VerifiableModel.wrap(model, processProfile, k));
    }

    private static VerificationReport early(Digest root, Finding f) {
        return VerificationReport.invalid(CheckKind.NONE, root, f, 0, List.of(), List.of("rejected before execution"));
    }

    private static VerificationReport withNote(VerificationReport r, String note) {
        List<String> notes = new ArrayList<>(r.notes());
        notes.add(0, note);
        return new VerificationReport(r.verdict(), r.kind(), r.root(), r.findings(), r.stepErrors(), r.stepsChecked(), notes);
    }

    /** Closes the recording wrappers this verifier made; the model stays open (the caller owns it). */
    @Override
    public void close() {
        for (VerifiableModel vm : wrapped.values()) {
            vm.close();
        }
        wrapped.clear();
    }
}
