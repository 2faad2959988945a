package dev.opg.core.merkle;

import static dev.opg.core.merkle.Rfc9162.HASH_SIZE;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * An immutable RFC 9162 Merkle tree over leaf hashes, with its root, inclusion proofs and
 * consistency proofs for every size from 0 up.
 *
 * <p>Only the hashes of perfect subtrees are stored, level by level in flat arrays (about
 * {@code 2 * n * 32} bytes in all, no object per node); every other node of the RFC's tree, all on
 * its ragged right edge, is derived from them in {@code O(log n)} hashes when a proof needs it.
 * Building costs exactly {@code n - 1} node hashes, spread over the available cores for large
 * levels. When only the root is wanted, {@link #rootOf(List)} does the same work in one buffer.
 */
public final class MerkleTree {
    /** The most leaves one tree holds: the flat level arrays are Java arrays of 32-byte hashes. */
    public static final int MAX_LEAVES = Integer.MAX_VALUE / HASH_SIZE / 2;

    /** Levels with fewer nodes than this are hashed on the calling thread. */
    private static final int PARALLEL_THRESHOLD = 1 << 13;

    private final int size;
    /** levels[l] holds the hashes of the (size >> l) perfect subtrees of 2^l leaves, left to right. */
    private final byte[][] levels;
    /** {@link #root()}, once asked for: a model id or transcript root is read on every prediction. */
    private volatile Digest root;

    private MerkleTree(int size, byte[][] levels) {
        this.size = size;
        this.levels = levels;
    }

    /** Hashes each element as a leaf ({@code SHA-256(0x00 || data)}) and builds the tree. */
    public static MerkleTree fromLeafData(List<byte[]> leafData) {
        int n = checkCount(leafData.size());
        byte[] level0 = new byte[n * HASH_SIZE];
        forRange(n, i -> System.arraycopy(Rfc9162.leafHashBytes(leafData.get(i)), 0, level0, i * HASH_SIZE, HASH_SIZE));
        return build(n, level0);
    }

    /** Builds the tree over leaf hashes already computed (see {@link Rfc9162#leafHash}). */
    public static MerkleTree fromLeafHashes(List<Digest> leafHashes) {
        int n = checkCount(leafHashes.size());
        return build(n, flatten(leafHashes, n));
    }

    /**
     * The root over {@code leafHashes}, without keeping the tree: {@code n - 1} node hashes,
     * {@code O(n)} bytes of scratch and no allocation per node.
     */
    public static Digest rootOf(List<Digest> leafHashes) {
        int n = checkCount(leafHashes.size());
        return rootOfFlat(flatten(leafHashes, n), n);
    }

    /**
     * The root over {@code n} leaf hashes stored back to back in {@code flatLeafHashes} (32 bytes
     * each). The array is used as scratch space and its contents are destroyed.
     */
    public static Digest rootOfFlat(byte[] flatLeafHashes, int n) {
        checkCount(n);
        if ((long) n * HASH_SIZE > flatLeafHashes.length) {
            throw new MalformedInputException("flat leaf-hash array holds " + flatLeafHashes.length
                    + " bytes; " + n + " leaves need " + (long) n * HASH_SIZE);
        }
        if (n == 0) {
            return Rfc9162.emptyRoot();
        }
        // Reduce level by level; whenever a level has an odd count its last node is a perfect
        // subtree on the ragged right edge, and those fold right to left into the root.
        byte[] cur = flatLeafHashes;
        byte[] next = new byte[(n / 2) * HASH_SIZE];
        byte[] acc = null;
        int count = n;
        while (count > 1 || acc != null) {
            if ((count & 1) == 1) {
                byte[] last = new byte[HASH_SIZE];
                System.arraycopy(cur, (count - 1) * HASH_SIZE, last, 0, HASH_SIZE);
                acc = acc == null ? last : Rfc9162.nodeHashBytes(last, acc);
            }
            if (count == 1) {
                break;
            }
            int half = count / 2;
            byte[] src = cur;
            byte[] dst = next;
            forRange(half, i -> Rfc9162.nodeHashInto(src, 2 * i * HASH_SIZE, src, (2 * i + 1) * HASH_SIZE, dst, i * HASH_SIZE));
            byte[] t = cur;
            cur = next;
            next = t;
            count = half;
        }
        if (acc == null) {
            byte[] root = new byte[HASH_SIZE];
            System.arraycopy(cur, 0, root, 0, HASH_SIZE);
            return Digest.of(root);
        }
        return Digest.of(acc);
    }

    /** Number of leaves. */
    public int size() {
        return size;
    }

    /** The tree head: {@code MTH(D[0:size])}, computed once. */
    public Digest root() {
        Digest r = root;
        if (r == null) {
            r = rootAt(size);
            root = r; // a race computes the same value twice, nothing worse
        }
        return r;
    }

    /** The root the tree had when it held only its first {@code m} leaves, {@code 0 <= m <= size}. */
    public Digest rootAt(int m) {
        if (m < 0 || m > size) {
            throw new MalformedInputException("tree size " + m + " is outside [0, " + size + "]");
        }
        return m == 0 ? Rfc9162.emptyRoot() : Digest.of(stored.subtree(0, m));
    }

    /**
     * MTH(D[start:start+size]): the root of the RFC 9162 tree over that range of leaves, for
     * {@code size >= 1}. Ranges that the RFC's own recursion produces (start a multiple of the
     * range's largest power-of-two part, as in proofs and bisection) cost {@code O(log n)} hashes;
     * any other range is computed correctly, in up to {@code size - 1} hashes.
     */
    public Digest subtreeRoot(int start, int size) {
        if (size < 1 || start < 0 || (long) start + size > this.size) {
            throw new MalformedInputException("leaf range [" + start + ", " + ((long) start + size)
                    + ") is not a non-empty range inside a tree of " + this.size);
        }
        return Digest.of(stored.subtree(start, size));
    }

    /** The hash of leaf {@code index}. */
    public Digest leafHash(int index) {
        checkIndex(index);
        return Digest.of(node(0, index));
    }

    /** The audit path of RFC 9162 section 2.1.3.1 for leaf {@code index} in the whole tree. */
    public InclusionProof inclusionProof(int index) {
        return inclusionProof(index, size);
    }

    /** The audit path for leaf {@code index} in the tree of the first {@code treeSize} leaves. */
    public InclusionProof inclusionProof(int index, int treeSize) {
        if (treeSize < 1 || treeSize > size) {
            throw new MalformedInputException("tree size " + treeSize + " is outside [1, " + size + "]");
        }
        if (index < 0 || index >= treeSize) {
            throw new MalformedInputException("leaf index " + index + " is beyond tree size " + treeSize);
        }
        List<Digest> path = new ArrayList<>();
        stored.path(index, 0, treeSize, path);
        return new InclusionProof(index, treeSize, path);
    }

    /**
     * The consistency proof of RFC 9162 section 2.1.4.1 from the tree of the first {@code m}
     * leaves to the whole tree, {@code 1 <= m <= size} (empty when {@code m == size}).
     */
    public ConsistencyProof consistencyProof(int m) {
        return consistencyProof(m, size);
    }

    /** The consistency proof from size {@code m} to size {@code n}, {@code 1 <= m <= n <= size}. */
    public ConsistencyProof consistencyProof(int m, int n) {
        if (n < 1 || n > size) {
            throw new MalformedInputException("second tree size " + n + " is outside [1, " + size + "]");
        }
        if (m < 1 || m > n) {
            throw new MalformedInputException("first tree size " + m + " is outside [1, " + n
                    + "]; a consistency proof from the empty tree is empty by definition");
        }
        List<Digest> path = new ArrayList<>();
        stored.subproof(m, 0, n, true, path);
        return new ConsistencyProof(m, n, path);
    }

    /** The stored levels, read by the RFC recursions of {@link PerfectLevels}. */
    private final PerfectLevels stored = this::node;

    private byte[] node(int level, int index) { // a copy of a stored level hash
        byte[] out = new byte[HASH_SIZE];
        System.arraycopy(levels[level], index * HASH_SIZE, out, 0, HASH_SIZE);
        return out;
    }

    /** The largest power of two strictly smaller than n, for n >= 2. */
    static int largestPowerOfTwoBelow(int n) {
        return Integer.highestOneBit(n - 1);
    }

    private static MerkleTree build(int n, byte[] level0) {
        int height = n == 0 ? 1 : 32 - Integer.numberOfLeadingZeros(n);
        byte[][] levels = new byte[height][];
        levels[0] = level0;
        for (int l = 1; l < height; l++) {
            int count = n >>> l;
            byte[] below = levels[l - 1];
            byte[] here = new byte[count * HASH_SIZE];
            forRange(count, i -> Rfc9162.nodeHashInto(below, 2 * i * HASH_SIZE, below, (2 * i + 1) * HASH_SIZE, here, i * HASH_SIZE));
            levels[l] = here;
        }
        return new MerkleTree(n, levels);
    }

    private static byte[] flatten(List<Digest> hashes, int n) {
        byte[] flat = new byte[n * HASH_SIZE];
        for (int i = 0; i < n; i++) {
            Digest d = hashes.get(i);
            for (int j = 0; j < HASH_SIZE; j++) {
                flat[i * HASH_SIZE + j] = d.byteAt(j);
            }
        }
        return flat;
    }

    private static void forRange(int count, java.util.function.IntConsumer body) {
        if (count < PARALLEL_THRESHOLD) {
            for (int i = 0; i < count; i++) {
                body.accept(i);
            }
            return;
        }
        int chunk = 2048;
        int chunks = (count + chunk - 1) / chunk;
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int end = Math.min(count, (c + 1) * chunk);
            for (int i = c * chunk; i < end; i++) {
                body.accept(i);
            }
        });
    }

    private static int checkCount(int n) {
        if (n < 0) {
            throw new MalformedInputException("leaf count " + n + " is negative");
        }
        if (n > MAX_LEAVES) {
            throw new LimitExceededException("a tree holds at most " + MAX_LEAVES + " leaves; got " + n);
        }
        return n;
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= size) {
            throw new MalformedInputException("leaf index " + index + " is beyond tree size " + size);
        }
    }
}
