package dev.opg.core.tensor;

import ai.djl.ndarray.NDArray;
import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Computes the canonical digest of a tensor: SHA-256 over {@link #header} followed by the
 * elements, row-major, each little-endian.
 *
 * <p>Data in a little-endian buffer (what DJL's engines hand out on x86 and ARM) is hashed where it
 * lies, with no copy of the tensor; Java arrays are moved into a small reused little-endian chunk
 * with bulk buffer copies. Every method validates that the data holds exactly as many elements as
 * the shape says and throws {@link MalformedInputException} otherwise.
 */
public final class TensorDigest {
    /** The first bytes of every encoding. */
    public static final byte[] MAGIC = {'O', 'P', 'G', 'T'};
    /** The encoding version this code writes and reads. */
    public static final int VERSION = 1;
    /** Rank is one byte. */
    public static final int MAX_RANK = 255;

    private static final int CHUNK = 1 << 16;
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(TensorDigest::newSha256);
    private static final ThreadLocal<ByteBuffer> SCRATCH =
            ThreadLocal.withInitial(() -> ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN));

    private TensorDigest() {}

    /**
     * The header: {@code OPGT}, version, dtype code, rank, then each dimension as u64 little-endian.
     *
     * @throws MalformedInputException for a negative dimension, rank above 255, or an element
     *     count whose byte size overflows a signed 64-bit integer
     */
    public static byte[] header(DType dtype, long[] shape) {
        byteLength(dtype, shape);
        byte[] h = new byte[7 + 8 * shape.length];
        writeHeader(dtype, shape, h);
        return h;
    }

    /** Writes the {@link #header} of a dtype and shape {@link #byteLength} accepted into {@code out} from 0; returns its length. */
    private static int writeHeader(DType dtype, long[] shape, byte[] out) {
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[4] = (byte) VERSION;
        out[5] = (byte) dtype.code();
        out[6] = (byte) shape.length;
        int at = 7;
        for (long d : shape) {
            for (int i = 0; i < 8; i++) {
                out[at++] = (byte) (d >>> (8 * i)); // little-endian
            }
        }
        return at;
    }

    /**
     * The number of data bytes a tensor of this dtype and shape has.
     *
     * @throws MalformedInputException for a negative dimension, rank above 255, or an overflow
     */
    public static long byteLength(DType dtype, long[] shape) {
        if (dtype == null || shape == null) {
            throw new MalformedInputException("a tensor needs a dtype and a shape; got dtype " + dtype
                    + " and shape " + (shape == null ? "null" : "of rank " + shape.length));
        }
        if (shape.length > MAX_RANK) {
            throw new LimitExceededException("tensor rank " + shape.length + " exceeds the maximum " + MAX_RANK);
        }
        long n = dtype.byteSize();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new MalformedInputException("dimension " + i + " of the shape is " + shape[i]
                        + "; dimensions must be >= 0");
            }
            try {
                n = Math.multiplyExact(n, shape[i]);
            } catch (ArithmeticException e) {
                throw new LimitExceededException("shape " + java.util.Arrays.toString(shape)
                        + " of " + dtype.specName() + " overflows 2^63-1 bytes");
            }
        }
        return n;
    }

    /**
     * Digest of a tensor whose elements are the remaining bytes of {@code data}, each element
     * stored in {@code data.order()}. The buffer's position is not changed.
     */
    public static Digest of(DType dtype, long[] shape, ByteBuffer data) {
        long expected = byteLength(dtype, shape);
        if (data.remaining() != expected) {
            throw new MalformedInputException("tensor data has " + data.remaining() + " bytes; a "
                    + dtype.specName() + " tensor of shape " + java.util.Arrays.toString(shape)
                    + " needs exactly " + expected);
        }
        ByteBuffer view = data.duplicate().order(data.order());
        if (dtype == DType.BOOLEAN) {
            checkBooleans(view);
        }
        MessageDigest md = beginChecked(dtype, shape);
        if (dtype.byteSize() == 1 || view.order() == ByteOrder.LITTLE_ENDIAN) {
            md.update(view);
        } else {
            updateSwapped(md, view, dtype.byteSize());
        }
        return Digest.of(md.digest());
    }

    /** Digest of the canonical little-endian data bytes (as stored in test vectors and witnesses). */
    public static Digest of(DType dtype, long[] shape, byte[] littleEndianData) {
        return of(dtype, shape, ByteBuffer.wrap(littleEndianData).order(ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * Digest of a DJL array, from the engine's own memory where the engine exposes it (PyTorch on
     * CPU does) and from one copy otherwise. Sparse arrays are rejected: their layout is not the
     * canonical dense one.
     */
    public static Digest of(NDArray array) {
        if (array.isSparse()) {
            throw new MalformedInputException("sparse arrays have no canonical encoding; convert with toDense() first");
        }
        DType dtype = DType.fromDjl(array.getDataType());
        long[] shape = array.getShape().getShape();
        return of(dtype, shape, array.toByteBuffer(true));
    }

    public static Digest ofFloat32(float[] data, long... shape) {
        checkCount(DType.FLOAT32, shape, data.length);
        MessageDigest md = begin(DType.FLOAT32, shape);
        ByteBuffer chunk = scratch();
        for (int off = 0; off < data.length; ) {
            int n = Math.min(data.length - off, CHUNK / 4);
            chunk.clear();
            chunk.asFloatBuffer().put(data, off, n);
            md.update(chunk.array(), 0, n * 4);
            off += n;
        }
        return Digest.of(md.digest());
    }

    public static Digest ofFloat64(double[] data, long... shape) {
        checkCount(DType.FLOAT64, shape, data.length);
        MessageDigest md = begin(DType.FLOAT64, shape);
        ByteBuffer chunk = scratch();
        for (int off = 0; off < data.length; ) {
            int n = Math.min(data.length - off, CHUNK / 8);
            chunk.clear();
            chunk.asDoubleBuffer().put(data, off, n);
            md.update(chunk.array(), 0, n * 8);
            off += n;
        }
        return Digest.of(md.digest());
    }

    public static Digest ofInt32(int[] data, long... shape) {
        checkCount(DType.INT32, shape, data.length);
        MessageDigest md = begin(DType.INT32, shape);
        ByteBuffer chunk = scratch();
        for (int off = 0; off < data.length; ) {
            int n = Math.min(data.length - off, CHUNK / 4);
            chunk.clear();
            chunk.asIntBuffer().put(data, off, n);
            md.update(chunk.array(), 0, n * 4);
            off += n;
        }
        return Digest.of(md.digest());
    }

    public static Digest ofInt64(long[] data, long... shape) {
        checkCount(DType.INT64, shape, data.length);
        MessageDigest md = begin(DType.INT64, shape);
        ByteBuffer chunk = scratch();
        for (int off = 0; off < data.length; ) {
            int n = Math.min(data.length - off, CHUNK / 8);
            chunk.clear();
            chunk.asLongBuffer().put(data, off, n);
            md.update(chunk.array(), 0, n * 8);
            off += n;
        }
        return Digest.of(md.digest());
    }

    /**
     * Digest of 16-bit floating-point elements given as their raw bits ({@link DType#FLOAT16} or
     * {@link DType#BFLOAT16}).
     */
    public static Digest ofHalf(DType dtype, short[] bits, long... shape) {
        if (dtype != DType.FLOAT16 && dtype != DType.BFLOAT16) {
            throw new MalformedInputException("raw 16-bit data is float16 or bfloat16; got " + dtype.specName());
        }
        checkCount(dtype, shape, bits.length);
        MessageDigest md = begin(dtype, shape);
        ByteBuffer chunk = scratch();
        for (int off = 0; off < bits.length; ) {
            int n = Math.min(bits.length - off, CHUNK / 2);
            chunk.clear();
            chunk.asShortBuffer().put(bits, off, n);
            md.update(chunk.array(), 0, n * 2);
            off += n;
        }
        return Digest.of(md.digest());
    }

    /** Digest of one-byte elements: {@link DType#INT8}, {@link DType#UINT8} or {@link DType#BOOLEAN} (0 or 1 only). */
    public static Digest ofBytes(DType dtype, byte[] data, long... shape) {
        if (dtype.byteSize() != 1) {
            throw new MalformedInputException("a byte array holds int8, uint8 or boolean elements; got " + dtype.specName());
        }
        checkCount(dtype, shape, data.length);
        return of(dtype, shape, ByteBuffer.wrap(data));
    }

    public static Digest ofBoolean(boolean[] data, long... shape) {
        checkCount(DType.BOOLEAN, shape, data.length);
        MessageDigest md = begin(DType.BOOLEAN, shape);
        byte[] chunk = scratch().array();
        for (int off = 0; off < data.length; ) {
            int n = Math.min(data.length - off, CHUNK);
            for (int i = 0; i < n; i++) {
                chunk[i] = data[off + i] ? (byte) 1 : (byte) 0;
            }
            md.update(chunk, 0, n);
            off += n;
        }
        return Digest.of(md.digest());
    }

    private static void checkCount(DType dtype, long[] shape, int elements) {
        long expected = byteLength(dtype, shape) / dtype.byteSize();
        if (expected != elements) {
            throw new MalformedInputException("tensor data has " + elements + " elements; a "
                    + dtype.specName() + " tensor of shape " + java.util.Arrays.toString(shape)
                    + " needs exactly " + expected);
        }
    }

    private static void checkBooleans(ByteBuffer view) {
        for (int i = view.position(); i < view.limit(); i++) {
            int b = view.get(i);
            if (b != 0 && b != 1) {
                throw new MalformedInputException("boolean element " + (i - view.position()) + " is byte "
                        + (b & 0xff) + "; boolean elements are 0 or 1");
            }
        }
    }

    private static void updateSwapped(MessageDigest md, ByteBuffer view, int elementSize) {
        ByteBuffer chunk = scratch();
        byte[] out = chunk.array();
        while (view.hasRemaining()) {
            int n = Math.min(view.remaining(), CHUNK);
            for (int i = 0; i < n; i += elementSize) {
                for (int j = 0; j < elementSize; j++) {
                    out[i + j] = view.get(view.position() + i + elementSize - 1 - j);
                }
            }
            view.position(view.position() + n);
            md.update(out, 0, n);
        }
    }

    /**
     * A reset SHA-256 that has taken in the header. The header is written into this thread's
     * scratch buffer, not a new array (a tensor digest is taken for every tensor of every
     * prediction); the scratch is free again when this returns.
     */
    private static MessageDigest begin(DType dtype, long[] shape) {
        byteLength(dtype, shape);
        return beginChecked(dtype, shape);
    }

    /** {@link #begin} for a dtype and shape {@link #byteLength} has accepted. */
    private static MessageDigest beginChecked(DType dtype, long[] shape) {
        MessageDigest md = SHA256.get();
        md.reset();
        byte[] h = SCRATCH.get().array(); // 7 + 8 * 255 bytes at most, well inside the chunk
        md.update(h, 0, writeHeader(dtype, shape, h));
        return md;
    }

    private static ByteBuffer scratch() {
        ByteBuffer b = SCRATCH.get();
        b.clear();
        return b;
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new OpgException("this JVM has no SHA-256, which every Java SE platform must provide", e);
        }
    }
}
