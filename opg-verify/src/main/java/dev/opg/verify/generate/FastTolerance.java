package dev.opg.verify.generate;

import dev.opg.core.MalformedInputException;

/**
 * How far the fast check lets a committed value be from the verifier's teacher-forced one (spec
 * section 4.12). {@code sketchAbs + sketchRel |y|} (plus the float16 spacing at |y|) for each
 * logit sketch value; {@code logit} for a sampling decision: a committed token other than the
 * verifier's own choice passes only if raising its logit by {@code logit} and lowering every other
 * by {@code logit} makes the sampler choose it.
 */
public record FastTolerance(double sketchAbs, double sketchRel, double logit) {
    /** The defaults: well above the measured prefill/decode difference of the example decoder (docs/generation.md). */
    public static final FastTolerance DEFAULT = new FastTolerance(0.01, 1e-4, 1e-4);

    public FastTolerance {
        if (!(sketchAbs >= 0) || !(sketchRel >= 0) || !(logit >= 0) || Double.isInfinite(sketchAbs) || Double.isInfinite(sketchRel)
                || Double.isInfinite(logit)) {
            throw new MalformedInputException("tolerances are finite and non-negative; got " + sketchAbs + ", " + sketchRel + ", " + logit);
        }
    }
}
