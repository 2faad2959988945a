package dev.opg.verify;

import dev.opg.core.OpgException;
import java.util.Objects;

/**
 * Thrown by {@link VerificationReport#requireValid()} for any verdict but VALID (INVALID or
 * INCONCLUSIVE): a caller who acts on a verdict, such as anchoring a root, cannot forget to look
 * at it. Carries the report.
 */
public final class VerificationFailedException extends OpgException {
    private static final long serialVersionUID = 1L;
    private final transient VerificationReport report;

    public VerificationFailedException(VerificationReport report) {
        super("verification did not succeed: " + Objects.requireNonNull(report, "report").summary());
        this.report = report;
    }

    /** The report that was not VALID. */
    public VerificationReport report() {
        return report;
    }
}
