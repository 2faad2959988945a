package dev.opg.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.opg.core.MalformedInputException;
import dev.opg.core.engine.EngineSupport;
import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.spark.ProveSettings;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Plain Spark inference with the model opg-spark proves with, the baseline of {@link SparkBenchmark}:
 * the same rows and partitions, one {@code mapPartitionsWithIndex} whose task applies the same
 * determinism settings ({@code EngineSupport.apply} with the settings' threads and seed), loads the
 * model once for its partition and runs it on each row (batch 1, as opg-spark proves), with no
 * transcript, no hashing and no file. An ONNX model's session gets opg's session options
 * ({@code OnnxProfiles.sessionOptions}: what opg's own ONNX runner opens its sessions with), so
 * both sides run the same kernels; a DJL block model runs its block tree's forward.
 */
final class PlainSparkInference {
    private PlainSparkInference() {}

    /** What one partition's task computed: its rows and a checksum of every output byte (so no output is dead code). */
    record Summary(int partition, long rows, long checksum) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** Runs the model on every row of {@code data}; one summary per partition. */
    static List<Summary> run(Dataset<Row> data, ProveSettings s) {
        StructType schema = data.schema();
        return data.javaRDD().mapPartitionsWithIndex((idx, it) -> {
            long[] acc = {0, 0};
            partition(s, schema, it, (key, out) -> {
                acc[0]++;
                for (byte[] b : out) {
                    acc[1] = 31 * acc[1] + Arrays.hashCode(b);
                }
            });
            return List.of(new Summary(idx, acc[0], acc[1])).iterator();
        }, false).collect();
    }

    /** Every row's key and raw output bytes (each output's elements, little-endian), collected on the driver: for tests. */
    static List<Row> outputs(Dataset<Row> data, ProveSettings s) {
        StructType schema = data.schema();
        return data.javaRDD().mapPartitions(it -> {
            List<Row> out = new ArrayList<>();
            partition(s, schema, it, (key, bytes) -> out.add(org.apache.spark.sql.RowFactory.create(key, bytes)));
            return out.iterator();
        }).collect();
    }

    /** Receives one row's key and its outputs' bytes. */
    interface RowSink {
        void accept(Object key, List<byte[]> outputs);
    }

    private static void partition(ProveSettings s, StructType schema, Iterator<Row> rows, RowSink sink) {
        String engine = s.model().engine();
        EngineSupport support = EngineSupport.of(engine);
        DeterminismProfile profile = support.apply(s.intraOpThreads(), s.interOpThreads(), s.seed());
        support.pinCurrentThread(profile);
        int keyIndex = schema.fieldIndex(s.keyColumn());
        List<String> columns = s.inputColumns();
        int[] index = new int[columns.size()];
        long[][] shapes = new long[columns.size()][];
        DataType[] types = new DataType[columns.size()];
        for (int i = 0; i < index.length; i++) {
            index[i] = schema.fieldIndex(columns.get(i));
            List<Long> sh = s.shapes().get(columns.get(i));
            shapes[i] = sh == null ? null : sh.stream().mapToLong(Long::longValue).toArray();
            if (!(schema.fields()[index[i]].dataType() instanceof ArrayType a)) {
                throw new MalformedInputException("input column '" + columns.get(i) + "' has type "
                        + schema.fields()[index[i]].dataType().simpleString() + "; the plain baseline reads array columns only");
            }
            types[i] = a.elementType();
        }
        String key = s.digest();
        Model model = IDLE.computeIfAbsent(key, k -> new java.util.concurrent.ConcurrentLinkedDeque<>()).pollLast();
        if (model == null) {
            model = load(s, engine, profile);
        }
        boolean ok = false;
        try {
            while (rows.hasNext()) {
                Row row = rows.next();
                try (NDManager m = model.getNDManager().newSubManager()) {
                    NDList x = new NDList(index.length);
                    for (int i = 0; i < index.length; i++) {
                        NDArray a = array(m, row.getList(index[i]), types[i], shapes[i], columns.get(i));
                        a.setName(columns.get(i));
                        x.add(a);
                    }
                    NDList y = model.getBlock().forward(new ParameterStore(m, false), x, false);
                    List<byte[]> out = new ArrayList<>(y.size());
                    for (NDArray a : y) {
                        out.add(a.toByteArray());
                    }
                    sink.accept(row.get(keyIndex), out);
                }
            }
            ok = true;
        } finally {
            if (ok) {
                IDLE.get(key).addLast(model); // kept for the executor's next task, as opg-spark keeps its models
            } else {
                model.close();
            }
        }
    }

    /**
     * Models this JVM's earlier tasks loaded, per settings digest: the baseline keeps its models
     * between tasks as opg-spark does (ExecutorModels), so that the two differ only in proving.
     */
    private static final java.util.Map<String, java.util.Deque<Model>> IDLE = new java.util.concurrent.ConcurrentHashMap<>();

    /** The model as opg-spark loads it, except that an ONNX session gets opg's session options. */
    private static Model load(ProveSettings s, String engine, DeterminismProfile profile) {
        try {
            if (!OnnxProfiles.ENGINE.equals(engine)) {
                return s.model().load();
            }
            Path file = Path.of(s.model().path());
            String name = file.getFileName().toString().replaceFirst("\\.onnx$", "");
            Model model = Model.newInstance(name, engine);
            try (OrtSession.SessionOptions options = OnnxProfiles.sessionOptions(profile)) {
                model.load(file.getParent(), name, Map.of("sessionOptions", options));
                return model;
            } catch (OrtException | ai.djl.MalformedModelException | RuntimeException e) {
                model.close();
                throw new MalformedInputException("cannot open " + file + " in ONNX Runtime with opg's session options: " + e.getMessage(), e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load model " + s.model().path() + ": " + e.getMessage(), e);
        }
    }

    private static NDArray array(NDManager m, List<Object> values, DataType type, long[] shape, String column) {
        int n = values.size();
        Shape sh = new Shape(shape == null ? new long[] {n} : shape);
        if (sh.size() != n) {
            throw new MalformedInputException("input column '" + column + "' holds " + n + " values; its shape " + sh + " needs " + sh.size());
        }
        if (type.equals(DataTypes.FloatType)) {
            float[] f = new float[n];
            for (int k = 0; k < n; k++) {
                f[k] = (Float) values.get(k);
            }
            return m.create(f, sh);
        }
        if (type.equals(DataTypes.LongType)) {
            long[] l = new long[n];
            for (int k = 0; k < n; k++) {
                l[k] = (Long) values.get(k);
            }
            return m.create(l, sh);
        }
        if (type.equals(DataTypes.IntegerType)) {
            int[] l = new int[n];
            for (int k = 0; k < n; k++) {
                l[k] = (Integer) values.get(k);
            }
            return m.create(l, sh);
        }
        throw new MalformedInputException("input column '" + column + "' holds " + type.simpleString()
                + "; the plain baseline reads arrays of float, int or long");
    }
}
