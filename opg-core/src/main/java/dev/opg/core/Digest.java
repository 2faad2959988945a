package dev.opg.core;

import java.util.Arrays;

/**
 * A SHA-256 value: a tensor digest, a Merkle node or root, a model id. Immutable (the bytes are
 * copied in and out) and compared by content.
 */
public final class Digest implements Comparable<Digest> {
    /** Bytes in every digest. */
    public static final int SIZE = 32;

    private final byte[] bytes;

    private Digest(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * @throws MalformedInputException unless {@code bytes} holds exactly 32 bytes
     */
    public static Digest of(byte[] bytes) {
        if (bytes == null || bytes.length != SIZE) {
            throw new MalformedInputException("a digest has " + SIZE + " bytes; got "
                    + (bytes == null ? "null" : bytes.length + " bytes"));
        }
        return new Digest(bytes.clone());
    }

    /** Parses 64 hex digits. */
    public static Digest fromHex(CharSequence hex) {
        return new Digest(Hex.decode(hex, SIZE, "digest"));
    }

    public byte[] toByteArray() {
        return bytes.clone();
    }

    /** The byte at {@code index}, without copying the array. */
    public byte byteAt(int index) {
        return bytes[index];
    }

    /** Copies the 32 bytes into {@code dst} from {@code offset} on. */
    public void copyTo(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, SIZE);
    }

    public String hex() {
        return Hex.encode(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Digest d && Arrays.equals(bytes, d.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public int compareTo(Digest o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return hex();
    }
}
