package dev.opg.cli.npy;

import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor as a NumPy file holds it: a dtype, a shape and the elements in row-major (C) order,
 * each little-endian. This is exactly the data part of opg's canonical tensor encoding, so
 * {@link #digest()} is the tensor's opg digest. Immutable: arrays are copied in and out.
 *
 * @param dtype the element type
 * @param shape the dimensions (empty for a scalar)
 * @param data the elements, row-major, little-endian; its length is the shape's element count times the dtype's size
 */
public record NpyArray(DType dtype, long[] shape, byte[] data) {
    public NpyArray {
        if (dtype == null || shape == null || data == null) {
            throw new MalformedInputException("an array needs a dtype, a shape and data");
        }
        shape = shape.clone();
        long want = TensorDigest.byteLength(dtype, shape);
        if (want != data.length) {
            throw new MalformedInputException("array of " + dtype.specName() + Arrays.toString(shape) + " needs "
                    + want + " data bytes; got " + data.length);
        }
        data = data.clone();
    }

    /** A float32 array. */
    public static NpyArray ofFloat32(float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new NpyArray(DType.FLOAT32, shape, b.array());
    }

    /** An int64 array. */
    public static NpyArray ofInt64(long[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return new NpyArray(DType.INT64, shape, b.array());
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
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

    /** The elements as float32; only for a float32 array. */
    public float[] toFloatArray() {
        if (dtype != DType.FLOAT32) {
            throw new MalformedInputException("array is " + dtype.specName() + ", not float32");
        }
        float[] out = new float[data.length / 4];
        buffer().asFloatBuffer().get(out);
        return out;
    }

    /** The opg tensor digest ({@code docs/transcript-spec.md} section 1). */
    public dev.opg.core.Digest digest() {
        return TensorDigest.of(dtype, shape, data);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyArray a && dtype == a.dtype && Arrays.equals(shape, a.shape) && Arrays.equals(data, a.data);
    }

    @Override
    public int hashCode() {
        return (dtype.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NpyArray[" + dtype.specName() + Arrays.toString(shape) + "]";
    }
}
