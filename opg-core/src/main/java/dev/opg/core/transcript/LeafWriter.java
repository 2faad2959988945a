package dev.opg.core.transcript;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Writes the primitive fields of the spec's byte encodings: unsigned little-endian integers,
 * length-prefixed UTF-8 strings and raw digests. Strings that are not valid Unicode (lone
 * surrogates) are rejected rather than replaced, so that no two strings encode alike.
 */
public final class LeafWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    /** Starts an encoding with an ASCII domain tag and a one-byte version. */
    public LeafWriter(String tag, int version) {
        out.writeBytes(tag.getBytes(StandardCharsets.US_ASCII));
        u8(version);
    }

    public LeafWriter u8(int v) {
        out.write(v & 0xff);
        return this;
    }

    public LeafWriter u32(long v) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
        return this;
    }

    public LeafWriter u64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
        return this;
    }

    public LeafWriter f32(float v) {
        return u32(Float.floatToRawIntBits(v) & 0xffffffffL);
    }

    public LeafWriter digest(Digest d) {
        for (int i = 0; i < Digest.SIZE; i++) {
            out.write(d.byteAt(i));
        }
        return this;
    }

    public LeafWriter bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    /** u32 byte length then the UTF-8 bytes. */
    public LeafWriter string(String s, int maxBytes, String what) {
        byte[] b = utf8(s, maxBytes, what);
        u32(b.length);
        out.writeBytes(b);
        return this;
    }

    public byte[] toByteArray() {
        return out.toByteArray();
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
}
