package dev.opg.verify;

import java.util.Objects;

/**
 * The largest error a tolerant check measured in one step, over all of its output elements (or
 * sketch values).
 *
 * @param stepIndex the step
 * @param name the step's name
 * @param maxAbsError the largest {@code |actual - expected|} (infinite where one side is NaN and the other is not)
 * @param maxRelError the largest {@code |actual - expected| / |expected|} (infinite where expected is 0 and actual is not)
 * @param maxUlps the largest distance in units in the last place (Long.MAX_VALUE for NaN against a number)
 * @param withinTolerance whether every element satisfied the check's {@link Tolerance}
 */
public record StepError(long stepIndex, String name, double maxAbsError, double maxRelError, long maxUlps,
        boolean withinTolerance) {
    public StepError {
        Objects.requireNonNull(name, "name");
    }
}
