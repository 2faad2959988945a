package dev.opg.verify;

/**
 * What a {@link Bisector} established about two transcripts, with the number of questions it
 * asked ({@link #queries()}, both parties together). The set of cases is closed.
 */
public sealed interface BisectionResult {
    /** Questions asked of both parties together. */
    int queries();

    /** Which party. */
    enum Party {
        FIRST, SECOND
    }

    /** The two roots are equal: there is nothing to dispute. */
    record Agreement(int queries) implements BisectionResult {}

    /**
     * The headers differ in a field fixed before execution (model, profile, mode, inputs): the
     * transcripts describe different runs, and no single step can settle them.
     */
    record HeaderConflict(HeaderField field, int queries) implements BisectionResult {}

    /**
     * The first step whose leaves differ. Every step before it is identical in both transcripts
     * (proved by matching subtree hashes). {@code stepIndex} may equal the shorter transcript's
     * step count, when one transcript has a step the other lacks.
     */
    record FirstDifference(long stepIndex, int queries) implements BisectionResult {}

    /** Every step is identical; only the header's claimed outputs differ. */
    record OutputsOnly(int queries) implements BisectionResult {}

    /** A party gave an answer that contradicts its own earlier commitments; it loses the dispute. */
    record Equivocation(Party party, String reason, int queries) implements BisectionResult {}
}
