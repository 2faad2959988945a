package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
