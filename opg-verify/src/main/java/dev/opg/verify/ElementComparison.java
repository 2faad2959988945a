package dev.opg.verify;

import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import dev.opg.core.witness.WitnessTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Element-by-element comparison of two tensors (or two sketches) under a {@link Tolerance},
 * measuring the largest absolute, relative and ULP error. Pure Java, no engine; thread-safe.
 */
public final class ElementComparison {
    private ElementComparison() {}

    /**
     * The error of {@code actual} against {@code expected}, with {@code withinTolerance} saying
     * whether every element passes {@code tolerance}. Tensors of different dtype or shape never
     * pass (their errors are infinite).
     */
    public static StepError compare(long stepIndex, String name, WitnessTensor expected, WitnessTensor actual, Tolerance tolerance) {
        if (expected.dtype() != actual.dtype() || !Arrays.equals(expected.shape(), actual.shape())) {
            return new StepError(stepIndex, name, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Long.MAX_VALUE, false);
        }
        Acc acc = new Acc(tolerance);
        byte[] e = expected.data();
        byte[] a = actual.data();
        ByteBuffer eb = ByteBuffer.wrap(e).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer ab = ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN);
        DType dt = expected.dtype();
        int n = e.length / dt.byteSize();
        for (int i = 0; i < n; i++) {
            switch (dt) {
                case FLOAT32 -> acc.floats(eb.getFloat(), ab.getFloat());
                case FLOAT64 -> acc.doubles(eb.getDouble(), ab.getDouble());
                case FLOAT16 -> {
                    short x = eb.getShort();
                    short y = ab.getShort();
                    acc.halfs(Float.float16ToFloat(x), Float.float16ToFloat(y), ordered16(x), ordered16(y));
                }
                case BFLOAT16 -> {
                    short x = eb.getShort();
                    short y = ab.getShort();
                    acc.halfs(Float.intBitsToFloat(x << 16), Float.intBitsToFloat(y << 16), ordered16(x), ordered16(y));
                }
                case INT8, UINT8, BOOLEAN -> acc.exact(e[i], a[i]);
                case INT32 -> acc.exact(eb.getInt(), ab.getInt());
                case INT64 -> acc.exact(eb.getLong(), ab.getLong());
                default -> throw new MalformedInputException("no comparison for dtype " + dt);
            }
        }
        return acc.result(stepIndex, name);
    }

    /** The error between two float vectors (sketch values), elementwise. Vectors of different length never pass. */
    public static StepError compare(long stepIndex, String name, float[] expected, float[] actual, Tolerance tolerance) {
        if (expected.length != actual.length) {
            return new StepError(stepIndex, name, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Long.MAX_VALUE, false);
        }
        Acc acc = new Acc(tolerance);
        for (int i = 0; i < expected.length; i++) {
            acc.floats(expected[i], actual[i]);
        }
        return acc.result(stepIndex, name);
    }

    /** Merges the errors of several tensors of one step: maxima, and passing only if all pass. */
    public static StepError merge(long stepIndex, String name, Iterable<StepError> parts) {
        double abs = 0;
        double rel = 0;
        long ulps = 0;
        boolean ok = true;
        for (StepError p : parts) {
            abs = Math.max(abs, p.maxAbsError());
            rel = Math.max(rel, p.maxRelError());
            ulps = Math.max(ulps, p.maxUlps());
            ok &= p.withinTolerance();
        }
        return new StepError(stepIndex, name, abs, rel, ulps, ok);
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

    /** Running maxima and the pass/fail of one comparison. */
    private static final class Acc {
        final Tolerance tol;
        double abs;
        double rel;
        long ulps;
        boolean ok = true;

        Acc(Tolerance tol) {
            this.tol = tol;
        }

        void floats(float e, float a) {
            if (Float.floatToRawIntBits(e) == Float.floatToRawIntBits(a)) {
                return;
            }
            numeric(e, a, ordered32(e), ordered32(a), Float.isNaN(e) && Float.isNaN(a));
        }

        void doubles(double e, double a) {
            if (Double.doubleToRawLongBits(e) == Double.doubleToRawLongBits(a)) {
                return;
            }
            numeric(e, a, ordered64(e), ordered64(a), Double.isNaN(e) && Double.isNaN(a));
        }

        void halfs(float e, float a, long oe, long oa) {
            if (oe == oa) {
                return;
            }
            numeric(e, a, oe, oa, Float.isNaN(e) && Float.isNaN(a));
        }

        // Bits differ here.
        void numeric(double e, double a, long oe, long oa, boolean bothNaN) {
            if (tol.isBitwise()) {
                ok = false;
            }
            if (bothNaN) {
                return;
            }
            double d = Math.abs(a - e);
            if (Double.isNaN(d)) {
                // NaN against a number, or infinities of different sign (inf - inf is NaN only for like signs, which pass above)
                d = Double.POSITIVE_INFINITY;
            }
            double r = e == 0 ? (d == 0 ? 0 : Double.POSITIVE_INFINITY) : d / Math.abs(e);
            long u = (Double.isNaN(e) || Double.isNaN(a)) ? Long.MAX_VALUE : ulpDistance(oe, oa);
            abs = Math.max(abs, d);
            rel = Math.max(rel, r);
            ulps = Math.max(ulps, u);
            switch (tol.kind()) {
                case BITWISE -> ok = false;
                case ABS_REL -> {
                    if (!(d <= tol.absolute() + tol.relative() * Math.abs(e))) {
                        ok = false;
                    }
                }
                case ULPS -> {
                    if (u > tol.ulps()) {
                        ok = false;
                    }
                }
            }
        }

        void exact(long e, long a) {
            if (e != a) {
                ok = false;
                double d = Math.abs((double) a - e);
                abs = Math.max(abs, d);
                rel = Math.max(rel, e == 0 ? Double.POSITIVE_INFINITY : d / Math.abs((double) e));
                ulps = Math.max(ulps, Math.abs(a - e));
            }
        }

        static long ulpDistance(long oe, long oa) {
            long d = oa - oe;
            // overflow guard: the ordered ranges are within +-2^63, so saturate
            if (((oa ^ oe) & (oa ^ d)) < 0) {
                return Long.MAX_VALUE;
            }
            return Math.abs(d);
        }

        StepError result(long stepIndex, String name) {
            return new StepError(stepIndex, name, abs, rel, ulps, ok);
        }
    }
}
