package dev.opg.core.merkle;

import dev.opg.core.Digest;
import dev.opg.core.OpgException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The hashing rule of RFC 9162 section 2.1.1 with SHA-256, and nothing else:
 * empty tree = SHA-256(""), leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right).
 */
public final class Rfc9162 {
    /** Bytes in every hash of the tree. */
    public static final int HASH_SIZE = Digest.SIZE;

    static final byte LEAF_PREFIX = 0x00;
    static final byte NODE_PREFIX = 0x01;

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Rfc9162::newSha256);
    private static final Digest EMPTY_ROOT = Digest.of(newSha256().digest());

    private Rfc9162() {}

    /** The root of the tree with no leaves: SHA-256 of the empty string. */
    public static Digest emptyRoot() {
        return EMPTY_ROOT;
    }

    /** SHA-256(0x00 || data). */
    public static Digest leafHash(byte[] data) {
        return Digest.of(leafHashBytes(data));
    }

    /** SHA-256(0x00 || remaining bytes of data); the buffer's position is advanced to its limit. */
    public static Digest leafHash(ByteBuffer data) {
        MessageDigest md = sha256();
        md.update(LEAF_PREFIX);
        md.update(data);
        return Digest.of(md.digest());
    }

    /** SHA-256(0x01 || left || right). */
    public static Digest nodeHash(Digest left, Digest right) {
        return Digest.of(nodeHashBytes(left.toByteArray(), right.toByteArray()));
    }

    static byte[] leafHashBytes(byte[] data) {
        MessageDigest md = sha256();
        md.update(LEAF_PREFIX);
        md.update(data);
        return md.digest();
    }

    static byte[] nodeHashBytes(byte[] left, byte[] right) {
        MessageDigest md = sha256();
        md.update(NODE_PREFIX);
        md.update(left);
        md.update(right);
        return md.digest();
    }

    /** Node hash of two 32-byte children stored inside arrays, written into {@code out} at {@code outOff}. */
    static void nodeHashInto(byte[] a, int aOff, byte[] b, int bOff, byte[] out, int outOff) {
        MessageDigest md = sha256();
        md.update(NODE_PREFIX);
        md.update(a, aOff, HASH_SIZE);
        md.update(b, bOff, HASH_SIZE);
        try {
            md.digest(out, outOff, HASH_SIZE);
        } catch (java.security.DigestException e) {
            throw new OpgException("SHA-256 refused a 32-byte output buffer", e);
        }
    }

    /** A SHA-256 instance for the calling thread, reset and ready. */
    static MessageDigest sha256() {
        MessageDigest md = SHA256.get();
        md.reset();
        return md;
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new OpgException("this JVM has no SHA-256, which every Java SE platform must provide", e);
        }
    }
}
