package dev.opg.verify;

import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import dev.opg.core.witness.WitnessTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Element-by-element comparison of a claimed tensor (or sketch) with the verifier's own
 * recomputation of it under a {@link Tolerance}, measuring the largest absolute, relative and ULP
 * error. Pure Java, no engine; thread-safe.
 *
 * <p>Guarantees, whatever the claimed side holds (the prover controls it):
 * <ul>
 *   <li>every bound is taken from the <em>recomputed</em> value, never from the claimed one, so a
 *       claimed value cannot widen its own bound (a claimed {@code +inf} against a recomputed
 *       {@code 1.0} fails under every tolerance);</li>
 *   <li>a non-finite value passes only against the same class and sign: {@code +inf} only
 *       {@code +inf}, {@code -inf} only {@code -inf}, NaN only NaN (any payload, except under
 *       {@link Tolerance#bitwise()}); a finite value never passes against a non-finite one;</li>
 *   <li>integer and boolean elements pass only when equal, under every tolerance;</li>
 *   <li>tensors of different dtype or shape never pass.</li>
 * </ul>
 */
public final class ElementComparison {
    private ElementComparison() {}

    /**
     * The error of {@code claimed} against {@code recomputed}, with {@code withinTolerance} saying
     * whether every element passes {@code tolerance}.
     *
     * @param stepIndex the step the tensors belong to (for the report)
     * @param name the step's name (for the report)
     * @param claimed the prover's tensor (from its witness; already checked against the transcript's digest)
     * @param recomputed the verifier's own recomputation of the same tensor; every bound is relative to it
     * @param tolerance the rule each element must satisfy
     */
    public static StepError compare(long stepIndex, String name, WitnessTensor claimed, WitnessTensor recomputed, Tolerance tolerance) {
        if (claimed.dtype() != recomputed.dtype() || !Arrays.equals(claimed.shape(), recomputed.shape())
                || claimed.data().length != recomputed.data().length) {
            return StepError.incomparable(stepIndex, name);
        }
        Acc acc = new Acc(tolerance);
        byte[] c = claimed.data();
        byte[] r = recomputed.data();
        ByteBuffer cb = ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer rb = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
        DType dt = recomputed.dtype();
        int n = r.length / dt.byteSize();
        for (int i = 0; i < n; i++) {
            switch (dt) {
                case FLOAT32 -> acc.floats(cb.getFloat(), rb.getFloat());
                case FLOAT64 -> acc.doubles(cb.getDouble(), rb.getDouble());
                case FLOAT16 -> {
                    short x = cb.getShort();
                    short y = rb.getShort();
                    acc.halfs(Float.float16ToFloat(x), Float.float16ToFloat(y), ordered16(x), ordered16(y));
                }
                case BFLOAT16 -> {
                    short x = cb.getShort();
                    short y = rb.getShort();
                    acc.halfs(Float.intBitsToFloat(x << 16), Float.intBitsToFloat(y << 16), ordered16(x), ordered16(y));
                }
                case INT8, BOOLEAN -> acc.exact(c[i], r[i]);
                case UINT8 -> acc.exact(c[i] & 0xff, r[i] & 0xff);
                case INT32 -> acc.exact(cb.getInt(), rb.getInt());
                case INT64 -> acc.exact(cb.getLong(), rb.getLong());
                default -> throw new MalformedInputException("no comparison for dtype " + dt);
            }
        }
        return acc.result(stepIndex, name);
    }

    /**
     * The error between two float vectors (sketch values), elementwise, under the same rules as
     * {@link #compare(long, String, WitnessTensor, WitnessTensor, Tolerance)}. Vectors of different
     * length never pass.
     *
     * @param claimed the transcript's values
     * @param recomputed the verifier's own values; every bound is relative to them
     */
    public static StepError compare(long stepIndex, String name, float[] claimed, float[] recomputed, Tolerance tolerance) {
        if (claimed.length != recomputed.length) {
            return StepError.incomparable(stepIndex, name);
        }
        Acc acc = new Acc(tolerance);
        for (int i = 0; i < claimed.length; i++) {
            acc.floats(claimed[i], recomputed[i]);
        }
        return acc.result(stepIndex, name);
    }

    /**
     * Merges the errors of several tensors of one step: maxima, the worst element of all, and
     * passing only if all pass.
     */
    public static StepError merge(long stepIndex, String name, Iterable<StepError> parts) {
        double abs = 0;
        double rel = 0;
        long ulps = 0;
        boolean ok = true;
        double worstError = 0;
        double worstBound = 0;
        double worstRatio = -1;
        for (StepError p : parts) {
            abs = Math.max(abs, p.maxAbsError());
            rel = Math.max(rel, p.maxRelError());
            ulps = Math.max(ulps, p.maxUlps());
            ok &= p.withinTolerance();
            double q = p.worstRatio();
            if (q > worstRatio) {
                worstRatio = q;
                worstError = p.worstError();
                worstBound = p.worstBound();
            }
        }
        return new StepError(stepIndex, name, abs, rel, ulps, ok, worstError, worstBound);
    }

    private static long ordered16(short bits) {
        int b = bits & 0xffff;
        return (b & 0x8000) != 0 ? -(long) (b & 0x7fff) : b;
    }

    private static long ordered32(float f) {
        int b = Float.floatToRawIntBits(f);
        return b < 0 ? -(long) (b & 0x7fffffff) : b;
    }

    private static long ordered64(double d) {
        long b = Double.doubleToRawLongBits(d);
        return b < 0 ? -(b & Long.MAX_VALUE) : b;
    }

    /** Running maxima, the worst element and the pass/fail of one comparison. */
    private static final class Acc {
        final Tolerance tol;
        double abs;
        double rel;
        long ulps;
        boolean ok = true;
        double worstError;
        double worstBound;
        double worstRatio = -1;

        Acc(Tolerance tol) {
            this.tol = tol;
            // Every element that is equal bit for bit is at ratio 0 against the tolerance's own bound.
            worst(0, 0);
        }

        void floats(float c, float r) {
            if (Float.floatToRawIntBits(c) == Float.floatToRawIntBits(r)) {
                return;
            }
            numeric(c, r, ordered32(c), ordered32(r));
        }

        void doubles(double c, double r) {
            if (Double.doubleToRawLongBits(c) == Double.doubleToRawLongBits(r)) {
                return;
            }
            numeric(c, r, ordered64(c), ordered64(r));
        }

        void halfs(float c, float r, long oc, long or) {
            if (oc == or) {
                return;
            }
            numeric(c, r, oc, or);
        }

        /** One element whose bits differ ({@code c} claimed, {@code r} recomputed). */
        void numeric(double c, double r, long oc, long or) {
            if (tol.isBitwise()) {
                ok = false;
            }
            boolean finiteC = Double.isFinite(c);
            boolean finiteR = Double.isFinite(r);
            if (!finiteC || !finiteR) {
                // Non-finite values match only their own class and sign; no bound widens that.
                boolean same = (Double.isNaN(c) && Double.isNaN(r)) || (Double.isInfinite(c) && c == r);
                if (!same) {
                    ok = false;
                    abs = Double.POSITIVE_INFINITY;
                    rel = Double.POSITIVE_INFINITY;
                    ulps = Long.MAX_VALUE;
                    worst(Double.POSITIVE_INFINITY, 0);
                } else if (tol.isBitwise()) {
                    // two NaNs with other payloads: bitwise says no, and the report shows it
                    worst(Double.POSITIVE_INFINITY, 0);
                }
                return;
            }
            double d = Math.abs(c - r);
            double mag = Math.abs(r);
            double relErr = mag == 0 ? (d == 0 ? 0 : Double.POSITIVE_INFINITY) : d / mag;
            long u = ulpDistance(oc, or);
            abs = Math.max(abs, d);
            rel = Math.max(rel, relErr);
            ulps = Math.max(ulps, u);
            switch (tol.kind()) {
                case BITWISE -> worst(d, 0);
                case ABS_REL -> {
                    double bound = tol.absolute() + tol.relative() * mag;
                    if (!(d <= bound)) {
                        ok = false;
                    }
                    worst(d, bound);
                }
                case ULPS -> {
                    if (u > tol.ulps()) {
                        ok = false;
                    }
                    worst(u, tol.ulps());
                }
            }
        }

        void exact(long c, long r) {
            if (c != r) {
                ok = false;
                double d = Math.abs((double) c - r);
                abs = Math.max(abs, d);
                rel = Math.max(rel, r == 0 ? Double.POSITIVE_INFINITY : d / Math.abs((double) r));
                long diff = c - r;
                ulps = Math.max(ulps, ((c ^ r) & (c ^ diff)) < 0 ? Long.MAX_VALUE : Math.abs(diff));
                worst(d, 0);
            }
        }

        /** Keeps the element whose error is largest relative to its bound. */
        void worst(double error, double bound) {
            double q = StepError.ratio(error, bound);
            if (q > worstRatio) {
                worstRatio = q;
                worstError = error;
                worstBound = bound;
            }
        }

        static long ulpDistance(long oc, long or) {
            long d = oc - or;
            // overflow guard: the ordered ranges are within +-2^63, so saturate
            if (((oc ^ or) & (oc ^ d)) < 0) {
                return Long.MAX_VALUE;
            }
            return Math.abs(d);
        }

        StepError result(long stepIndex, String name) {
            return new StepError(stepIndex, name, abs, rel, ulps, ok, worstError, worstBound);
        }
    }
}
