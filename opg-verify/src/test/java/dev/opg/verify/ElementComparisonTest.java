package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.tensor.DType;
import dev.opg.core.witness.WitnessTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class ElementComparisonTest {
    @Test
    void bitwiseRejectsNegativeZeroThatEveryToleranceAccepts() {
        float[] e = {0.0f};
        float[] a = {-0.0f};
        assertFalse(ElementComparison.compare(0, "s", e, a, Tolerance.bitwise()).withinTolerance());
        assertTrue(ElementComparison.compare(0, "s", e, a, Tolerance.ulps(0)).withinTolerance());
    }

    @Test
    void measuresUlpsAcrossElementsAndChecksTheBound() {
        float x = 1.0f;
        float[] e = {x, 2f};
        float[] a = {Math.nextUp(Math.nextUp(x)), 2f};
        StepError err = ElementComparison.compare(3, "s", e, a, Tolerance.ulps(1));
        assertEquals(2, err.maxUlps());
        assertFalse(err.withinTolerance());
        assertTrue(ElementComparison.compare(3, "s", e, a, Tolerance.ulps(2)).withinTolerance());
        assertTrue(ElementComparison.compare(3, "s", e, a, Tolerance.absolute(1e-6)).withinTolerance());
        assertFalse(ElementComparison.compare(3, "s", e, a, Tolerance.absolute(1e-8)).withinTolerance());
    }

    @Test
    void nanAgainstANumberNeverPassesButTwoNansDo() {
        assertFalse(ElementComparison.compare(0, "s", new float[] {1f}, new float[] {Float.NaN}, Tolerance.absolute(1e9)).withinTolerance());
        assertTrue(ElementComparison.compare(0, "s", new float[] {Float.NaN}, new float[] {Float.intBitsToFloat(0x7fc00001)},
                Tolerance.ulps(0)).withinTolerance());
    }

    @Test
    void tensorsOfDifferentShapeNeverPass() {
        var a = SyntheticChain.tensor(1, 2);
        var b = SyntheticChain.tensor(1, 2, 3);
        assertFalse(ElementComparison.compare(0, "s", a, b, Tolerance.absolute(100)).withinTolerance());
    }

    // Issue 11, class 3: the prover's value is the first argument, the verifier's the second.

    private static final List<Tolerance> HUGE = List.of(Tolerance.absRel(Double.MAX_VALUE, Double.MAX_VALUE), Tolerance.absolute(1e300),
            Tolerance.relative(1e300), Tolerance.ulps(Long.MAX_VALUE));

    @Test
    void theBoundComesFromTheRecomputedValueNeverFromTheClaimedOne() {
        Tolerance rel = Tolerance.relative(0.6);
        // |2 - 1| = 1 > 0.6 * |1|: refused, although 1 <= 0.6 * |2| would pass with the claim's own bound
        assertFalse(ElementComparison.compare(0, "s", new float[] {2f}, new float[] {1f}, rel).withinTolerance());
        assertTrue(ElementComparison.compare(0, "s", new float[] {1f}, new float[] {2f}, rel).withinTolerance());
        // a huge or infinite claim does not widen its own bound
        assertFalse(ElementComparison.compare(0, "s", new float[] {1e30f}, new float[] {1f}, Tolerance.relative(0.5)).withinTolerance());
        assertFalse(ElementComparison.compare(0, "s", new float[] {Float.POSITIVE_INFINITY}, new float[] {1f}, Tolerance.relative(0.5))
                .withinTolerance());
        StepError e = ElementComparison.compare(0, "s", new float[] {1.5f, 4f}, new float[] {1f, 4f}, Tolerance.absRel(0.1, 0.5));
        assertTrue(e.withinTolerance());
        assertEquals(0.5, e.worstError());
        assertEquals(0.1 + 0.5 * 1, e.worstBound(), "the bound at the worst element is abs + rel * |recomputed|");
        assertEquals(0.5, e.maxRelError(), "relative error is measured against the recomputed value");
    }

    private static final double[] SPECIAL = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, -Double.NaN, 0.0, -0.0, 1.0,
        -1.0, 65504.0, -65504.0};

    private static WitnessTensor one(DType dt, double v) {
        ByteBuffer b = ByteBuffer.allocate(dt.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        switch (dt) {
            case FLOAT32 -> b.putFloat((float) v);
            case FLOAT64 -> b.putDouble(v);
            case FLOAT16 -> b.putShort(Float.floatToFloat16((float) v));
            case BFLOAT16 -> b.putShort((short) (Float.floatToRawIntBits((float) v) >>> 16));
            default -> throw new IllegalArgumentException(dt.toString());
        }
        return new WitnessTensor(dt, new long[] {1}, b.array());
    }

    @Test
    void nonFiniteValuesMatchOnlyTheirOwnClassAndSignUnderEveryToleranceAndDtype() {
        for (DType dt : List.of(DType.FLOAT32, DType.FLOAT64, DType.FLOAT16, DType.BFLOAT16)) {
            for (double c : SPECIAL) {
                for (double r : SPECIAL) {
                    boolean finite = Double.isFinite(c) && Double.isFinite(r);
                    boolean same = (Double.isNaN(c) && Double.isNaN(r)) || (!Double.isNaN(c) && c == r);
                    for (Tolerance tol : HUGE) {
                        if (finite && tol.absolute() == 0 && tol.kind() == Tolerance.Kind.ABS_REL && r == 0) {
                            continue; // a relative bound around a recomputed 0 is 0: correct, but not what this test is about
                        }
                        StepError e = ElementComparison.compare(0, "s", one(dt, c), one(dt, r), tol);
                        assertEquals(finite || same, e.withinTolerance(), dt + " claimed " + c + " recomputed " + r + " under " + tol);
                    }
                }
            }
            // the largest finite value is one ULP below +inf, and still never matches it
            double max = switch (dt) {
                case FLOAT32 -> Float.MAX_VALUE;
                case FLOAT64 -> Double.MAX_VALUE;
                case FLOAT16 -> 65504.0;
                default -> Float.intBitsToFloat(0x7f7f0000);
            };
            StepError e = ElementComparison.compare(0, "s", one(dt, Double.POSITIVE_INFINITY), one(dt, max), Tolerance.ulps(1));
            assertFalse(e.withinTolerance(), dt.toString());
            assertEquals(Double.POSITIVE_INFINITY, e.maxAbsError());
            assertFalse(ElementComparison.compare(0, "s", one(dt, max), one(dt, Double.POSITIVE_INFINITY), Tolerance.ulps(1)).withinTolerance());
        }
    }

    private static WitnessTensor ints(DType dt, long... v) {
        ByteBuffer b = ByteBuffer.allocate(dt.byteSize() * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            switch (dt) {
                case INT8, UINT8, BOOLEAN -> b.put((byte) x);
                case INT32 -> b.putInt((int) x);
                case INT64 -> b.putLong(x);
                default -> throw new IllegalArgumentException(dt.toString());
            }
        }
        return new WitnessTensor(dt, new long[] {v.length}, b.array());
    }

    @Test
    void integerAndBooleanTensorsCompareExactlyUnderEveryTolerance() {
        for (DType dt : List.of(DType.INT8, DType.UINT8, DType.INT32, DType.INT64, DType.BOOLEAN)) {
            for (Tolerance tol : HUGE) {
                assertTrue(ElementComparison.compare(0, "s", ints(dt, 0, 1), ints(dt, 0, 1), tol).withinTolerance(), dt + " equal");
                StepError e = ElementComparison.compare(0, "s", ints(dt, 0, 1), ints(dt, 1, 1), tol);
                assertFalse(e.withinTolerance(), dt + " off by one under " + tol);
                assertEquals(1.0, e.worstError());
                assertEquals(0.0, e.worstBound(), "only equality passes");
            }
        }
        assertEquals(200.0, ElementComparison.compare(0, "s", ints(DType.UINT8, 250), ints(DType.UINT8, 50), Tolerance.absolute(1))
                .maxAbsError(), "uint8 read unsigned");
    }

    @Test
    void aDtypeOrShapeDifferenceIsNeverWithinTolerance() {
        WitnessTensor f = one(DType.FLOAT32, 1.0);
        WitnessTensor i = new WitnessTensor(DType.INT32, new long[] {1}, f.data());
        for (Tolerance tol : HUGE) {
            assertFalse(ElementComparison.compare(0, "s", f, i, tol).withinTolerance(), "same bytes, other dtype");
            assertFalse(ElementComparison.compare(0, "s", one(DType.FLOAT64, 1.0), f, tol).withinTolerance());
            assertFalse(ElementComparison.compare(0, "s", f, new WitnessTensor(DType.FLOAT32, new long[] {1, 1}, f.data()), tol)
                    .withinTolerance(), "same bytes, other shape");
            assertFalse(ElementComparison.compare(0, "s", new float[] {1f}, new float[] {1f, 1f}, tol).withinTolerance());
        }
    }

    /** The rule written out independently, in exact arithmetic: what {@code withinTolerance} must say for one float element. */
    private static boolean oracle(float c, float r, double abs, double rel) {
        if (!Float.isFinite(c) || !Float.isFinite(r)) {
            return (Float.isNaN(c) && Float.isNaN(r)) || (!Float.isNaN(c) && c == r);
        }
        java.math.BigDecimal d = new java.math.BigDecimal(c).subtract(new java.math.BigDecimal(r)).abs();
        java.math.BigDecimal bound = new java.math.BigDecimal(abs).add(new java.math.BigDecimal(rel).multiply(new java.math.BigDecimal(r).abs()));
        return d.compareTo(bound) <= 0;
    }

    @Test
    void randomPairsAgreeWithTheRuleWrittenInExactArithmetic() {
        java.util.Random rnd = new java.util.Random(20261202L);
        float[] specials = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0xffc00001), Float.MAX_VALUE,
            -Float.MAX_VALUE, Float.MIN_VALUE, 0f, -0f};
        int checked = 0;
        int passed = 0;
        for (int i = 0; i < 200_000; i++) {
            float r = rnd.nextInt(10) == 0 ? specials[rnd.nextInt(specials.length)] : (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
            float c = switch (rnd.nextInt(4)) {
                case 0 -> specials[rnd.nextInt(specials.length)];
                case 1 -> r + (float) (rnd.nextGaussian() * 1e-4);
                case 2 -> Float.intBitsToFloat(Float.floatToRawIntBits(r) + rnd.nextInt(64) - 32);
                default -> (float) (rnd.nextGaussian() * 10);
            };
            double abs = rnd.nextBoolean() ? 0 : Math.pow(10, -rnd.nextInt(8));
            double rel = rnd.nextBoolean() ? 0 : Math.pow(10, -rnd.nextInt(8)) * (rnd.nextInt(5) == 0 ? 1e6 : 1);
            boolean expected = Float.floatToRawIntBits(c) == Float.floatToRawIntBits(r) || oracle(c, r, abs, rel);
            StepError e = ElementComparison.compare(0, "s", new float[] {c}, new float[] {r}, Tolerance.absRel(abs, rel));
            // the code computes |c - r| and the bound in double; only a pair within a rounding error of the bound may differ
            if (e.withinTolerance() != expected) {
                double d = Math.abs((double) c - r);
                double bound = abs + rel * Math.abs((double) r);
                assertTrue(Math.abs(d - bound) <= 1e-12 * Math.max(d, bound), "claimed " + c + " recomputed " + r + " abs " + abs + " rel " + rel);
            }
            checked++;
            passed += e.withinTolerance() ? 1 : 0;
        }
        assertEquals(200_000, checked);
        assertTrue(passed > 20_000 && passed < 180_000, "both outcomes exercised: " + passed + " passed");
    }
}
