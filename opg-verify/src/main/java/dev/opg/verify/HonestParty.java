package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.MerkleTree;
import dev.opg.core.transcript.Transcript;
import java.util.List;

/** A {@link TranscriptParty} that answers truthfully from a transcript it holds. */
final class HonestParty implements TranscriptParty {
    private final Transcript transcript;
    private final MerkleTree tree;
    private final TensorSource witness;

    HonestParty(Transcript transcript, TensorSource witness) {
        this.transcript = transcript;
        this.tree = transcript.tree();
        this.witness = witness;
    }

    @Override
    public TensorSource witness() {
        return witness;
    }

    @Override
    public Commitment commit() {
        return new Commitment(transcript.root(), transcript.leafCount());
    }

    @Override
    public HeaderOpening openHeader(int prefixSize) {
        List<Digest> consistency = prefixSize == tree.size() ? List.of() : tree.consistencyProof(prefixSize).path();
        return new HeaderOpening(transcript.header(), prefixSize, tree.rootAt(prefixSize),
                tree.inclusionProof(0, prefixSize).path(), consistency);
    }

    @Override
    public Children children(int start, int size) {
        if (size < 2 || start < 0 || (long) start + size > tree.size()) {
            throw new MalformedInputException("no subtree [" + start + ", " + ((long) start + size) + ") with children in a tree of " + tree.size());
        }
        int k = Integer.highestOneBit(size - 1);
        return new Children(subtree(start, k), subtree(start + k, size - k));
    }

    @Override
    public StepOpening openStep(int stepIndex) {
        return new StepOpening(transcript.steps().get(stepIndex), transcript.inclusionProof(stepIndex));
    }

    private Digest subtree(int start, int n) {
        return tree.subtreeRoot(start, n);
    }
}
