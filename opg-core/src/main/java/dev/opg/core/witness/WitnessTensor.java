package dev.opg.core.witness;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor value: dtype, shape and the canonical little-endian data bytes, row-major (C order).
 * It is opg's one tensor value type: a witness's tensors, the arrays of {@code .npy} and
 * {@code .npz} files ({@link dev.opg.core.io.Npy}, {@link dev.opg.core.io.Npz}), and model inputs
 * read from them ({@link dev.opg.core.io.Inputs}). Its digest is the protocol's tensor digest, and
 * its file form is the tensor header followed by the data, so SHA-256 of the file is the digest.
 * Immutable (arrays copied in and out).
 */
public record WitnessTensor(DType dtype, long[] shape, byte[] data) {
    public WitnessTensor {
        if (dtype == null || shape == null || data == null) {
            throw new MalformedInputException("a witness tensor needs a dtype, a shape and data");
        }
        shape = shape.clone();
        data = data.clone();
        long expected = TensorDigest.byteLength(dtype, shape);
        if (expected != data.length) {
            throw new MalformedInputException("witness tensor has " + data.length + " data bytes; its shape "
                    + Arrays.toString(shape) + " of " + dtype.specName() + " needs " + expected);
        }
    }

    /** Copies an engine array. */
    public static WitnessTensor of(NDArray array) {
        ByteBuffer b = array.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        return new WitnessTensor(DType.fromDjl(array.getDataType()), array.getShape().getShape(), bytes);
    }

    /** A float32 tensor of {@code values} (row-major) with {@code shape}. */
    public static WitnessTensor ofFloat32(float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new WitnessTensor(DType.FLOAT32, shape, b.array());
    }

    /** An int64 tensor of {@code values} (row-major) with {@code shape}. */
    public static WitnessTensor ofInt64(long[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return new WitnessTensor(DType.INT64, shape, b.array());
    }

    /** The data as a read-only little-endian buffer, without copying. */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Number of elements (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /**
     * The elements as float32.
     *
     * @throws MalformedInputException if the tensor is not float32
     */
    public float[] toFloatArray() {
        if (dtype != DType.FLOAT32) {
            throw new MalformedInputException("tensor is " + dtype.specName() + ", not float32");
        }
        float[] out = new float[data.length / 4];
        buffer().asFloatBuffer().get(out);
        return out;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    public Digest digest() {
        return TensorDigest.of(dtype, shape, data);
    }

    /** The file form: tensor header then data. */
    public byte[] encode() {
        byte[] h = TensorDigest.header(dtype, shape);
        byte[] out = Arrays.copyOf(h, h.length + data.length);
        System.arraycopy(data, 0, out, h.length, data.length);
        return out;
    }

    /** Parses {@link #encode()}'s form. @throws MalformedInputException if it is not one */
    public static WitnessTensor decode(byte[] encoded) {
        ByteBuffer b = ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN);
        if (encoded.length < 7 || b.get() != 'O' || b.get() != 'P' || b.get() != 'G' || b.get() != 'T') {
            throw new MalformedInputException("a witness tensor starts with OPGT");
        }
        int version = b.get();
        if (version != TensorDigest.VERSION) {
            throw new MalformedInputException("witness tensor encoding version " + version + "; expected " + TensorDigest.VERSION);
        }
        DType dtype = DType.fromCode(b.get() & 0xff);
        int rank = b.get() & 0xff;
        if (b.remaining() < 8L * rank) {
            throw new MalformedInputException("witness tensor is truncated in its shape");
        }
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = b.getLong();
        }
        byte[] data = new byte[b.remaining()];
        b.get(data);
        return new WitnessTensor(dtype, shape, data);
    }

    /** The tensor as an engine array in {@code manager}. */
    public NDArray toNDArray(NDManager manager) {
        ByteBuffer buf = manager.allocateDirect(data.length);
        buf.order(ByteOrder.LITTLE_ENDIAN).put(data).rewind();
        return manager.create(buf, new Shape(shape), dtype.toDjl());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WitnessTensor t && dtype == t.dtype && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "WitnessTensor[" + dtype.specName() + Arrays.toString(shape) + "]";
    }
}
