package dev.opg.verify;

import java.util.List;
import java.util.Objects;

/**
 * The largest error a tolerant check measured in one step, over all of its compared elements
 * (output and input tensors, or sketch values), always of a claimed value against the verifier's
 * own recomputed value; and the element that came closest to its bound (or went furthest past
 * it), with the bound applied there.
 *
 * @param stepIndex the step (the number of steps for the header's outputs)
 * @param name the step's name ({@link #HEADER_OUTPUTS} for the header's outputs)
 * @param maxAbsError the largest {@code |claimed - recomputed|} (infinite where the two differ in being finite, NaN or in an infinity's sign)
 * @param maxRelError the largest {@code |claimed - recomputed| / |recomputed|} (infinite where recomputed is 0 and claimed is not)
 * @param maxUlps the largest distance in units in the last place ({@code Long.MAX_VALUE} for non-finite against another class)
 * @param withinTolerance whether every element satisfied the check's {@link Tolerance}
 * @param worstError the error of the worst element, in the tolerance's unit: an absolute difference (abs/rel, bitwise,
 *     integers) or a ULP count (ulps); infinite for a non-finite value against another class; 0 when all elements are equal
 * @param worstBound the bound applied to that element: {@code absolute + relative * |recomputed|}, or the ULP bound; 0 where
 *     only equality passes (bitwise, integer and boolean elements, non-finite values)
 */
public record StepError(long stepIndex, String name, double maxAbsError, double maxRelError, long maxUlps,
        boolean withinTolerance, double worstError, double worstBound) {
    /** The name under which the header's outputs are reported (at index = the number of steps). */
    public static final String HEADER_OUTPUTS = "header outputs";

    public StepError {
        Objects.requireNonNull(name, "name");
    }

    /** An error without a worst element recorded (all equal, or nothing measured beyond the maxima). */
    public StepError(long stepIndex, String name, double maxAbsError, double maxRelError, long maxUlps, boolean withinTolerance) {
        this(stepIndex, name, maxAbsError, maxRelError, maxUlps, withinTolerance, 0, 0);
    }

    /** The error of two tensors that cannot be compared at all (other dtype, shape or length): infinite, never within tolerance. */
    static StepError incomparable(long stepIndex, String name) {
        return new StepError(stepIndex, name, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Long.MAX_VALUE, false,
                Double.POSITIVE_INFINITY, 0);
    }

    /** A step whose compared values were all equal bit for bit. */
    static StepError exact(long stepIndex, String name) {
        return new StepError(stepIndex, name, 0, 0, 0, true);
    }

    /** {@link #worstError} over {@link #worstBound}: at most 1 for an element within its bound (0 for 0 over 0, infinite for x over 0). */
    public double worstRatio() {
        return ratio(worstError, worstBound);
    }

    static double ratio(double error, double bound) {
        if (error == 0) {
            return 0;
        }
        return bound == 0 ? Double.POSITIVE_INFINITY : error / bound;
    }

    /** One line: the maxima, and the worst element's error against the bound applied to it. */
    public String describe() {
        return "max abs error " + maxAbsError + ", max rel error " + maxRelError + ", max " + maxUlps + " ulps; worst element: error "
                + worstError + " against bound " + worstBound;
    }

    /**
     * The overall line of a tolerant report: the largest errors over {@code errors} with the steps
     * they occurred in, and the worst element's error against the bound applied to it.
     */
    static String overall(Tolerance tolerance, List<StepError> errors) {
        if (errors.isEmpty()) {
            return "tolerant check " + tolerance + ": no values compared";
        }
        StepError abs = errors.get(0);
        StepError ulp = errors.get(0);
        StepError worst = errors.get(0);
        for (StepError e : errors) {
            if (e.maxAbsError() > abs.maxAbsError()) {
                abs = e;
            }
            if (e.maxUlps() > ulp.maxUlps()) {
                ulp = e;
            }
            if (e.worstRatio() > worst.worstRatio()) {
                worst = e;
            }
        }
        if (abs.maxAbsError() == 0 && ulp.maxUlps() == 0 && worst.worstRatio() == 0) {
            return "tolerant check " + tolerance + " over " + errors.size() + " entries (steps, header outputs): every compared value "
                    + "equals this verifier's "
                    + "own re-execution bit for bit";
        }
        return "tolerant check " + tolerance + " (bounds from this verifier's own values) over " + errors.size()
                + " entries (steps, header outputs): largest abs error " + abs.maxAbsError() + " (" + where(abs) + "), largest ulps " + ulp.maxUlps()
                + " (" + where(ulp) + "); worst element error " + worst.worstError() + " against bound " + worst.worstBound()
                + " (" + where(worst) + ")";
    }

    private static String where(StepError e) {
        return HEADER_OUTPUTS.equals(e.name()) ? HEADER_OUTPUTS : "step " + e.stepIndex() + " '" + e.name() + "'";
    }
}
