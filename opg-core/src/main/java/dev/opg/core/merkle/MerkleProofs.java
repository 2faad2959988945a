package dev.opg.core.merkle;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import java.util.List;
import java.util.Objects;

/**
 * Verification of RFC 9162 proofs from plain values, with no tree at hand.
 *
 * <p>Fails closed: a proof whose hashes do not lead to the claimed root answers {@code false}. A
 * proof that cannot be right whatever its hashes (its length differs from the one the sizes
 * imply, an index beyond the size, a size of 0 for an inclusion, sizes out of order) throws
 * {@link MalformedInputException} naming what was expected. The arithmetic follows RFC 9162
 * 2.1.3.2 and 2.1.4.2 in the decomposed form of transparency-dev/merkle: the path splits into an
 * "inner" part, below the point where the leaf's path leaves the tree's right border, and a
 * "border" part along it.
 */
public final class MerkleProofs {
    private MerkleProofs() {}

    /** True if {@code path} proves that {@code leafHash} is leaf {@code index} of the tree of {@code size} with {@code root}. */
    public static boolean verifyInclusion(long index, long size, Digest leafHash, List<Digest> path, Digest root) {
        Objects.requireNonNull(root, "root");
        return rootFromInclusionProof(index, size, leafHash, path).equals(root);
    }

    /**
     * The root that {@code path} leads to from {@code leafHash} at {@code index} in a tree of
     * {@code size} leaves.
     *
     * @throws MalformedInputException if {@code index >= size}, {@code size == 0}, or the path
     *     length is not the one this index and size imply
     */
    public static Digest rootFromInclusionProof(long index, long size, Digest leafHash, List<Digest> path) {
        Objects.requireNonNull(leafHash, "leafHash");
        Objects.requireNonNull(path, "path");
        if (size <= 0) {
            throw new MalformedInputException("tree size " + size + " has no leaves to prove; expected size >= 1");
        }
        if (index < 0 || index >= size) {
            throw new MalformedInputException("index is beyond size: " + index + " >= " + size);
        }
        int inner = innerProofSize(index, size);
        int border = Long.bitCount(index >>> inner);
        if (path.size() != inner + border) {
            throw new MalformedInputException("wrong inclusion proof size " + path.size() + ", want "
                    + (inner + border) + " for index " + index + " in a tree of " + size);
        }
        byte[] h = leafHash.toByteArray();
        h = chainInner(h, path.subList(0, inner), index);
        h = chainBorderRight(h, path.subList(inner, path.size()));
        return Digest.of(h);
    }

    /**
     * True if {@code path} proves that the tree of {@code size1} leaves with {@code root1} is a
     * prefix of the tree of {@code size2} leaves with {@code root2}. Equal sizes need an empty
     * path and equal roots; every tree is consistent with the empty one (empty path).
     *
     * @throws MalformedInputException if {@code size2 < size1}, a size is negative, or the path
     *     length is not the one the sizes imply
     */
    public static boolean verifyConsistency(long size1, long size2, List<Digest> path, Digest root1, Digest root2) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(root1, "root1");
        Objects.requireNonNull(root2, "root2");
        if (size1 < 0 || size2 < size1) {
            throw new MalformedInputException("consistency sizes must satisfy 0 <= size1 <= size2; got "
                    + size1 + " and " + size2);
        }
        if (size1 == size2 || size1 == 0) {
            if (!path.isEmpty()) {
                throw new MalformedInputException("wrong consistency proof size " + path.size()
                        + ", want 0 from size " + size1 + " to " + size2);
            }
            return size1 == 0 || root1.equals(root2);
        }
        int inner = innerProofSize(size1 - 1, size2);
        int border = Long.bitCount((size1 - 1) >>> inner);
        int shift = Long.numberOfTrailingZeros(size1);
        inner -= shift; // shift < inner when size1 < size2
        // When size1 is itself a power of two its root is the seed; otherwise the proof opens with it.
        boolean seedIsRoot1 = size1 == 1L << shift;
        int start = seedIsRoot1 ? 0 : 1;
        if (path.size() != start + inner + border) {
            throw new MalformedInputException("wrong consistency proof size " + path.size() + ", want "
                    + (start + inner + border) + " from size " + size1 + " to " + size2);
        }
        byte[] seed = seedIsRoot1 ? root1.toByteArray() : path.get(0).toByteArray();
        List<Digest> rest = path.subList(start, path.size());
        long mask = (size1 - 1) >>> shift;
        byte[] hash1 = chainBorderRight(chainInnerRight(seed, rest.subList(0, inner), mask), rest.subList(inner, rest.size()));
        if (!Digest.of(hash1).equals(root1)) {
            return false;
        }
        byte[] hash2 = chainBorderRight(chainInner(seed, rest.subList(0, inner), mask), rest.subList(inner, rest.size()));
        return Digest.of(hash2).equals(root2);
    }

    /** Levels below the one where leaf {@code index}'s path joins the right border of a tree of {@code size}. */
    private static int innerProofSize(long index, long size) {
        return 64 - Long.numberOfLeadingZeros(index ^ (size - 1));
    }

    /** Climbs the inner part: bit i of index says whether the node at level i is a right child. */
    private static byte[] chainInner(byte[] seed, List<Digest> proof, long index) {
        for (int i = 0; i < proof.size(); i++) {
            byte[] p = proof.get(i).toByteArray();
            seed = ((index >>> i) & 1) == 0 ? Rfc9162.nodeHashBytes(seed, p) : Rfc9162.nodeHashBytes(p, seed);
        }
        return seed;
    }

    /** Like chainInner, but only the right-child steps: the old tree has nothing to the right. */
    private static byte[] chainInnerRight(byte[] seed, List<Digest> proof, long index) {
        for (int i = 0; i < proof.size(); i++) {
            if (((index >>> i) & 1) == 1) {
                seed = Rfc9162.nodeHashBytes(proof.get(i).toByteArray(), seed);
            }
        }
        return seed;
    }

    /** Along the right border every sibling is on the left. */
    private static byte[] chainBorderRight(byte[] seed, List<Digest> proof) {
        for (Digest p : proof) {
            seed = Rfc9162.nodeHashBytes(p.toByteArray(), seed);
        }
        return seed;
    }
}
