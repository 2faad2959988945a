package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.merkle.MerkleProofs;
import dev.opg.core.merkle.Rfc9162;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.verify.BisectionResult.Party;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the first step at which two transcripts differ by asking the two parties for Merkle
 * subtree hashes, as an interactive protocol would reveal them, never by scanning the steps.
 *
 * <p>The protocol, with {@code m} the smaller leaf count:
 * <ol>
 *   <li>each party commits to its root and leaf count (equal roots: {@link BisectionResult.Agreement});</li>
 *   <li>each party opens its header inside its prefix tree of {@code m} leaves: the header, the
 *       prefix root, the inclusion path of leaf 0 and the consistency path to its full root. The
 *       headers must agree on mode, sketch dimension, model id, profile and inputs, otherwise
 *       {@link BisectionResult.HeaderConflict}. The inclusion path of leaf 0 is the list of
 *       subtrees {@code [1,2), [2,4), [4,8), ..., [k,m)} that together cover every step, so the
 *       header (whose claimed outputs may differ) drops out of the comparison;</li>
 *   <li>the first of those subtrees whose hashes differ is bisected: each party reveals the two
 *       children of the current subtree, which must hash to the subtree it committed to; the
 *       search goes left if the left children differ, else right, down to one leaf.</li>
 * </ol>
 * Questions asked: 2 commitments, 2 header openings and 2 per level, at most
 * {@code 2 * ceil(log2 m) + 4} in all. Every answer is checked against the party's earlier
 * commitments; an answer that is not consistent is an {@link BisectionResult.Equivocation}.
 * Stateless and thread-safe.
 */
public final class Bisector {
    private static final Logger LOG = LoggerFactory.getLogger(Bisector.class);

    /** Runs the protocol between {@code first} and {@code second}. */
    public BisectionResult bisect(TranscriptParty first, TranscriptParty second) {
        Session s = new Session(first, second);
        try {
            return s.run();
        } catch (PartyFailure e) {
            LOG.debug("bisection ends: {} party failed: {}", e.party, e.getMessage());
            return new BisectionResult.Equivocation(e.party, e.getMessage(), s.queries);
        }
    }

    private static final class PartyFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Party party;

        PartyFailure(Party party, String message) {
            super(message, null, false, false);
            this.party = party;
        }
    }

    private static final class Session {
        final TranscriptParty a;
        final TranscriptParty b;
        int queries;

        Session(TranscriptParty a, TranscriptParty b) {
            this.a = a;
            this.b = b;
        }

        BisectionResult run() {
            TranscriptParty.Commitment ca = ask(Party.FIRST, () -> a.commit());
            TranscriptParty.Commitment cb = ask(Party.SECOND, () -> b.commit());
            check(Party.FIRST, ca != null && ca.root() != null && ca.leafCount() >= 1, "commitment without a root or a header leaf");
            check(Party.SECOND, cb != null && cb.root() != null && cb.leafCount() >= 1, "commitment without a root or a header leaf");
            if (ca.root().equals(cb.root()) && ca.leafCount() == cb.leafCount()) {
                return new BisectionResult.Agreement(queries);
            }
            int m = Math.min(ca.leafCount(), cb.leafCount());
            TranscriptParty.HeaderOpening ha = ask(Party.FIRST, () -> a.openHeader(m));
            TranscriptParty.HeaderOpening hb = ask(Party.SECOND, () -> b.openHeader(m));
            checkOpening(Party.FIRST, ca, ha, m);
            checkOpening(Party.SECOND, cb, hb, m);
            HeaderField conflict = headerConflict(ha.header(), hb.header());
            if (conflict != null) {
                return new BisectionResult.HeaderConflict(conflict, queries);
            }
            // headerPath[j] covers leaves [2^j, 2^(j+1)), the last one [k, m).
            List<Digest> pa = ha.headerPath();
            List<Digest> pb = hb.headerPath();
            for (int j = 0; j < pa.size(); j++) {
                if (!pa.get(j).equals(pb.get(j))) {
                    int start = 1 << j;
                    int end = j == pa.size() - 1 ? m : 2 << j;
                    int leaf = descend(start, end - start, pa.get(j), pb.get(j));
                    return new BisectionResult.FirstDifference(leaf - 1, queries);
                }
            }
            if (ca.leafCount() != cb.leafCount()) {
                // Every common step agrees; the first step only one side has is leaf m.
                return new BisectionResult.FirstDifference(m - 1, queries);
            }
            return new BisectionResult.OutputsOnly(queries);
        }

        // Both hashes of [start, start+size) are bound and differ; returns the leftmost differing leaf.
        int descend(int start, int size, Digest hashA, Digest hashB) {
            while (size > 1) {
                final int s = start;
                final int n = size;
                TranscriptParty.Children xa = ask(Party.FIRST, () -> a.children(s, n));
                TranscriptParty.Children xb = ask(Party.SECOND, () -> b.children(s, n));
                checkChildren(Party.FIRST, xa, hashA, s, n);
                checkChildren(Party.SECOND, xb, hashB, s, n);
                int k = Integer.highestOneBit(n - 1);
                if (!xa.left().equals(xb.left())) {
                    size = k;
                    hashA = xa.left();
                    hashB = xb.left();
                } else {
                    // The parents differ and the left children agree, so the right children differ.
                    start = s + k;
                    size = n - k;
                    hashA = xa.right();
                    hashB = xb.right();
                }
            }
            return start;
        }

        void checkOpening(Party p, TranscriptParty.Commitment c, TranscriptParty.HeaderOpening h, int m) {
            check(p, h != null && h.header() != null && h.prefixRoot() != null && h.prefixSize() == m,
                    "header opening is incomplete or for another prefix size");
            if (m == c.leafCount()) {
                check(p, h.prefixRoot().equals(c.root()) && h.consistencyPath().isEmpty(),
                        "the prefix root of the full tree is not the committed root");
            } else {
                check(p, verifies(() -> MerkleProofs.verifyConsistency(m, c.leafCount(), h.consistencyPath(), h.prefixRoot(), c.root())),
                        "the prefix root of " + m + " leaves is not consistent with the committed root");
            }
            Digest leaf = Rfc9162.leafHash(h.header().leafData());
            check(p, verifies(() -> MerkleProofs.verifyInclusion(0, m, leaf, h.headerPath(), h.prefixRoot())),
                    "the header's inclusion path does not lead to the prefix root");
        }

        void checkChildren(Party p, TranscriptParty.Children c, Digest parent, int start, int size) {
            check(p, c != null && c.left() != null && c.right() != null, "no children revealed for [" + start + ", " + (start + size) + ")");
            check(p, Rfc9162.nodeHash(c.left(), c.right()).equals(parent),
                    "the children of [" + start + ", " + (start + size) + ") do not hash to the subtree it committed to");
        }

        <T> T ask(Party p, java.util.function.Supplier<T> question) {
            queries++;
            try {
                return question.get();
            } catch (RuntimeException e) {
                throw new PartyFailure(p, "did not answer: " + e.getMessage());
            }
        }

        static boolean verifies(java.util.function.BooleanSupplier proof) {
            try {
                return proof.getAsBoolean();
            } catch (RuntimeException e) {
                return false;
            }
        }

        static void check(Party p, boolean ok, String message) {
            if (!ok) {
                throw new PartyFailure(p, message);
            }
        }
    }

    /** The first header field fixed before execution in which two headers differ, or null. */
    static HeaderField headerConflict(TranscriptHeader x, TranscriptHeader y) {
        if (x.version() != y.version()) {
            return HeaderField.VERSION;
        }
        if (x.mode() != y.mode()) {
            return HeaderField.MODE;
        }
        if (x.sketchDimension() != y.sketchDimension()) {
            return HeaderField.SKETCH_DIMENSION;
        }
        if (x.granularity() != y.granularity() || !x.scope().equals(y.scope()) || !x.cuts().equals(y.cuts())) {
            return HeaderField.GRANULARITY;
        }
        if (!x.modelId().equals(y.modelId())) {
            return HeaderField.MODEL_ID;
        }
        if (!x.profileDigest().equals(y.profileDigest())) {
            return HeaderField.PROFILE;
        }
        if (!x.inputs().equals(y.inputs()) || !x.inputNames().equals(y.inputNames())) {
            return HeaderField.INPUTS;
        }
        return null;
    }
}
