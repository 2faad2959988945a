package dev.opg.verify;

/**
 * How far a re-computed value may lie from a committed one. The default everywhere is
 * {@link #bitwise()}; a tolerance other than bitwise is a choice the caller makes explicitly and
 * every report made with one says {@link CheckKind#TOLERANT}.
 *
 * <p>An element passes when {@code |a - e| <= absolute + relative * |e|} (the form numpy's
 * {@code isclose} uses) for {@link Kind#ABS_REL}, or when the two values are at most
 * {@code ulps} representable numbers apart for {@link Kind#ULPS}. Two NaNs pass each other; a NaN
 * against a number, or infinities of different sign, never pass. Integer and boolean tensors pass
 * only when equal, under every tolerance.
 *
 * @param kind which rule
 * @param absolute absolute bound (ABS_REL), finite and {@code >= 0}
 * @param relative relative bound (ABS_REL), finite and {@code >= 0}
 * @param ulps distance in units in the last place (ULPS), {@code >= 0}
 */
public record Tolerance(Kind kind, double absolute, double relative, long ulps) {
    /** The rules a tolerance can follow. */
    public enum Kind {
        /** Bit-for-bit equality. */
        BITWISE,
        /** {@code |a - e| <= absolute + relative * |e|}. */
        ABS_REL,
        /** At most {@code ulps} representable numbers apart. */
        ULPS
    }

    public Tolerance {
        if (kind == null) {
            throw new IllegalArgumentException("a tolerance needs a kind");
        }
        if (!(absolute >= 0) || !(relative >= 0) || Double.isInfinite(absolute) || Double.isInfinite(relative)) {
            throw new IllegalArgumentException("tolerance bounds must be finite and >= 0; got absolute " + absolute + ", relative " + relative);
        }
        if (ulps < 0) {
            throw new IllegalArgumentException("a ULP bound must be >= 0; got " + ulps);
        }
    }

    /** Bit-for-bit equality, the default. */
    public static Tolerance bitwise() {
        return new Tolerance(Kind.BITWISE, 0, 0, 0);
    }

    /** {@code |a - e| <= absolute}. */
    public static Tolerance absolute(double absolute) {
        return new Tolerance(Kind.ABS_REL, absolute, 0, 0);
    }

    /** {@code |a - e| <= relative * |e|}. */
    public static Tolerance relative(double relative) {
        return new Tolerance(Kind.ABS_REL, 0, relative, 0);
    }

    /** {@code |a - e| <= absolute + relative * |e|}. */
    public static Tolerance absRel(double absolute, double relative) {
        return new Tolerance(Kind.ABS_REL, absolute, relative, 0);
    }

    /** At most {@code ulps} units in the last place apart. */
    public static Tolerance ulps(long ulps) {
        return new Tolerance(Kind.ULPS, 0, 0, ulps);
    }

    /** Whether this is {@link #bitwise()}. */
    public boolean isBitwise() {
        return kind == Kind.BITWISE;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case BITWISE -> "bitwise";
            case ABS_REL -> "|a-e| <= " + absolute + " + " + relative + "*|e|";
            case ULPS -> "<= " + ulps + " ulps";
        };
    }
}
