package dev.opg.core.merkle;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * An RFC 9162 tree that grows one leaf at a time, for streams: appending costs one leaf hash and
 * amortised one node hash, and the root or a consistency proof at any earlier size costs
 * O(log n) hashes, so a stream of n leaves costs O(n log n) in all, never O(n^2). Roots and proofs
 * are exactly those of {@link MerkleTree} over the same leaves.
 */
public final class AppendOnlyTree {
    /** levels.get(l) holds the perfect subtree roots of 2^l leaves, left to right. */
    private final List<List<byte[]>> levels = new ArrayList<>();

    public AppendOnlyTree() {
        levels.add(new ArrayList<>());
    }

    /** Leaves so far. */
    public int size() {
        return levels.get(0).size();
    }

    /** Appends the leaf whose data is {@code leafData}; returns the new size. */
    public int append(byte[] leafData) {
        return appendHash(Rfc9162.leafHash(leafData));
    }

    /** Appends a leaf by its leaf hash; returns the new size. */
    public int appendHash(Digest leafHash) {
        if (size() >= MerkleTree.MAX_LEAVES) {
            throw new LimitExceededException("the tree holds " + size() + " leaves; the cap is " + MerkleTree.MAX_LEAVES);
        }
        byte[] h = leafHash.toByteArray();
        int l = 0;
        levels.get(0).add(h);
        int index = levels.get(0).size() - 1;
        while ((index & 1) == 1) {
            List<byte[]> here = levels.get(l);
            byte[] parent = Rfc9162.nodeHashBytes(here.get(index - 1), here.get(index));
            l++;
            if (levels.size() == l) {
                levels.add(new ArrayList<>());
            }
            levels.get(l).add(parent);
            index >>= 1;
        }
        return size();
    }

    public Digest leafHash(int index) {
        if (index < 0 || index >= size()) {
            throw new MalformedInputException("leaf index " + index + " is beyond the tree's " + size() + " leaves");
        }
        return Digest.of(levels.get(0).get(index).clone());
    }

    /** The root now. */
    public Digest root() {
        return rootAt(size());
    }

    /** The root the tree had at size {@code m}. */
    public Digest rootAt(int m) {
        if (m < 0 || m > size()) {
            throw new MalformedInputException("tree size " + m + " is outside [0, " + size() + "]");
        }
        return m == 0 ? Rfc9162.emptyRoot() : Digest.of(stored.subtree(0, m));
    }

    /** PROOF(m, D[n]) of RFC 9162 2.1.4.1 between two sizes this tree has had. */
    public ConsistencyProof consistencyProof(int m, int n) {
        if (n < 1 || n > size()) {
            throw new MalformedInputException("second tree size " + n + " is outside [1, " + size() + "]");
        }
        if (m < 1 || m > n) {
            throw new MalformedInputException("first tree size " + m + " is outside [1, " + n
                    + "]; a consistency proof from the empty tree is empty by definition");
        }
        List<Digest> path = new ArrayList<>();
        stored.subproof(m, 0, n, true, path);
        return new ConsistencyProof(m, n, path);
    }

    /** The inclusion proof of leaf {@code index} in the tree of size {@code n}. */
    public InclusionProof inclusionProof(int index, int n) {
        if (n < 1 || n > size() || index < 0 || index >= n) {
            throw new MalformedInputException("leaf " + index + " in a tree of " + n + " leaves is outside this tree of " + size());
        }
        List<Digest> path = new ArrayList<>();
        stored.path(index, 0, n, path);
        return new InclusionProof(index, n, path);
    }

    /** The stored levels, read by the RFC recursions of {@link PerfectLevels}. */
    private final PerfectLevels stored = (level, index) -> levels.get(level).get(index).clone();
}
