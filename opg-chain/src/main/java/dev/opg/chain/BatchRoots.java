package dev.opg.chain;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.MerkleTree;
import dev.opg.core.merkle.Rfc9162;
import java.util.ArrayList;
import java.util.List;

/**
 * How a batch of transcript roots becomes one anchored root.
 *
 * <p>The batch root is the RFC 9162 Merkle tree head over the transcript roots in submission
 * order, where each transcript root (32 bytes) is the leaf <em>data</em>: its leaf hash is
 * {@code SHA-256(0x00 || root)} and inner nodes are {@code SHA-256(0x01 || left || right)}. A
 * transcript root is therefore never confused with an inner node of the batch tree, and the
 * contract's {@code verifyInclusion} hashes the transcript root the same way before walking the
 * audit path.
 */
public final class BatchRoots {
    private BatchRoots() {}

    /** The leaf hash of a transcript root in a batch: {@code SHA-256(0x00 || root)}. */
    public static Digest leafHash(Digest transcriptRoot) {
        return Rfc9162.leafHash(transcriptRoot.toByteArray());
    }

    /** The batch tree over {@code roots}, in order. */
    public static MerkleTree tree(List<Digest> roots) {
        if (roots.isEmpty()) {
            throw new MalformedInputException("a batch needs at least one transcript root; got none");
        }
        List<Digest> leaves = new ArrayList<>(roots.size());
        for (Digest r : roots) {
            leaves.add(leafHash(r));
        }
        return MerkleTree.fromLeafHashes(leaves);
    }

    /** The batch root over {@code roots}. */
    public static Digest batchRoot(List<Digest> roots) {
        return tree(roots).root();
    }

    /** The inclusion proof of every root, in order. */
    public static List<InclusionProof> proofs(MerkleTree tree) {
        List<InclusionProof> out = new ArrayList<>(tree.size());
        for (int i = 0; i < tree.size(); i++) {
            out.add(tree.inclusionProof(i));
        }
        return out;
    }
}
