package dev.opg.core.transcript;

import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import java.util.Arrays;

/**
 * The {@link CommitmentMode#SKETCH} commitment to one step output: the tensor's dtype and shape
 * and {@code k} float32 values, the output (as float32, flattened row-major) multiplied by a
 * seeded random projection matrix (see {@code docs/transcript-spec.md}). Values are compared by
 * their bits; the arrays are copied in and out, so a sketch is immutable.
 */
public record Sketch(DType dtype, long[] shape, float[] values) {
    public Sketch {
        if (dtype == null || shape == null || values == null) {
            throw new MalformedInputException("a sketch needs a dtype, a shape and values");
        }
        shape = shape.clone();
        values = values.clone();
        TensorDigest.byteLength(dtype, shape);
        if (values.length == 0 || values.length > TranscriptLimits.MAX_SKETCH_DIMENSION) {
            throw new LimitExceededException("a sketch has " + values.length + " values; expected 1.."
                    + TranscriptLimits.MAX_SKETCH_DIMENSION);
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public float[] values() {
        return values.clone();
    }

    /** The number of projected values, k. */
    public int dimension() {
        return values.length;
    }

    /** Value {@code i} without copying the array. */
    public float value(int i) {
        return values[i];
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Sketch s) || dtype != s.dtype || !Arrays.equals(shape, s.shape)
                || values.length != s.values.length) {
            return false;
        }
        for (int i = 0; i < values.length; i++) {
            if (Float.floatToRawIntBits(values[i]) != Float.floatToRawIntBits(s.values[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = dtype.hashCode() * 31 + Arrays.hashCode(shape);
        for (float v : values) {
            h = h * 31 + Float.floatToRawIntBits(v);
        }
        return h;
    }

    @Override
    public String toString() {
        return "Sketch[" + dtype.specName() + Arrays.toString(shape) + ", k=" + values.length + "]";
    }
}
