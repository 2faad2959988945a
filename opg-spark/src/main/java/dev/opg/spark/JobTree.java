package dev.opg.spark;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.Rfc9162;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The RFC 9162 tree of a job (spec section 3.15) computed in pieces, so that no machine holds every
 * row: the rows sit in key order across partitions, partition p holding leaves {@code [a, b)}.
 * Every node of the tree covers a range {@code [lo, hi)} fixed by RFC 9162's split (the largest
 * power of two below the size). Each partition hashes the {@linkplain #cover maximal nodes inside
 * its range} from its own leaves; the driver combines those into the root, and hands each partition
 * the {@linkplain #externals nodes outside its range} that its rows' inclusion proofs need (about
 * two per level), from which the partition builds every proof of its own rows.
 */
public final class JobTree {
    private JobTree() {}

    /** A node of the tree: the leaves {@code [lo, hi)} and its hash. */
    public record Node(long lo, long hi, byte[] hash) implements Serializable {
        public Node {
            hash = hash.clone();
        }

        @Override
        public byte[] hash() {
            return hash.clone();
        }

        Digest digest() {
            return Digest.of(hash);
        }
    }

    /** RFC 9162's split of a tree of {@code n > 1} leaves: the largest power of two smaller than n. */
    static long split(long n) {
        return Long.highestOneBit(n - 1);
    }

    /** The maximal nodes of the tree over {@code n} leaves that lie inside {@code [a, b)}, left to right. */
    public static List<long[]> cover(long n, long a, long b) {
        List<long[]> out = new ArrayList<>();
        if (a < b) {
            cover(0, n, a, b, out);
        }
        return out;
    }

    private static void cover(long lo, long hi, long a, long b, List<long[]> out) {
        if (hi <= a || lo >= b) {
            return;
        }
        if (a <= lo && hi <= b) {
            out.add(new long[] {lo, hi});
            return;
        }
        long k = split(hi - lo);
        cover(lo, lo + k, a, b, out);
        cover(lo + k, hi, a, b, out);
    }

    /**
     * The hash of node {@code [lo, hi)} from the leaf hashes of {@code [a, b)} (leaf {@code a + i}
     * is {@code leaves.get(i)}); the node must lie inside {@code [a, b)}.
     */
    public static Digest hashInside(List<Digest> leaves, long a, long lo, long hi) {
        if (hi - lo == 1) {
            return leaves.get((int) (lo - a));
        }
        long k = split(hi - lo);
        return Rfc9162.nodeHash(hashInside(leaves, a, lo, lo + k), hashInside(leaves, a, lo + k, hi));
    }

    /**
     * The hash of node {@code [lo, hi)} of the tree over {@code n} leaves from known nodes, each a
     * maximal node of some partition's cover.
     *
     * @throws MalformedInputException if the known nodes do not cover the range
     */
    public static Digest hash(long lo, long hi, Map<Long, Node> knownByLo) {
        Node known = knownByLo.get(lo);
        if (known != null && known.hi() == hi) {
            return known.digest();
        }
        if (hi - lo <= 1) {
            throw new MalformedInputException("no hash for leaf range [" + lo + ", " + hi + "): a partition's cover is missing");
        }
        long k = split(hi - lo);
        return Rfc9162.nodeHash(hash(lo, lo + k, knownByLo), hash(lo + k, hi, knownByLo));
    }

    /** The job root over {@code n >= 1} leaves from every partition's cover. */
    public static Digest root(long n, List<Node> covers) {
        if (n < 1) {
            throw new MalformedInputException("a job root needs at least one row; the job has none");
        }
        return hash(0, n, index(covers));
    }

    static Map<Long, Node> index(List<Node> nodes) {
        Map<Long, Node> m = new HashMap<>();
        for (Node c : nodes) {
            Node prev = m.put(c.lo(), c);
            if (prev != null && prev.hi() > c.hi()) {
                m.put(c.lo(), prev); // keep the larger node starting there; the smaller lies inside it
            }
        }
        return m;
    }

    /**
     * The nodes a partition holding leaves {@code [a, b)} of {@code n} needs, beyond its own leaves,
     * to build every inclusion proof of its rows: each maximal node outside {@code [a, b)} whose
     * sibling overlaps it.
     */
    public static List<Node> externals(long n, long a, long b, Map<Long, Node> knownByLo) {
        List<Node> out = new ArrayList<>();
        if (a < b && n > 1) {
            externals(0, n, a, b, knownByLo, out);
        }
        return out;
    }

    private static void externals(long lo, long hi, long a, long b, Map<Long, Node> known, List<Node> out) {
        if (a <= lo && hi <= b) {
            return;
        }
        long k = split(hi - lo);
        long[][] children = {{lo, lo + k}, {lo + k, hi}};
        for (long[] c : children) {
            if (c[1] <= a || c[0] >= b) {
                out.add(new Node(c[0], c[1], hash(c[0], c[1], known).toByteArray()));
            } else if (c[1] - c[0] > 1) {
                externals(c[0], c[1], a, b, known, out);
            }
        }
    }

    /**
     * Builds the inclusion proofs of leaves {@code [a, b)} of the tree over {@code n} leaves from
     * their leaf hashes and the {@link #externals}. Node hashes inside {@code [a, b)} are computed
     * once each.
     */
    public static final class Prover {
        private final long n;
        private final long a;
        private final List<Digest> leaves;
        private final Map<Long, Node> external;
        private final Map<String, Digest> memo = new HashMap<>();

        public Prover(long n, long a, List<Digest> leaves, List<Node> externals) {
            this.n = n;
            this.a = a;
            this.leaves = leaves;
            this.external = index(externals);
        }

        private Digest node(long lo, long hi) {
            if (lo >= a && hi <= a + leaves.size()) {
                if (hi - lo == 1) {
                    return leaves.get((int) (lo - a));
                }
                String key = lo + ":" + hi;
                Digest d = memo.get(key);
                if (d == null) {
                    long k = split(hi - lo);
                    d = Rfc9162.nodeHash(node(lo, lo + k), node(lo + k, hi));
                    memo.put(key, d);
                }
                return d;
            }
            Node e = external.get(lo);
            if (e != null && e.hi() == hi) {
                return e.digest();
            }
            if (hi - lo <= 1) {
                throw new MalformedInputException("no hash for leaf range [" + lo + ", " + hi + ") outside this partition's rows");
            }
            long k = split(hi - lo);
            return Rfc9162.nodeHash(node(lo, lo + k), node(lo + k, hi));
        }

        /** RFC 9162 PATH(m, D[n]) for leaf {@code m} in {@code [a, b)}. */
        public InclusionProof proof(long m) {
            if (m < a || m >= a + leaves.size()) {
                throw new MalformedInputException("leaf " + m + " is not one of this partition's [" + a + ", " + (a + leaves.size()) + ")");
            }
            List<Digest> path = new ArrayList<>();
            long lo = 0;
            long hi = n;
            // RFC 9162 2.1.3.1: the path lists siblings from the leaf up; walk down and prepend.
            while (hi - lo > 1) {
                long k = split(hi - lo);
                if (m < lo + k) {
                    path.add(0, node(lo + k, hi));
                    hi = lo + k;
                } else {
                    path.add(0, node(lo, lo + k));
                    lo = lo + k;
                }
            }
            return new InclusionProof(m, n, path);
        }

        /** The root of the whole tree, as this partition sees it (for a self-check against the job root). */
        public Digest root() {
            return node(0, n);
        }
    }
}
