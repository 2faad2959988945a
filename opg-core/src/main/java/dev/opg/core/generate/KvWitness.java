package dev.opg.core.generate;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The key/value cache after a generation's last forward pass (spec section 3.18): what a spot
 * check or the referee needs to re-run one token exactly without replaying every token before
 * it. The cache a token read is a prefix of it, checked against the transcript by its
 * {@link KvDigest} before it is used, so a witness can only confirm the committed cache, never
 * replace it.
 *
 * <pre>"OPG-KV-WITNESS" u8 1 u32 tensors u32 heads u32 positions u32 headDim (f32le)*(tensors*heads*positions*headDim)</pre>
 *
 * Tensors in {@link DecoderModel#pastNames} order, each [1, heads, positions, headDim] row-major.
 */
public final class KvWitness {
    private static final byte[] TAG = "OPG-KV-WITNESS".getBytes(StandardCharsets.US_ASCII);
    /** The cap on one witness: 1 GiB of cache. */
    public static final long MAX_BYTES = 1L << 30;

    private final int tensors;
    private final int heads;
    private final int positions;
    private final int headDim;
    private final float[][] data;

    public KvWitness(int tensors, int heads, int positions, int headDim, float[][] data) {
        if (tensors < 1 || heads < 1 || positions < 0 || headDim < 1 || data == null || data.length != tensors) {
            throw new MalformedInputException("a KV witness needs tensors, heads and head size >= 1 and one array per tensor");
        }
        long per = (long) heads * positions * headDim;
        if (per * tensors * 4 > MAX_BYTES) {
            throw new LimitExceededException("a KV witness of " + per * tensors * 4 + " bytes exceeds the cap of " + MAX_BYTES);
        }
        for (float[] d : data) {
            if (d == null || d.length != per) {
                throw new MalformedInputException("a KV witness tensor holds " + (d == null ? 0 : d.length) + " values; expected " + per);
            }
        }
        this.tensors = tensors;
        this.heads = heads;
        this.positions = positions;
        this.headDim = headDim;
        this.data = data;
    }

    public int positions() {
        return positions;
    }

    public int tensors() {
        return tensors;
    }

    public int heads() {
        return heads;
    }

    public int headDim() {
        return headDim;
    }

    /** Tensor {@code i} cut to its first {@code length} positions, little-endian bytes of a [1, heads, length, headDim] tensor. */
    public ByteBuffer prefix(int i, int length) {
        if (length < 0 || length > positions) {
            throw new MalformedInputException("the witness holds " + positions + " positions; " + length + " were asked for");
        }
        ByteBuffer b = ByteBuffer.allocateDirect(heads * length * headDim * 4).order(ByteOrder.nativeOrder());
        for (int h = 0; h < heads; h++) {
            for (int p = 0; p < length; p++) {
                int at = (h * positions + p) * headDim;
                for (int d = 0; d < headDim; d++) {
                    b.putFloat(data[i][at + d]);
                }
            }
        }
        return b.flip();
    }

    /** The KV digest of tensor {@code i}'s first {@code length} positions. */
    public Digest prefixDigest(int i, int length) {
        return KvDigest.of(DType.FLOAT32, new long[] {1, heads, length, headDim}, prefix(i, length));
    }

    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(TAG);
        out.write(1);
        ByteBuffer h = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(tensors).putInt(heads).putInt(positions).putInt(headDim);
        out.writeBytes(h.array());
        for (float[] d : data) {
            ByteBuffer b = ByteBuffer.allocate(d.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : d) {
                b.putFloat(f);
            }
            out.writeBytes(b.array());
        }
        return out.toByteArray();
    }

    public void write(Path file) throws IOException {
        Files.write(file, encode());
    }

    /**
     * Reads a witness file, checking its declared size against the cap and the file before reading the data.
     *
     * @throws MalformedInputException for a wrong tag, version or length
     * @throws LimitExceededException above {@link #MAX_BYTES}
     */
    public static KvWitness read(Path file) throws IOException {
        long size = Files.size(file);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(TAG.length + 1 + 16);
            if (head.length != TAG.length + 17 || !java.util.Arrays.equals(java.util.Arrays.copyOf(head, TAG.length), TAG) || head[TAG.length] != 1) {
                throw new MalformedInputException(file + " is not an OPG-KV-WITNESS version 1 file");
            }
            ByteBuffer h = ByteBuffer.wrap(head, TAG.length + 1, 16).order(ByteOrder.LITTLE_ENDIAN);
            long tensors = Integer.toUnsignedLong(h.getInt());
            long heads = Integer.toUnsignedLong(h.getInt());
            long positions = Integer.toUnsignedLong(h.getInt());
            long headDim = Integer.toUnsignedLong(h.getInt());
            if (tensors < 1 || tensors > 4096 || heads < 1 || heads > 4096 || headDim < 1 || headDim > 65536 || positions > 1 << 24) {
                throw new LimitExceededException(file + " declares " + tensors + " tensors of " + heads + " heads, " + positions
                        + " positions and head size " + headDim + "; outside the caps (4096, 4096, 2^24, 65536)");
            }
            long bytes = tensors * heads * positions * headDim * 4;
            if (bytes > MAX_BYTES) {
                throw new LimitExceededException(file + " declares " + bytes + " bytes of cache; the cap is " + MAX_BYTES);
            }
            if (size != head.length + bytes) {
                throw new MalformedInputException(file + " has " + size + " bytes; its header declares " + (head.length + bytes));
            }
            int per = (int) (heads * positions * headDim);
            float[][] data = new float[(int) tensors][];
            for (int i = 0; i < tensors; i++) {
                byte[] raw = in.readNBytes(per * 4);
                if (raw.length != per * 4) {
                    throw new MalformedInputException(file + " ends early");
                }
                ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                data[i] = new float[per];
                b.asFloatBuffer().get(data[i]);
            }
            return new KvWitness((int) tensors, (int) heads, (int) positions, (int) headDim, data);
        }
    }
}
