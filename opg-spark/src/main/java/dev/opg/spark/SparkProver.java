package dev.opg.spark;

import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves every row of a {@code Dataset<Row>} on the executors:
 *
 * <pre>{@code
 * ProvenJob job = SparkProver.builder()
 *         .model(Path.of("/models/mnist-mlp"))      // seen at the same path by every executor
 *         .keyColumn("id")                           // orders the job root (spec section 3.15)
 *         .input("x", 1, 784)                        // array<float> column, reshaped
 *         .outputDir(Path.of("/shared/jobs/42"))
 *         .build()
 *         .prove(dataset);
 * job.rows();                                        // key, outputs, root, where each transcript is
 * job.jobRoot();                                     // one root over every row
 * job.anchor(client);                                // one transaction; receipts beside the transcripts
 * }</pre>
 *
 * Each task loads the model once for its partition, lazily (after applying the determinism
 * profile for the model's engine on its executor), proves its rows, writes them to one file
 * ({@link PartitionFile}) atomically and closes the model; transcripts and witnesses stay on the
 * executors' side of the shared directory and are never collected on the driver. Re-running the
 * same job over the same directory re-proves nothing already committed.
 */
public final class SparkProver {
    private static final Logger LOG = LoggerFactory.getLogger(SparkProver.class);

    private final ProveSettings settings;

    private SparkProver(ProveSettings settings) {
        this.settings = settings;
    }

    public static Builder builder() {
        return new Builder();
    }

    public ProveSettings settings() {
        return settings;
    }

    /** Settings; see {@link SparkProver}. */
    public static final class Builder {
        private ModelSource model;
        private String keyColumn;
        private final List<String> inputs = new ArrayList<>();
        private final Map<String, List<Long>> shapes = new LinkedHashMap<>();
        private String mode = "full";
        private int sketchDimension;
        private boolean witness;
        private String granularity = "block";
        private int intraOpThreads = 1;
        private int interOpThreads = 1;
        private long seed;
        private Path outputDir;

        public Builder model(Path path) {
            this.model = ModelSource.of(path);
            return this;
        }

        public Builder model(ModelSource source) {
            this.model = source;
            return this;
        }

        /** The column whose values order the rows under the job root; unique per row, never null. */
        public Builder keyColumn(String column) {
            this.keyColumn = column;
            return this;
        }

        /**
         * The next model input (in the model's input order): a binary column (a tensor in its file
         * form) or an array column, reshaped to {@code shape} (one dimension when none is given).
         */
        public Builder input(String column, long... shape) {
            inputs.add(column);
            if (shape.length > 0) {
                List<Long> l = new ArrayList<>();
                for (long d : shape) {
                    l.add(d);
                }
                shapes.put(column, l);
            }
            return this;
        }

        /** FULL commitments (the default). */
        public Builder full() {
            this.mode = "full";
            this.sketchDimension = 0;
            return this;
        }

        /** SKETCH commitments of {@code dimension} values per step output. */
        public Builder sketch(int dimension) {
            this.mode = "sketch";
            this.sketchDimension = dimension;
            return this;
        }

        /** Keep every row's witness (its step tensors) in the partition file; off by default. */
        public Builder witness(boolean on) {
            this.witness = on;
            return this;
        }

        /** Step granularity: {@code node}, {@code block} (the default) or {@code output}. */
        public Builder granularity(String g) {
            this.granularity = g;
            return this;
        }

        /** Engine threads on each executor (default 1 and 1) and the seed (default 0). */
        public Builder determinism(int intraOp, int interOp, long seed) {
            this.intraOpThreads = intraOp;
            this.interOpThreads = interOp;
            this.seed = seed;
            return this;
        }

        /** The job's directory, as the driver and every executor see it. */
        public Builder outputDir(Path dir) {
            this.outputDir = dir.toAbsolutePath();
            return this;
        }

        public SparkProver build() {
            if (model == null) {
                throw new MalformedInputException("no model: call model(path)");
            }
            if (outputDir == null) {
                throw new MalformedInputException("no output directory: call outputDir(dir)");
            }
            return new SparkProver(new ProveSettings(model, keyColumn, inputs, shapes, mode, sketchDimension, witness, granularity,
                    intraOpThreads, interOpThreads, seed, outputDir.toString()));
        }
    }

    /**
     * Proves every row of {@code input} (one Spark job; returns when every partition's file is
     * committed). The dataset's partitions are kept as they are: partition i writes
     * {@code parts/part-i.opgpart}.
     *
     * @throws MalformedInputException if the dataset lacks the key or an input column, or a column has an unsupported type
     * @throws OpgException if the executors loaded different models (their model ids differ)
     */
    public ProvenJob prove(Dataset<Row> input) {
        StructType schema = input.schema();
        TensorColumns.checkSchema(schema, settings);
        SparkSession spark = input.sparkSession();
        ProveSettings s = settings;
        try {
            Files.createDirectories(s.partsDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + s.partsDir() + ": " + e.getMessage(), e);
        }
        JavaRDD<Row> rdd = input.javaRDD();
        int partitions = rdd.getNumPartitions();
        long t0 = System.nanoTime();
        spark.sparkContext().setJobDescription("opg-spark: prove " + partitions + " partitions into " + s.dir());
        List<PartitionProver.Summary> summaries;
        try {
            summaries = rdd.mapPartitionsWithIndex((idx, it) -> PartitionProver.run(s, schema, idx, it), false).collect();
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        removeStale(s.partsDir(), partitions);
        if (summaries.stream().anyMatch(p -> !p.untouched())) {
            ProvenJob.removeReceipts(s.partsDir()); // any changed row changes the job tree: every old proof is stale
        }
        String modelId = null;
        for (PartitionProver.Summary p : summaries) {
            if (p.modelId() == null) {
                continue;
            }
            if (modelId == null) {
                modelId = p.modelId();
            } else if (!modelId.equals(p.modelId())) {
                throw new OpgException("the executors proved with different models: partition " + p.partition() + " has model id "
                        + p.modelId() + ", another " + modelId + "; every executor must see the same model files at "
                        + s.model().path());
            }
        }
        ProvenJob job = new ProvenJob(spark, s, schema.apply(s.keyColumn()).dataType(), partitions, summaries, modelId, seconds);
        job.writeManifest();
        LOG.info("proved {} rows in {} partitions ({} proven, {} taken from committed files) in {} s", job.rowCount(), partitions,
                job.rowsProven(), job.rowsReused(), String.format("%.1f", seconds));
        return job;
    }

    /** Removes partition files beyond this run's partition count and temporary files left by dead tasks. */
    private static void removeStale(Path parts, int partitions) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parts)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                boolean tmp = n.startsWith(".part-") && n.endsWith(".tmp");
                boolean beyond = false;
                if (n.startsWith("part-") && (n.endsWith(".opgpart") || n.endsWith(".receipts.jsonl"))) {
                    int idx = Integer.parseInt(n.substring(5, 10));
                    beyond = idx >= partitions;
                }
                if (tmp || beyond) {
                    LOG.info("removing {} ({})", p, tmp ? "left by a task that did not finish" : "from an earlier run with more partitions");
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.warn("cannot tidy {}: {}", parts, e.getMessage());
        }
    }
}
