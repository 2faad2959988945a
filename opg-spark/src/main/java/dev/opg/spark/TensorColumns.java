package dev.opg.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import dev.opg.core.witness.WitnessTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.StructType;

/**
 * Model inputs from a row's columns: an array column of float, double, int, long, byte or
 * boolean (row-major, reshaped to the column's declared shape) or a binary column holding a tensor
 * in its file form (header then little-endian data, as {@link WitnessTensor#encode()} writes it).
 * Conversion needs no engine, so inputs are hashed (to decide whether a row is already proven)
 * before any model loads.
 */
public final class TensorColumns {
    private TensorColumns() {}

    /** Checks that {@code schema} holds the key and every input column with a supported type. */
    static void checkSchema(StructType schema, ProveSettings s) {
        List<String> names = Arrays.asList(schema.fieldNames());
        if (!names.contains(s.keyColumn())) {
            throw new MalformedInputException("the dataset has no key column '" + s.keyColumn() + "'; its columns are " + names);
        }
        DataType kt = schema.apply(s.keyColumn()).dataType();
        if (!KeyBytes.supported(kt)) {
            throw new MalformedInputException("key column '" + s.keyColumn() + "' has type " + kt.simpleString()
                    + "; a key must be a string, binary, byte, short, int or long column (spec section 3.15)");
        }
        for (String c : s.inputColumns()) {
            if (!names.contains(c)) {
                throw new MalformedInputException("the dataset has no input column '" + c + "'; its columns are " + names);
            }
            DataType t = schema.apply(c).dataType();
            if (!(t instanceof BinaryType) && !(t instanceof ArrayType a && elementType(a.elementType()) != null)) {
                throw new MalformedInputException("input column '" + c + "' has type " + t.simpleString()
                        + "; expected an array of float, double, int, long, byte or boolean, or binary (a tensor in its file form)");
            }
        }
    }

    private static DType elementType(DataType t) {
        if (t instanceof FloatType) {
            return DType.FLOAT32;
        }
        if (t instanceof DoubleType) {
            return DType.FLOAT64;
        }
        if (t instanceof IntegerType) {
            return DType.INT32;
        }
        if (t instanceof LongType) {
            return DType.INT64;
        }
        if (t instanceof ByteType) {
            return DType.INT8;
        }
        if (t instanceof BooleanType) {
            return DType.BOOLEAN;
        }
        return null;
    }

    /**
     * The input columns of one schema under one job's settings, resolved once (their positions,
     * element types and shapes) for all the rows of a partition.
     */
    static final class Columns {
        private final String[] names;
        private final int[] index;
        /** The element type of an array column; null for a binary column. */
        private final DType[] dtypes;
        private final long[][] shapes;
        private final int keyIndex;

        Columns(StructType schema, ProveSettings s) {
            List<String> cs = s.inputColumns();
            names = cs.toArray(new String[0]);
            index = new int[names.length];
            dtypes = new DType[names.length];
            shapes = new long[names.length][];
            for (int c = 0; c < names.length; c++) {
                index[c] = schema.fieldIndex(names[c]);
                DataType t = schema.fields()[index[c]].dataType();
                dtypes[c] = t instanceof ArrayType a ? elementType(a.elementType()) : null;
                shapes[c] = s.shapeOf(names[c]);
            }
            keyIndex = schema.fieldIndex(s.keyColumn());
        }

        /** The model inputs of {@code row}, in the settings' order. */
        List<WitnessTensor> inputs(Row row) {
            List<WitnessTensor> out = new ArrayList<>(names.length);
            for (int c = 0; c < names.length; c++) {
                int i = index[c];
                if (row.isNullAt(i)) {
                    throw new MalformedInputException("input column '" + names[c] + "' is null in the row with key " + row.get(keyIndex));
                }
                if (dtypes[c] == null) {
                    out.add(WitnessTensor.decode((byte[]) row.get(i)));
                } else {
                    out.add(fromArray(row.getList(i), dtypes[c], shapes[c], names[c]));
                }
            }
            return out;
        }
    }

    private static WitnessTensor fromArray(List<Object> values, DType dtype, long[] shape, String column) {
        int n = values.size();
        long[] sh = shape == null ? new long[] {n} : shape;
        long product = 1;
        for (long d : sh) {
            product *= d;
        }
        if (product != n) {
            throw new MalformedInputException("input column '" + column + "' holds " + n + " values; its shape "
                    + Arrays.toString(sh) + " needs " + product);
        }
        ByteBuffer b = ByteBuffer.allocate(n * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < n; k++) {
            Object v = values.get(k);
            if (v == null) {
                throw new MalformedInputException("input column '" + column + "' has a null element at " + k);
            }
            switch (dtype) {
                case FLOAT32 -> b.putFloat((Float) v);
                case FLOAT64 -> b.putDouble((Double) v);
                case INT32 -> b.putInt((Integer) v);
                case INT64 -> b.putLong((Long) v);
                case INT8 -> b.put((Byte) v);
                case BOOLEAN -> b.put((byte) ((Boolean) v ? 1 : 0));
                default -> throw new IllegalStateException("unreachable: " + dtype);
            }
        }
        return new WitnessTensor(dtype, sh, b.array());
    }

    /** The inputs as engine arrays named by their columns (ONNX binds inputs by these names). */
    static NDList toNDList(List<WitnessTensor> inputs, List<String> names, NDManager manager) {
        NDList l = new NDList(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            NDArray a = inputs.get(i).toNDArray(manager);
            a.setName(names.get(i));
            l.add(a);
        }
        return l;
    }

    /**
     * The elements of a float32 or float64 tensor in its file form, as floats: for reading an
     * output column ({@code outputs[i]}) without an engine.
     */
    public static float[] floats(byte[] tensorFileForm) {
        WitnessTensor t = WitnessTensor.decode(tensorFileForm);
        ByteBuffer b = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
        return switch (t.dtype()) {
            case FLOAT32 -> {
                float[] f = new float[b.remaining() / 4];
                b.asFloatBuffer().get(f);
                yield f;
            }
            case FLOAT64 -> {
                double[] d = new double[b.remaining() / 8];
                b.asDoubleBuffer().get(d);
                float[] f = new float[d.length];
                for (int i = 0; i < d.length; i++) {
                    f[i] = (float) d[i];
                }
                yield f;
            }
            default -> throw new MalformedInputException("output tensor is " + t.dtype().specName() + "; floats() reads float32 or float64");
        };
    }

    /** The index of the largest element of a float tensor in its file form (a classifier's answer). */
    public static int argMax(byte[] tensorFileForm) {
        float[] f = floats(tensorFileForm);
        int best = 0;
        for (int i = 1; i < f.length; i++) {
            if (f[i] > f[best]) {
                best = i;
            }
        }
        return best;
    }
}
