package dev.opg.core.merkle;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import java.util.List;

/**
 * An RFC 9162 inclusion proof (audit path): the sibling hashes from leaf {@code leafIndex} up to
 * the root of a tree of {@code treeSize} leaves.
 */
public record InclusionProof(long leafIndex, long treeSize, List<Digest> path) {
    public InclusionProof {
        if (treeSize < 1 || leafIndex < 0 || leafIndex >= treeSize) {
            throw new MalformedInputException("leaf index " + leafIndex + " is outside tree size " + treeSize);
        }
        path = List.copyOf(path);
    }

    /** True if this path leads from {@code leafHash} to {@code root}; see {@link MerkleProofs#verifyInclusion}. */
    public boolean verify(Digest leafHash, Digest root) {
        return MerkleProofs.verifyInclusion(leafIndex, treeSize, leafHash, path, root);
    }
}
