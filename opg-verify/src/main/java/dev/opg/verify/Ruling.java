package dev.opg.verify;

import java.util.Objects;

/**
 * The referee's decision on a dispute between two transcripts.
 *
 * @param verdict who is right
 * @param bisection what the bisection established (with its query count)
 * @param stepIndex the disputed step, or -1 when the dispute was not about one step
 * @param reason a sentence saying how the verdict was reached
 */
public record Ruling(Verdict verdict, BisectionResult bisection, long stepIndex, String reason) {
    /** The referee's possible verdicts. */
    public enum Verdict {
        /** The first transcript's claim about the disputed step is what re-execution gives; the second's is not. */
        FIRST_CORRECT,
        /** The second transcript's claim is what re-execution gives; the first's is not. */
        SECOND_CORRECT,
        /** Neither claim is what re-execution gives. */
        BOTH_WRONG,
        /** The roots are equal; there is no dispute. */
        NO_DISPUTE,
        /** The referee could not decide (the reason says why: headers of different runs, a missing witness tensor). */
        UNDECIDED
    }

    public Ruling {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(bisection, "bisection");
        Objects.requireNonNull(reason, "reason");
    }
}
