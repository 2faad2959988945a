package dev.opg.core.model;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.transcript.LeafWriter;
import dev.opg.core.transcript.TranscriptLimits;

/**
 * One named model tensor (a weight, a bias, a running statistic, an ONNX initializer) as committed
 * in a {@link ModelCommitment}: its name, dtype, shape and canonical tensor digest.
 */
public record ParameterEntry(String name, DType dtype, long[] shape, Digest digest) {
    /** Domain tag of a parameter leaf. */
    public static final String TAG = "OPG-PARAM";

    public ParameterEntry {
        LeafWriter.utf8(name, TranscriptLimits.MAX_NAME_BYTES, "parameter name");
        if (dtype == null || shape == null || digest == null) {
            throw new MalformedInputException("parameter '" + name + "' needs a dtype, a shape and a digest");
        }
        shape = shape.clone();
        TensorDigest.byteLength(dtype, shape);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** {@code "OPG-PARAM" u8 1, string name, u8 dtype, u8 rank, u64 dims..., digest[32]}. */
    public byte[] leafData() {
        LeafWriter w = new LeafWriter(TAG, 1).string(name, TranscriptLimits.MAX_NAME_BYTES, "parameter name")
                .u8(dtype.code()).u8(shape.length);
        for (long d : shape) {
            w.u64(d);
        }
        return w.digest(digest).toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ParameterEntry p && name.equals(p.name) && dtype == p.dtype
                && java.util.Arrays.equals(shape, p.shape) && digest.equals(p.digest);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + digest.hashCode();
    }

    @Override
    public String toString() {
        return name + ":" + dtype.specName() + java.util.Arrays.toString(shape) + "=" + digest.hex();
    }
}
