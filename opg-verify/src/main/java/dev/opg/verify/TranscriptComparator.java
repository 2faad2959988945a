package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Sketch;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Compares a claimed transcript with a reference transcript the verifier produced itself (by
 * re-execution), leaf by leaf, and names the first difference.
 *
 * <p>Order of the comparison, and so of "first": header fields (version, mode, sketch dimension,
 * model id, profile, inputs), then steps in index order (name, inputs, outputs, sketches, then a
 * step present on one side only), then the header's outputs. A step-level difference is reported
 * before an output difference because it says where the computations part.
 *
 * <p>FULL-mode steps are compared bit for bit (their digests). SKETCH-mode sketches are compared
 * under the given {@link Tolerance} (bitwise by default), the claimed values against the
 * reference's (bounds from the reference's values), and every step's error is reported; the
 * header's outputs are always compared, bit for bit (they are full digests in both modes). Pure
 * and thread-safe.
 */
public final class TranscriptComparator {
    private TranscriptComparator() {}

    /** Bitwise comparison; see {@link #compare(Transcript, Transcript, Tolerance)}. */
    public static VerificationReport compare(Transcript claimed, Transcript reference) {
        return compare(claimed, reference, Tolerance.bitwise());
    }

    /**
     * Compares {@code claimed} with {@code reference}; VALID only if every leaf matches (sketch
     * values within {@code tolerance}).
     */
    public static VerificationReport compare(Transcript claimed, Transcript reference, Tolerance tolerance) {
        boolean tolerant = !tolerance.isBitwise() && claimed.header().mode() == CommitmentMode.SKETCH;
        CheckKind kind = tolerant ? CheckKind.TOLERANT : CheckKind.BITWISE;
        List<String> notes = new ArrayList<>();
        if (!tolerance.isBitwise() && !tolerant) {
            notes.add("tolerance " + tolerance + " not applicable to a FULL-mode transcript without a witness; compared bitwise");
        }
        Optional<HeaderMismatch> h = compareHeaderInputs(claimed.header(), claimed.profile(), reference.header(), reference.profile());
        if (h.isPresent()) {
            return VerificationReport.invalid(CheckKind.BITWISE, claimed.root(), h.get(), 0, List.of(), notes);
        }
        List<StepError> errors = new ArrayList<>();
        List<Step> cs = claimed.steps();
        List<Step> rs = reference.steps();
        int common = Math.min(cs.size(), rs.size());
        for (int i = 0; i < common; i++) {
            Optional<Divergence> d = compareStep(cs.get(i), rs.get(i), tolerance, tolerant, errors);
            if (d.isPresent()) {
                return VerificationReport.invalid(kind, claimed.root(), d.get(), i + 1, errors, notes);
            }
        }
        if (cs.size() != rs.size()) {
            Divergence d = cs.size() < rs.size()
                    ? new Divergence(common, rs.get(common).name(), StepField.PRESENCE, "step '" + rs.get(common).name() + "'", "absent")
                    : new Divergence(common, cs.get(common).name(), StepField.PRESENCE, "absent", "step '" + cs.get(common).name() + "'");
            return VerificationReport.invalid(kind, claimed.root(), d, common, errors, notes);
        }
        if (!claimed.header().outputs().equals(reference.header().outputs())) {
            return VerificationReport.invalid(kind, claimed.root(),
                    new HeaderMismatch(HeaderField.OUTPUTS, hex(reference.header().outputs()), hex(claimed.header().outputs())),
                    common, errors, notes);
        }
        if (tolerant) {
            notes.add(StepError.overall(tolerance, errors));
        }
        return VerificationReport.valid(kind, claimed.root(), common, tolerant ? errors : List.of(), notes);
    }

    /**
     * The outcome of comparing the steps of two SKETCH-mode transcripts under a tolerance:
     * {@code failure} is the INVALID report where they part (null when every step passed), and
     * {@code errors} the per-step errors measured.
     */
    record SketchSteps(VerificationReport failure, List<StepError> errors) {}

    /**
     * Tolerant comparison of the steps of two SKETCH-mode transcripts made under different
     * profiles: the header fields fixed before execution except the profile, then every step's
     * name and sketches, claimed values within {@code tolerance} of {@code reference}'s (the
     * verifier's own). The header's outputs are <em>not</em> compared here; the caller must
     * compare them (they are full digests, so that needs the prover's output tensors unless the
     * digests are equal) before it may answer VALID.
     */
    static SketchSteps compareSketchSteps(Transcript claimed, Transcript reference, Tolerance tolerance, List<String> notes) {
        TranscriptHeader c = claimed.header();
        TranscriptHeader r = reference.header();
        Optional<HeaderMismatch> h = compareHeaderInputs(c, claimed.profile(), r, reference.profile(), false);
        if (h.isPresent()) {
            return new SketchSteps(VerificationReport.invalid(CheckKind.TOLERANT, claimed.root(), h.get(), 0, List.of(), notes), List.of());
        }
        List<StepError> errors = new ArrayList<>();
        List<Step> cs = claimed.steps();
        List<Step> rs = reference.steps();
        int common = Math.min(cs.size(), rs.size());
        for (int i = 0; i < common; i++) {
            Optional<Divergence> d = compareStep(cs.get(i), rs.get(i), tolerance, true, errors);
            if (d.isPresent()) {
                return new SketchSteps(VerificationReport.invalid(CheckKind.TOLERANT, claimed.root(), d.get(), i + 1, errors, notes), errors);
            }
        }
        if (cs.size() != rs.size()) {
            String name = cs.size() > common ? cs.get(common).name() : rs.get(common).name();
            return new SketchSteps(VerificationReport.invalid(CheckKind.TOLERANT, claimed.root(),
                    new Divergence(common, name, StepField.PRESENCE, rs.size() + " steps", cs.size() + " steps"), common, errors, notes), errors);
        }
        return new SketchSteps(null, errors);
    }

    /**
     * The first difference among the header fields fixed before execution (everything but the
     * outputs): version, mode, sketch dimension, model id, profile, inputs.
     */
    public static Optional<HeaderMismatch> compareHeaderInputs(TranscriptHeader claimed, DeterminismProfile claimedProfile,
            TranscriptHeader expected, DeterminismProfile expectedProfile) {
        return compareHeaderInputs(claimed, claimedProfile, expected, expectedProfile, true);
    }

    private static Optional<HeaderMismatch> compareHeaderInputs(TranscriptHeader claimed, DeterminismProfile claimedProfile,
            TranscriptHeader expected, DeterminismProfile expectedProfile, boolean checkProfile) {
        if (claimed.version() != expected.version()) {
            return mismatch(HeaderField.VERSION, expected.version(), claimed.version());
        }
        if (claimed.mode() != expected.mode()) {
            return mismatch(HeaderField.MODE, expected.mode().specName(), claimed.mode().specName());
        }
        if (claimed.sketchDimension() != expected.sketchDimension()) {
            return mismatch(HeaderField.SKETCH_DIMENSION, expected.sketchDimension(), claimed.sketchDimension());
        }
        if (claimed.granularity() != expected.granularity() || !claimed.scope().equals(expected.scope())
                || !claimed.cuts().equals(expected.cuts())) {
            return mismatch(HeaderField.GRANULARITY, describePartition(expected), describePartition(claimed));
        }
        if (!claimed.modelId().equals(expected.modelId())) {
            return mismatch(HeaderField.MODEL_ID, expected.modelId().hex(), claimed.modelId().hex());
        }
        if (checkProfile && (!claimed.profileDigest().equals(expected.profileDigest()) || !claimedProfile.equals(expectedProfile))) {
            return mismatch(HeaderField.PROFILE, Profiles.describeDifference(expectedProfile, claimedProfile, true),
                    Profiles.describeDifference(expectedProfile, claimedProfile, false));
        }
        if (!claimed.inputs().equals(expected.inputs())) {
            return mismatch(HeaderField.INPUTS, hex(expected.inputs()), hex(claimed.inputs()));
        }
        return Optional.empty();
    }

    /** A header's granularity, cuts and scope as a report shows them. */
    static String describePartition(TranscriptHeader h) {
        return h.granularity().specName() + (h.cuts().isEmpty() ? "" : " cuts " + h.cuts())
                + (h.scope().isEmpty() ? "" : " scope '" + h.scope() + "'");
    }

    /** The first difference between a claimed step and the reference step at the same index. */
    static Optional<Divergence> compareStep(Step c, Step r, Tolerance tolerance, boolean tolerant, List<StepError> errors) {
        long i = r.index();
        if (!c.name().equals(r.name())) {
            return Optional.of(new Divergence(i, r.name(), StepField.NAME, r.name(), c.name()));
        }
        if (!c.inputs().equals(r.inputs())) {
            return Optional.of(new Divergence(i, r.name(), StepField.INPUTS, hex(r.inputs()), hex(c.inputs())));
        }
        if (!c.outputs().equals(r.outputs())) {
            return Optional.of(new Divergence(i, r.name(), StepField.OUTPUTS, hex(r.outputs()), hex(c.outputs())));
        }
        if (c.sketches().equals(r.sketches())) {
            if (tolerant) {
                errors.add(StepError.exact(i, r.name()));
            }
            return Optional.empty();
        }
        if (!tolerant || c.sketches().size() != r.sketches().size()) {
            return Optional.of(new Divergence(i, r.name(), StepField.SKETCHES, describe(r.sketches()), describe(c.sketches())));
        }
        List<StepError> parts = new ArrayList<>();
        for (int k = 0; k < c.sketches().size(); k++) {
            Sketch cs = c.sketches().get(k);
            Sketch rs = r.sketches().get(k);
            if (cs.dtype() != rs.dtype() || !java.util.Arrays.equals(cs.shape(), rs.shape())) {
                return Optional.of(new Divergence(i, r.name(), StepField.SKETCHES, describe(r.sketches()), describe(c.sketches())));
            }
            // claimed first, the verifier's own values second: bounds come from the verifier's
            parts.add(ElementComparison.compare(i, r.name(), cs.values(), rs.values(), tolerance));
        }
        StepError e = ElementComparison.merge(i, r.name(), parts);
        errors.add(e);
        if (!e.withinTolerance()) {
            return Optional.of(new Divergence(i, r.name(), StepField.SKETCHES, "within " + tolerance + " of the re-execution's sketches",
                    e.describe()));
        }
        return Optional.empty();
    }

    static String hex(List<Digest> ds) {
        return ds.stream().map(Digest::hex).collect(Collectors.joining(",", "[", "]"));
    }

    private static String describe(List<Sketch> ks) {
        StringBuilder b = new StringBuilder("[");
        for (Sketch k : ks) {
            b.append(k).append(java.util.Arrays.toString(k.values()));
        }
        return b.append(']').toString();
    }

    private static Optional<HeaderMismatch> mismatch(HeaderField f, Object expected, Object actual) {
        return Optional.of(new HeaderMismatch(f, String.valueOf(expected), String.valueOf(actual)));
    }
}
