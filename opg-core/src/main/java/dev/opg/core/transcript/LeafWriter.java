package dev.opg.core.transcript;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes the primitive fields of the spec's byte encodings: unsigned little-endian integers,
 * length-prefixed UTF-8 strings and raw digests. Strings that are not valid Unicode (lone
 * surrogates) are rejected rather than replaced, so that no two strings encode alike.
 */
public final class LeafWriter {
    // A plain growable array: leaves are written a byte or a digest at a time, once or more per
    // generated token, and ByteArrayOutputStream takes a lock for every byte.
    private byte[] buf;
    private int size;
    /** {@link #toByteArray} returned {@link #buf} itself (it was full): the next one copies. */
    private boolean handedOut;

    /** Starts an encoding with an ASCII domain tag and a one-byte version. */
    public LeafWriter(String tag, int version) {
        this(tag, version, 256);
    }

    /**
     * Starts an encoding with an ASCII domain tag and a one-byte version, in a buffer of
     * {@code capacity} bytes: an encoding of exactly that many bytes is handed out without a copy.
     */
    public LeafWriter(String tag, int version, int capacity) {
        buf = new byte[Math.max(capacity, tag.length() + 1)];
        for (int i = 0; i < tag.length(); i++) {
            char c = tag.charAt(i);
            buf[size++] = c < 0x80 ? (byte) c : (byte) '?'; // as String.getBytes(US_ASCII) writes it
        }
        u8(version);
    }

    private void room(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, Math.addExact(size, more)));
            handedOut = false;
        }
    }

    public LeafWriter u8(int v) {
        room(1);
        buf[size++] = (byte) v;
        return this;
    }

    public LeafWriter u32(long v) {
        room(4);
        for (int i = 0; i < 4; i++) {
            buf[size++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    public LeafWriter u64(long v) {
        room(8);
        for (int i = 0; i < 8; i++) {
            buf[size++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    public LeafWriter f32(float v) {
        return u32(Float.floatToRawIntBits(v) & 0xffffffffL);
    }

    public LeafWriter digest(Digest d) {
        room(Digest.SIZE);
        d.copyTo(buf, size);
        size += Digest.SIZE;
        return this;
    }

    public LeafWriter bytes(byte[] b) {
        room(b.length);
        System.arraycopy(b, 0, buf, size, b.length);
        size += b.length;
        return this;
    }

    /** u32 byte length then the UTF-8 bytes. */
    public LeafWriter string(String s, int maxBytes, String what) {
        if (s != null && s.length() <= maxBytes && isAscii(s)) {
            // ASCII is its own UTF-8, one byte a char (step and value names): no array in between
            int n = s.length();
            u32(n);
            room(n);
            for (int i = 0; i < n; i++) {
                buf[size++] = (byte) s.charAt(i);
            }
            return this;
        }
        byte[] b = utf8(s, maxBytes, what);
        u32(b.length);
        return bytes(b);
    }

    /** The encoding written so far; later writes do not change the array returned. */
    public byte[] toByteArray() {
        if (size == buf.length && !handedOut) {
            // the buffer is full, so any later write moves to a new one: it can be handed out as it is
            handedOut = true;
            return buf;
        }
        return Arrays.copyOf(buf, size);
    }

    /**
     * Strict UTF-8 of {@code s}.
     *
     * @throws MalformedInputException for null or a string that is not valid Unicode
     * @throws LimitExceededException above {@code maxBytes}
     */
    public static byte[] utf8(String s, int maxBytes, String what) {
        if (s == null) {
            throw new MalformedInputException(what + " is missing (null)");
        }
        if (s.length() <= maxBytes && isAscii(s)) {
            // ASCII is its own UTF-8, one byte a char (the common case: step and value names)
            byte[] a = new byte[s.length()];
            for (int i = 0; i < a.length; i++) {
                a[i] = (byte) s.charAt(i);
            }
            return a;
        }
        byte[] b;
        try {
            ByteBuffer bb = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s));
            b = new byte[bb.remaining()];
            bb.get(b);
        } catch (CharacterCodingException e) {
            throw new MalformedInputException(what + " is not valid Unicode (it holds a lone surrogate)");
        }
        if (b.length > maxBytes) {
            throw new LimitExceededException(what + " has " + b.length + " UTF-8 bytes; the cap is " + maxBytes);
        }
        return b;
    }

    /**
     * Checks what {@link #utf8} checks without keeping the bytes, and builds the name used in a
     * message ({@code whatPrefix + index + whatSuffix}) only when there is something to report:
     * validation runs on every step of every prediction.
     */
    public static void check(String s, int maxBytes, String whatPrefix, long index, String whatSuffix) {
        if (s == null || s.length() > maxBytes || !isAscii(s)) {
            utf8(s, maxBytes, whatPrefix + index + whatSuffix);
        }
    }

    /** Checks what {@link #utf8} checks, with the same messages, without keeping the bytes. */
    public static void check(String s, int maxBytes, String what) {
        if (s == null || s.length() > maxBytes || !isAscii(s)) {
            utf8(s, maxBytes, what);
        }
    }

    /** The UTF-8 length of {@code s} where it is ASCII (its length), else -1. */
    static int asciiLength(String s) {
        return s != null && isAscii(s) ? s.length() : -1;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
