package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import java.util.List;

/**
 * One side of a dispute, as an interactive protocol sees it: a party commits to a root and a leaf
 * count, and then answers questions about its Merkle tree. The {@link Bisector} checks every
 * answer against what the party committed to before, so a party that answers inconsistently is
 * caught ({@link BisectionResult.Equivocation}); nothing a party says is trusted otherwise.
 *
 * <p>{@link #honest(Transcript)} answers from a transcript held in full. A remote party would
 * implement this interface over the network.
 */
public interface TranscriptParty {
    /** The root and the number of Merkle leaves (steps + 1). */
    Commitment commit();

    /**
     * Opens the header leaf inside the tree of the first {@code prefixSize} leaves: the header, the
     * root of that prefix tree, the inclusion path of leaf 0 in it, and the consistency path from
     * the prefix tree to the full tree ({@code 1 <= prefixSize <= leafCount}).
     */
    HeaderOpening openHeader(int prefixSize);

    /**
     * The hashes of the two children of the RFC 9162 subtree over leaves
     * {@code [start, start + size)}, {@code size >= 2}: the left child covers the first {@code k}
     * leaves, {@code k} the largest power of two below {@code size}.
     */
    Children children(int start, int size);

    /** Opens step {@code stepIndex} (leaf {@code stepIndex + 1}) with its inclusion proof against the committed root. */
    StepOpening openStep(int stepIndex);

    /**
     * The tensors this party hands the referee on request, by digest (its witness): the agreed
     * inputs of a disputed step, and in a descent the values inside the disputed block. Nothing a
     * party hands over is trusted: the referee hashes every tensor and compares it with the digest
     * it asked for ({@link TensorSource#fetch}). The default has none.
     */
    default TensorSource witness() {
        return d -> java.util.Optional.empty();
    }

    /**
     * Descends into block {@code stepIndex} of this party's transcript (spec section 3.14): the
     * party re-runs that block at node granularity from the block's committed inputs and answers
     * for the resulting sub-transcript, whose header has granularity node, the block's name as its
     * scope, the block leaf's inputs as its inputs and the block leaf's outputs as its outputs
     * (the {@link Referee} checks all of that); the returned party's {@link #witness()} holds the
     * tensors of the sub-transcript.
     *
     * <p>The default cannot descend: it throws, and a party that cannot descend when a dispute
     * needs it loses (see {@link Referee}). {@link ModelParty} descends by re-running its model.
     *
     * @throws UnsupportedOperationException if this party cannot descend
     */
    default TranscriptParty descend(int stepIndex) {
        throw new UnsupportedOperationException("this party answers from a transcript alone and cannot re-run block " + stepIndex
                + " at node granularity");
    }

    /** A party that answers from {@code transcript}; it hands over no tensors and cannot descend. */
    static TranscriptParty honest(Transcript transcript) {
        return new HonestParty(transcript, witnessless());
    }

    /** A party that answers from {@code transcript} and hands over the tensors of {@code witness}; it cannot descend. */
    static TranscriptParty honest(Transcript transcript, TensorSource witness) {
        return new HonestParty(transcript, java.util.Objects.requireNonNull(witness, "witness"));
    }

    private static TensorSource witnessless() {
        return d -> java.util.Optional.empty();
    }

    /** A root and a leaf count. */
    record Commitment(Digest root, int leafCount) {}

    /** The header leaf opened in the prefix tree of {@code prefixSize} leaves. */
    record HeaderOpening(TranscriptHeader header, int prefixSize, Digest prefixRoot, List<Digest> headerPath,
            List<Digest> consistencyPath) {
        public HeaderOpening {
            headerPath = List.copyOf(headerPath);
            consistencyPath = List.copyOf(consistencyPath);
        }
    }

    /** The two children of a subtree. */
    record Children(Digest left, Digest right) {}

    /** A step leaf and its inclusion proof. */
    record StepOpening(Step step, InclusionProof proof) {}
}
