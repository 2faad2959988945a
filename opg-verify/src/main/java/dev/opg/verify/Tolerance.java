package dev.opg.verify;

/**
 * How far a claimed value may lie from the verifier's own recomputation of it. The default
 * everywhere is {@link #bitwise()}; a tolerance other than bitwise is a choice the caller makes
 * explicitly and every report made with one says {@link CheckKind#TOLERANT}.
 *
 * <p>Writing {@code c} for the claimed value (the prover's) and {@code r} for the recomputed one
 * (the verifier's): a finite element passes when {@code |c - r| <= absolute + relative * |r|}
 * (numpy's {@code isclose} form, with the bound taken from the verifier's value so that no
 * claimed value widens its own bound) for {@link Kind#ABS_REL}, or when the two are at most
 * {@code ulps} representable numbers apart for {@link Kind#ULPS}. Non-finite values match only
 * their own class and sign under every tolerance: {@code +inf} only {@code +inf}, {@code -inf}
 * only {@code -inf}, NaN only NaN (any payload; bitwise needs the same bits); a finite value
 * never matches a non-finite one. Integer and boolean elements pass only when equal; tensors of
 * another dtype or shape never pass.
 *
 * @param kind which rule
 * @param absolute absolute bound (ABS_REL), finite and {@code >= 0}
 * @param relative relative bound (ABS_REL), finite and {@code >= 0}, a factor of {@code |r|}
 * @param ulps distance in units in the last place (ULPS), {@code >= 0}
 */
public record Tolerance(Kind kind, double absolute, double relative, long ulps) {
    /** The rules a tolerance can follow. */
    public enum Kind {
        /** Bit-for-bit equality. */
        BITWISE,
        /** {@code |c - r| <= absolute + relative * |r|}, {@code r} the verifier's value. */
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

    /** {@code |c - r| <= absolute}. */
    public static Tolerance absolute(double absolute) {
        return new Tolerance(Kind.ABS_REL, absolute, 0, 0);
    }

    /** {@code |c - r| <= relative * |r|}, {@code r} the verifier's value. */
    public static Tolerance relative(double relative) {
        return new Tolerance(Kind.ABS_REL, 0, relative, 0);
    }

    /** {@code |c - r| <= absolute + relative * |r|}, {@code r} the verifier's value. */
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
            case ABS_REL -> "|claimed-recomputed| <= " + absolute + " + " + relative + "*|recomputed|";
            case ULPS -> "<= " + ulps + " ulps";
        };
    }
}
