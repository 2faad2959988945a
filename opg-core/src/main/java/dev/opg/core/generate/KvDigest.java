package dev.opg.core.generate;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The digest of a key/value cache tensor (spec section 3.16): a hash chain over its positions, so
 * that the cache after one more token is committed by hashing only the new positions. For a cache
 * of shape [B, H, L, D] (sequence axis 2):
 *
 * <pre>
 * c_0     = H("OPG-KV" u8 1 u8 dtype u64 B u64 H u64 D)
 * c_{p+1} = H("OPG-KV-POS" u8 1 || c_p || digest(slice_p))     slice_p = T[:, :, p:p+1, :], a [B, H, 1, D] tensor (section 1)
 * kv(T)   = c_L
 * </pre>
 *
 * A decoder's {@code present} is the Concat of its {@code past} and the new positions on axis 2
 * ({@code DecoderLayout} checks this in the model), so kv(present) = the chain of kv(past) over
 * the new slices: the per-token cost is the new slices, not the whole cache.
 */
public final class KvDigest {
    private static final byte[] TAG = "OPG-KV".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] POS_TAG = "OPG-KV-POS".getBytes(StandardCharsets.US_ASCII);

    private KvDigest() {}

    /** c_0 for a cache of {@code dtype} with batch {@code b}, {@code h} heads and head size {@code d}. */
    public static Digest empty(DType dtype, long b, long h, long d) {
        MessageDigest md = Sampler.sha256();
        md.update(TAG);
        md.update((byte) 1);
        md.update((byte) dtype.code());
        md.update(ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(b).putLong(h).putLong(d).array());
        return Digest.of(md.digest());
    }

    /** c_{p+1} from c_p and the section-1 digest of slice p. */
    public static Digest extend(Digest prev, Digest slice) {
        byte[] buf = new byte[2 * Digest.SIZE];
        prev.copyTo(buf, 0);
        slice.copyTo(buf, Digest.SIZE);
        return Digest.of(chain(Sampler.sha256(), buf));
    }

    /** H("OPG-KV-POS" u8 1 || c_p || slice digest) where {@code prevAndSlice} holds the two digests. */
    private static byte[] chain(MessageDigest md, byte[] prevAndSlice) {
        md.update(POS_TAG);
        md.update((byte) 1);
        md.update(prevAndSlice);
        return md.digest();
    }

    /**
     * Extends {@code prev} (the digest of positions 0..from-1) over positions {@code from..L-1} of
     * the cache whose elements are {@code data} (row-major, in {@code data.order()}) and whose
     * shape is {@code shape} = [B, H, L, D].
     */
    public static Digest extend(Digest prev, DType dtype, long[] shape, ByteBuffer data, long from) {
        checkShape(shape);
        long b = shape[0];
        long h = shape[1];
        long l = shape[2];
        long d = shape[3];
        if (from < 0 || from > l) {
            throw new MalformedInputException("cache positions from " + from + " are outside a cache of " + l + " positions");
        }
        long expected = TensorDigest.byteLength(dtype, shape);
        if (data.remaining() != expected) {
            throw new MalformedInputException("cache data has " + data.remaining() + " bytes; shape "
                    + java.util.Arrays.toString(shape) + " of " + dtype.specName() + " needs " + expected);
        }
        if (from == l) {
            return prev;
        }
        int es = dtype.byteSize();
        int row = Math.toIntExact(d * es);
        ByteBuffer src = data.duplicate().order(data.order());
        int base = src.position();
        byte[] slice = new byte[Math.toIntExact(b * h * row)];
        ByteBuffer sb = ByteBuffer.wrap(slice).order(data.order());
        long[] sliceShape = {b, h, 1, d};
        // the chain state: c_p then the slice digest, hashed together for c_{p+1}
        byte[] chained = new byte[2 * Digest.SIZE];
        prev.copyTo(chained, 0);
        for (long p = from; p < l; p++) {
            int off = 0;
            for (long bi = 0; bi < b; bi++) {
                for (long hi = 0; hi < h; hi++) {
                    long at = ((bi * h + hi) * l + p) * d * es;
                    src.get(Math.toIntExact(base + at), slice, off, row);
                    off += row;
                }
            }
            TensorDigest.of(dtype, sliceShape, sb).copyTo(chained, Digest.SIZE);
            System.arraycopy(chain(Sampler.sha256(), chained), 0, chained, 0, Digest.SIZE);
        }
        return Digest.of(java.util.Arrays.copyOf(chained, Digest.SIZE));
    }

    /** kv(T) of a whole cache tensor. */
    public static Digest of(DType dtype, long[] shape, ByteBuffer data) {
        checkShape(shape);
        return extend(empty(dtype, shape[0], shape[1], shape[3]), dtype, shape, data, 0);
    }

    static void checkShape(long[] shape) {
        if (shape.length != 4) {
            throw new MalformedInputException("a key/value cache has rank 4 [batch, heads, positions, head size]; got shape "
                    + java.util.Arrays.toString(shape));
        }
    }
}
