package dev.opg.verify;

import dev.opg.core.Digest;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The immutable answer of a verification. Its invariants hold for every instance:
 * <ul>
 *   <li>{@link Verdict#VALID} has no findings and a {@link CheckKind} other than {@code NONE}: a
 *       report never says VALID for a comparison it did not make;</li>
 *   <li>{@link Verdict#INVALID} has at least one finding, the first of which is the first place
 *       (header before steps, lower step before higher) where the transcript is false;</li>
 *   <li>{@link Verdict#INCONCLUSIVE} has no findings and at least one note saying why.</li>
 * </ul>
 *
 * @param verdict the answer
 * @param kind what the answer rests on
 * @param root the root of the transcript that was checked (null when the transcript could not be read)
 * @param findings where the transcript is false, first one first (empty unless INVALID)
 * @param stepErrors per-step maximum errors of a tolerant check (empty for bitwise checks)
 * @param stepsChecked how many steps were compared
 * @param notes what else the caller should know (a fallback taken, a profile difference)
 */
public record VerificationReport(Verdict verdict, CheckKind kind, Digest root, List<Finding> findings,
        List<StepError> stepErrors, long stepsChecked, List<String> notes) {
    public VerificationReport {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(kind, "kind");
        findings = List.copyOf(findings);
        stepErrors = List.copyOf(stepErrors);
        notes = List.copyOf(notes);
        switch (verdict) {
            case VALID -> {
                if (!findings.isEmpty() || kind == CheckKind.NONE) {
                    throw new IllegalArgumentException("a VALID report needs a check that was done and no findings");
                }
            }
            case INVALID -> {
                if (findings.isEmpty()) {
                    throw new IllegalArgumentException("an INVALID report needs a finding");
                }
            }
            case INCONCLUSIVE -> {
                if (!findings.isEmpty() || notes.isEmpty()) {
                    throw new IllegalArgumentException("an INCONCLUSIVE report has no findings and a note saying why");
                }
            }
        }
        if (stepsChecked < 0) {
            throw new IllegalArgumentException("steps checked is negative");
        }
    }

    /** A VALID report. */
    public static VerificationReport valid(CheckKind kind, Digest root, long stepsChecked, List<StepError> stepErrors, List<String> notes) {
        return new VerificationReport(Verdict.VALID, kind, root, List.of(), stepErrors, stepsChecked, notes);
    }

    /** An INVALID report with one finding. */
    public static VerificationReport invalid(CheckKind kind, Digest root, Finding finding, long stepsChecked,
            List<StepError> stepErrors, List<String> notes) {
        return new VerificationReport(Verdict.INVALID, kind, root, List.of(finding), stepErrors, stepsChecked, notes);
    }

    /** An INCONCLUSIVE report. */
    public static VerificationReport inconclusive(Digest root, String why) {
        return new VerificationReport(Verdict.INCONCLUSIVE, CheckKind.NONE, root, List.of(), List.of(), 0, List.of(why));
    }

    /**
     * This report when VALID; otherwise throws: call it before acting on a verification (anchoring
     * a root, paying, passing the output on), so that only a check that was made and passed lets
     * the caller go on. Verification fails closed.
     *
     * @throws VerificationFailedException for INVALID and INCONCLUSIVE, carrying this report
     */
    public VerificationReport requireValid() {
        if (verdict != Verdict.VALID) {
            throw new VerificationFailedException(this);
        }
        return this;
    }

    public boolean isValid() {
        return verdict == Verdict.VALID;
    }

    /** The first finding, empty unless INVALID. */
    public Optional<Finding> firstFinding() {
        return findings.isEmpty() ? Optional.empty() : Optional.of(findings.get(0));
    }

    /** The first finding if it is a step divergence. */
    public Optional<Divergence> divergence() {
        return firstFinding().filter(Divergence.class::isInstance).map(Divergence.class::cast);
    }

    /** The first finding if it is a header mismatch. */
    public Optional<HeaderMismatch> headerMismatch() {
        return firstFinding().filter(HeaderMismatch.class::isInstance).map(HeaderMismatch.class::cast);
    }

    /** The largest absolute error over all steps of a tolerant check (0 for bitwise checks). */
    public double maxAbsError() {
        return stepErrors.stream().mapToDouble(StepError::maxAbsError).max().orElse(0);
    }

    /** A one-paragraph summary for logs and the CLI. */
    public String summary() {
        StringBuilder b = new StringBuilder().append(verdict).append(" (").append(kind).append(", ")
                .append(stepsChecked).append(" steps checked)");
        firstFinding().ifPresent(f -> b.append(": ").append(f.describe()));
        for (String n : notes) {
            b.append("; ").append(n);
        }
        return b.toString();
    }
}
