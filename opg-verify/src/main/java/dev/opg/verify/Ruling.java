package dev.opg.verify;

import java.util.Objects;
import java.util.Optional;

/**
 * The referee's decision on a dispute between two transcripts.
 *
 * @param verdict who is right
 * @param bisection what the bisection of the two transcripts established (with its query count)
 * @param stepIndex the disputed step, or -1 when the dispute was not about one step; after a
 *     descent, the disputed block (the node is in {@link #descent()})
 * @param reason a sentence saying how the verdict was reached
 * @param descent where the dispute went inside the disputed block, or null when the referee did
 *     not descend (node granularity, SKETCH mode, a dispute not about a block's outputs)
 * @param exchange what settling the dispute cost: rounds, bytes exchanged, the referee's own execution time
 */
public record Ruling(Verdict verdict, BisectionResult bisection, long stepIndex, String reason, Descent descent, Exchange exchange) {
    /** The referee's possible verdicts. */
    public enum Verdict {
        /** The first transcript's claim about the disputed step is what re-execution gives; the second's is not. */
        FIRST_CORRECT,
        /** The second transcript's claim is what re-execution gives; the first's is not. */
        SECOND_CORRECT,
        /** Neither claim is what re-execution gives. */
        BOTH_WRONG,
        /** The roots are equal; there is no dispute. */
        NO_DISPUTE,
        /** The referee could not decide (the reason says why: headers of different runs, a missing witness tensor). */
        UNDECIDED
    }

    public Ruling {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(bisection, "bisection");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(exchange, "exchange");
    }

    /** A ruling without a descent, its exchange only the bisection's rounds (no bytes or time measured). */
    public Ruling(Verdict verdict, BisectionResult bisection, long stepIndex, String reason) {
        this(verdict, bisection, stepIndex, reason, null, new Exchange(bisection.queries(), 0, 0, 0, 0));
    }

    /** The descent, where the referee descended into the disputed block. */
    public Optional<Descent> descended() {
        return Optional.ofNullable(descent);
    }

    /** This ruling with another descent. */
    public Ruling withDescent(Descent d) {
        return new Ruling(verdict, bisection, stepIndex, reason, d, exchange);
    }

    /** This ruling with another exchange. */
    public Ruling withExchange(Exchange e) {
        return new Ruling(verdict, bisection, stepIndex, reason, descent, e);
    }

    /**
     * A dispute's descent into one block (spec section 3.14): both parties re-ran the block at node
     * granularity from its agreed inputs, and the sub-transcripts were bisected down to one node.
     *
     * @param blockIndex the disputed block's step index in the transcripts
     * @param blockName its step name (the sub-transcripts' scope)
     * @param nodeIndex the node step the dispute ended at, as an index within the block's
     *     sub-transcript; -1 where it ended before one node (a party could not descend, or its
     *     sub-transcript did not end at its committed block boundary)
     * @param nodeName that node step's name; empty where {@code nodeIndex} is -1
     * @param bisection what bisecting the two sub-transcripts established; null where they were not bisected
     */
    public record Descent(long blockIndex, String blockName, long nodeIndex, String nodeName, BisectionResult bisection) {
        public Descent {
            Objects.requireNonNull(blockName, "blockName");
            Objects.requireNonNull(nodeName, "nodeName");
        }

        /** Questions asked in the sub-transcripts' bisection (0 where there was none). */
        public int queries() {
            return bisection == null ? 0 : bisection.queries();
        }
    }

    /**
     * What settling a dispute cost. Bytes count what the parties handed the referee, as a wire
     * protocol would carry it (message framing, leaf counts and indices not counted):
     * {@code hashBytes} 32 per digest (committed roots, subtree children, prefix roots, inclusion
     * and consistency path entries), {@code leafBytes} the leaf data of every header and step leaf
     * opened (each step once), {@code tensorBytes} the file form ({@code OPGT} header and data) of
     * every tensor a party's witness handed over, right or wrong; the tensors the referee already
     * holds (the model input) are not counted. Both transcripts' and, after a descent, both
     * sub-transcripts' exchanges are counted.
     *
     * @param rounds the questions of the bisection of the transcripts plus those of the sub-transcripts' bisection
     * @param hashBytes bytes of hashes
     * @param leafBytes bytes of opened leaves
     * @param tensorBytes bytes of tensors fetched
     * @param refereeNanos wall time of the referee's own executions (the steps it re-ran, whole re-executions), in nanoseconds
     */
    public record Exchange(int rounds, long hashBytes, long leafBytes, long tensorBytes, long refereeNanos) {
        /** All bytes exchanged. */
        public long bytes() {
            return hashBytes + leafBytes + tensorBytes;
        }
    }
}
