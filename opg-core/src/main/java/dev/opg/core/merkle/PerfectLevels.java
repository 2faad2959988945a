package dev.opg.core.merkle;

import dev.opg.core.Digest;
import java.util.List;

/**
 * The RFC 9162 recursions (MTH, PATH, SUBPROOF) over a tree whose perfect subtrees are stored by
 * level: {@link #node} gives the hash of the perfect subtree of 2^level leaves starting at leaf
 * {@code index * 2^level}. {@link MerkleTree} (built once) and {@link AppendOnlyTree} (grown leaf by
 * leaf) differ only in that storage, so the proof arithmetic lives here once.
 */
interface PerfectLevels {
    /** A copy of the stored hash of perfect subtree {@code index} at {@code level}. */
    byte[] node(int level, int index);

    /**
     * MTH(D[start:start+n]) for n >= 1. Every range the RFC's recursion asks for starts at a
     * multiple of its own largest power-of-two part, so perfect parts come straight from a level.
     */
    default byte[] subtree(int start, int n) {
        if (Integer.bitCount(n) == 1 && start % n == 0) {
            return node(Integer.numberOfTrailingZeros(n), start / n);
        }
        int k = MerkleTree.largestPowerOfTwoBelow(n);
        return Rfc9162.nodeHashBytes(subtree(start, k), subtree(start + k, n - k));
    }

    /** PATH(m, D[start:start+n]) of RFC 9162 2.1.3.1, siblings from the leaf up. */
    default void path(int m, int start, int n, List<Digest> out) {
        if (n <= 1) {
            return;
        }
        int k = MerkleTree.largestPowerOfTwoBelow(n);
        if (m < k) {
            path(m, start, k, out);
            out.add(Digest.of(subtree(start + k, n - k)));
        } else {
            path(m - k, start + k, n - k, out);
            out.add(Digest.of(subtree(start, k)));
        }
    }

    /** SUBPROOF(m, D[start:start+n], b) of RFC 9162 2.1.4.1. */
    default void subproof(int m, int start, int n, boolean completeSubtree, List<Digest> out) {
        if (m == n) {
            if (!completeSubtree) {
                out.add(Digest.of(subtree(start, n)));
            }
            return;
        }
        int k = MerkleTree.largestPowerOfTwoBelow(n);
        if (m <= k) {
            subproof(m, start, k, completeSubtree, out);
            out.add(Digest.of(subtree(start + k, n - k)));
        } else {
            subproof(m - k, start + k, n - k, false, out);
            out.add(Digest.of(subtree(start, k)));
        }
    }
}
