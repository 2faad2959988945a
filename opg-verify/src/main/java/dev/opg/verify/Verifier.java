package dev.opg.verify;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.opg.core.Digest;
import dev.opg.core.OpgException;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
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
 *   <li>when this process runs under another profile than the transcript's (engine version, CPU
 *       kernel set, platform, threads, seed) it does not compare bits it cannot reproduce: it
 *       re-executes through a {@link ProfileReproducer} (a child JVM) if it has one, else falls
 *       back to a tolerant check if the caller gave a tolerance, else answers INCONCLUSIVE; every
 *       such report says so in its notes;</li>
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
     * @param tolerance bitwise (the default), or a bound the caller chooses; a tolerant check of a
     *     FULL-mode transcript compares step outputs with {@code proverWitness}'s tensors
     * @param proverWitness the prover's step tensors, or null; every tensor is checked against the
     *     transcript's digests before it is used
     */
    public VerificationReport verify(Transcript claimed, NDList inputs, Tolerance tolerance, TensorSource proverWitness) {
        Digest root = claimed.root();
        Digest id = modelId();
        if (!id.equals(claimed.header().modelId())) {
            return early(root, new HeaderMismatch(HeaderField.MODEL_ID, id.hex(), claimed.header().modelId().hex()));
        }
        // The input as this verifier's own runner binds it (names and digests, in order), against the header's
        List<Digest> in = new ArrayList<>(inputs.size());
        for (NDArray a : inputs) {
            in.add(TensorDigest.of(a));
        }
        List<String> names = wrap(RecordingOptions.full()).runner().inputBinding(inputs);
        if (!in.equals(claimed.header().inputs()) || !names.equals(claimed.header().inputNames())) {
            return early(root, new HeaderMismatch(HeaderField.INPUTS, bound(names, in),
                    bound(claimed.header().inputNames(), claimed.header().inputs())));
        }
        List<String> differing = Profiles.differingFields(processProfile, claimed.profile());
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
                return VerificationReport.inconclusive(root, what + "; no bitwise check was done. Verify in a JVM started with the "
                        + "recorded environment (opg verify does this itself) or choose a tolerance");
            }
            notes.add(what + "; fell back to the tolerant check " + tolerance);
        } else {
            notes.add("tolerant check " + tolerance + " chosen by the caller");
        }
        return tolerant(claimed, inputs, tolerance, proverWitness, notes);
    }

    private VerificationReport tolerant(Transcript claimed, NDList inputs, Tolerance tolerance, TensorSource proverWitness, List<String> notes) {
        Digest root = claimed.root();
        if (claimed.header().mode() == CommitmentMode.SKETCH) {
            Prediction<NDList> p = rerun(claimed, inputs, false);
            notes.add("model outputs are compared through the last step's sketch, not bitwise");
            return TranscriptComparator.compareSketchesTolerant(claimed, p.transcript(), tolerance, notes);
        }
        if (proverWitness == null) {
            notes.add("a tolerant check of a FULL-mode transcript needs the prover's witness; none was given");
            return VerificationReport.inconclusive(root, String.join("; ", notes));
        }
        Prediction<NDList> p = rerun(claimed, inputs, true);
        Transcript mine = p.transcript();
        Witness local = p.witness().orElseThrow();
        List<StepError> errors = new ArrayList<>();
        List<Step> cs = claimed.steps();
        List<Step> ms = mine.steps();
        for (int i = 0; i < Math.min(cs.size(), ms.size()); i++) {
            Step c = cs.get(i);
            Step m = ms.get(i);
            if (!c.name().equals(m.name())) {
                return VerificationReport.invalid(CheckKind.TOLERANT, root, new Divergence(i, m.name(), StepField.NAME, m.name(), c.name()), i + 1, errors, notes);
            }
            if (c.outputs().size() != m.outputs().size()) {
                return VerificationReport.invalid(CheckKind.TOLERANT, root, new Divergence(i, m.name(), StepField.OUTPUTS,
                        m.outputs().size() + " outputs", c.outputs().size() + " outputs"), i + 1, errors, notes);
            }
            List<StepError> parts = new ArrayList<>();
            for (int o = 0; o < c.outputs().size(); o++) {
                TensorSource.Fetched f = TensorSource.fetch(proverWitness, c.outputs().get(o));
                if (f.corrupt()) {
                    return VerificationReport.invalid(CheckKind.TOLERANT, root, new Divergence(i, m.name(), StepField.WITNESS,
                            "output " + c.outputs().get(o).hex(), f.problem()), i + 1, errors, notes);
                }
                WitnessTensor mineT = local.tensor(m.outputs().get(o));
                parts.add(ElementComparison.compare(i, m.name(), f.tensor(), mineT, tolerance));
            }
            StepError e = ElementComparison.merge(i, m.name(), parts);
            errors.add(e);
            if (!e.withinTolerance()) {
                return VerificationReport.invalid(CheckKind.TOLERANT, root, new Divergence(i, m.name(), StepField.OUTPUTS,
                        "within " + tolerance, "max abs error " + e.maxAbsError() + ", " + e.maxUlps() + " ulps"), i + 1, errors, notes);
            }
        }
        if (cs.size() != ms.size()) {
            int n = Math.min(cs.size(), ms.size());
            String name = cs.size() > n ? cs.get(n).name() : ms.get(n).name();
            return VerificationReport.invalid(CheckKind.TOLERANT, root, new Divergence(n, name, StepField.PRESENCE,
                    ms.size() + " steps", cs.size() + " steps"), n, errors, notes);
        }
        // The header's outputs are the last step's (in a sequential model); compare them under the tolerance too.
        List<Digest> co = claimed.header().outputs();
        List<Digest> mo = mine.header().outputs();
        if (co.size() != mo.size()) {
            return VerificationReport.invalid(CheckKind.TOLERANT, root, new HeaderMismatch(HeaderField.OUTPUTS, TranscriptComparator.hex(mo),
                    TranscriptComparator.hex(co)), cs.size(), errors, notes);
        }
        for (int o = 0; o < co.size(); o++) {
            TensorSource.Fetched f = TensorSource.fetch(proverWitness, co.get(o));
            StepError e = f.corrupt() ? null : ElementComparison.compare(cs.size(), "outputs", f.tensor(), local.tensor(mo.get(o)), tolerance);
            if (e == null || !e.withinTolerance()) {
                return VerificationReport.invalid(CheckKind.TOLERANT, root, new HeaderMismatch(HeaderField.OUTPUTS,
                        "within " + tolerance + " of " + mo.get(o).hex(), f.corrupt() ? f.problem() : co.get(o).hex()), cs.size(), errors, notes);
            }
        }
        return VerificationReport.valid(CheckKind.TOLERANT, root, cs.size(), errors, notes);
    }

    private Prediction<NDList> rerun(Transcript claimed, NDList inputs, boolean witness) {
        RecordingOptions o = new RecordingOptions(claimed.header().mode(), claimed.header().sketchDimension(), witness);
        return wrap(o).predict(inputs);
    }

    private VerifiableModel wrap(RecordingOptions o) {
        return wrapped.computeIfAbsent(o, k -> VerifiableModel.wrap(model, processProfile, k));
    }

    /** {@code [name=hex, ...]}: each input digest with the model input it is bound to. */
    private static String bound(List<String> names, List<Digest> digests) {
        List<String> out = new ArrayList<>(digests.size());
        for (int i = 0; i < digests.size(); i++) {
            out.add((i < names.size() ? names.get(i) : "?") + "=" + digests.get(i).hex());
        }
        return out.toString();
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
