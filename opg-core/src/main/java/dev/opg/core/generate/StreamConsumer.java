package dev.opg.core.generate;

import dev.opg.core.Digest;
import dev.opg.core.merkle.MerkleProofs;
import dev.opg.core.merkle.Rfc9162;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The receiving end of a generation stream (spec section 3.19). It starts from the header it
 * was promised (a tree of one leaf) and accepts an update only if the update's consistency proof
 * shows the new root extends the root it holds, and the token it shows is the record leaf it
 * proves included. Anything else is a fork ({@link ForkedStreamException}); the consumer then
 * keeps what it had.
 */
public final class StreamConsumer {
    private long size;
    private Digest root;
    private int nextIndex;
    private boolean ended;

    /** A consumer of the stream of the generation whose header leaf is {@code header}. */
    public StreamConsumer(GenerationHeader header) {
        this.size = 1;
        this.root = Rfc9162.leafHash(header.leafData());
    }

    /**
     * Checks and accepts {@code u}.
     *
     * @throws ForkedStreamException if {@code u} does not extend what this consumer holds
     */
    public void accept(StreamUpdate u) {
        if (ended) {
            throw new ForkedStreamException("the stream already ended at size " + size + "; update at size " + u.size() + " refused");
        }
        if (u.consistency() == null || u.inclusion() == null || u.root() == null || u.leaf() == null) {
            throw new ForkedStreamException("update " + u.index() + " lacks its root, proofs or leaf");
        }
        if (u.consistency().firstSize() != size) {
            throw new ForkedStreamException("update " + u.index() + " proves consistency from size " + u.consistency().firstSize()
                    + "; this consumer holds size " + size);
        }
        if (u.size() <= size || u.consistency().secondSize() != u.size()) {
            throw new ForkedStreamException("update " + u.index() + " does not grow the tree (" + size + " -> " + u.size() + ")");
        }
        boolean consistent;
        try {
            consistent = MerkleProofs.verifyConsistency(size, u.size(), u.consistency().path(), root, u.root());
        } catch (RuntimeException e) {
            throw new ForkedStreamException("update " + u.index() + " has a malformed consistency proof: " + e.getMessage());
        }
        if (!consistent) {
            throw new ForkedStreamException("update " + u.index() + ": root " + u.root().hex() + " at size " + u.size()
                    + " does not extend root " + root.hex() + " at size " + size + "; the stream forked");
        }
        if (u.leafIndex() != u.size() - 1 || u.inclusion().leafIndex() != u.leafIndex() || u.inclusion().treeSize() != u.size()
                || !MerkleProofs.verifyInclusion(u.leafIndex(), u.size(), Rfc9162.leafHash(u.leaf()), u.inclusion().path(), u.root())) {
            throw new ForkedStreamException("update " + u.index() + ": its leaf is not the last leaf of the tree it proves");
        }
        if (u.isEnd()) {
            checkEnd(u);
        } else {
            try {
                checkToken(u);
            } catch (RuntimeException e) {
                if (e instanceof ForkedStreamException f) {
                    throw f;
                }
                throw new ForkedStreamException("update " + u.index() + ": its leaf is not a well-formed token record (" + e + ")");
            }
        }
        size = u.size();
        root = u.root();
        if (u.isEnd()) {
            ended = true;
        } else {
            nextIndex++;
        }
    }

    private void checkToken(StreamUpdate u) {
        ByteBuffer b = ByteBuffer.wrap(u.leaf()).order(ByteOrder.LITTLE_ENDIAN);
        byte[] tag = TokenRecord.TAG.getBytes(StandardCharsets.US_ASCII);
        if (u.leaf().length < tag.length + 1 + 12 || !startsWith(u.leaf(), tag) || u.leaf()[tag.length] != TokenRecord.VERSION) {
            throw new ForkedStreamException("update " + u.index() + ": its leaf is not a token record");
        }
        b.position(tag.length + 1);
        int index = b.getInt();
        if (index != nextIndex || u.index() != nextIndex) {
            throw new ForkedStreamException("update " + u.index() + " holds the record of token " + index + "; expected token " + nextIndex);
        }
        // the token id sits after the bound inputs and outputs; read them past
        b.getInt(); // position
        b.getInt(); // step count
        for (int list = 0; list < 2; list++) {
            int n = b.getInt();
            for (int i = 0; i < n; i++) {
                int len = b.getInt();
                b.position(b.position() + len + Digest.SIZE);
            }
        }
        int token = b.getInt();
        if (token != u.token()) {
            throw new ForkedStreamException("update " + u.index() + " shows token " + u.token() + " but its leaf commits token " + token);
        }
    }

    private static void checkEnd(StreamUpdate u) {
        if (!startsWith(u.leaf(), GenerationEnd.TAG.getBytes(StandardCharsets.US_ASCII))) {
            throw new ForkedStreamException("the final update's leaf is not an end leaf");
        }
    }

    private static boolean startsWith(byte[] b, byte[] p) {
        if (b.length < p.length) {
            return false;
        }
        for (int i = 0; i < p.length; i++) {
            if (b[i] != p[i]) {
                return false;
            }
        }
        // "OPG-TOKEN" is no prefix of another tag opg writes; the version byte follows the tag
        return true;
    }

    public long size() {
        return size;
    }

    public Digest root() {
        return root;
    }

    /** Tokens accepted so far. */
    public int tokens() {
        return nextIndex;
    }

    public boolean ended() {
        return ended;
    }
}
