package dev.opg.spark;

import dev.opg.core.MalformedInputException;
import dev.opg.core.Digest;
import dev.opg.core.OpgException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
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
 *         .outputDir("hdfs://nn:8020/jobs/42")     // any Hadoop file system, or a local Path
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
 *
 * <p>The job directory is a Hadoop path: {@code hdfs://}, {@code s3a://} or any file system the
 * session's Hadoop configuration knows, or a local directory (a {@code java.nio.file.Path}, which
 * must then be the same shared directory on every executor). The driver resolves it with
 * {@code spark.sparkContext().hadoopConfiguration()} and ships that configuration with the tasks,
 * so the executors open the same file system. Every file is written under a temporary name
 * ({@code .NAME.*.tmp}) and renamed into place when complete.
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
        private String outputDir;

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

        /** A local job directory ({@code file:}), the same shared directory on the driver and every executor. */
        public Builder outputDir(Path dir) {
            this.outputDir = new org.apache.hadoop.fs.Path("file", null, dir.toAbsolutePath().normalize().toString()).toString();
            return this;
        }

        /**
         * The job directory as a Hadoop path string ({@code hdfs://nn:8020/jobs/42},
         * {@code s3a://bucket/jobs/42}, {@code file:/shared/jobs/42}; as {@code hdfs dfs} takes it,
         * not %-escaped); a path without a scheme is resolved against the session's
         * {@code fs.defaultFS}, as Spark resolves paths.
         */
        public Builder outputDir(String uri) {
            this.outputDir = uri;
            return this;
        }

        /** The job directory as a Hadoop path; see {@link #outputDir(String)}. */
        public Builder outputDir(org.apache.hadoop.fs.Path dir) {
            this.outputDir = dir.toString();
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
                    intraOpThreads, interOpThreads, seed, outputDir));
        }
    }

    /**
     * Proves every row of {@code input} (one Spark job; returns when every partition's file is
     * committed). The dataset's partitions are kept as they are: partition i writes
     * {@code parts/part-i.opgpart}. The job directory is resolved with the session's Hadoop
     * configuration; the returned job's {@link ProvenJob#settings()} name it qualified
     * ({@code hdfs://host:port/...}, {@code file:/...}).
     *
     * @throws MalformedInputException if the dataset lacks the key or an input column, or a column has an unsupported type
     * @throws OpgException if the executors loaded different models (their model ids differ)
     */
    /**
     * Fetches a model on a Hadoop file system to this machine (the driver) too: the settings' digest
     * names the model's engine, which the model's files decide; the executors fetch their own copies.
     */
    static void fetchHere(ModelSource m, SparkSession spark) {
        if (!m.onHadoop()) {
            return;
        }
        try {
            m.local(spark.sparkContext().hadoopConfiguration());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch the model " + m.path() + ": " + e.getMessage(), e);
        }
    }

    public ProvenJob prove(Dataset<Row> input) {
        StructType schema = input.schema();
        TensorColumns.checkSchema(schema, settings);
        SparkSession spark = input.sparkSession();
        JobDir dir = JobDir.of(settings.outputDir(), spark);
        ProveSettings s = settings.withOutputDir(dir.uri());
        fetchHere(s.model(), spark);
        try {
            dir.mkdirs(dir.parts());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir.parts() + ": " + e.getMessage(), e);
        }
        JavaRDD<Row> rdd = input.javaRDD();
        int partitions = rdd.getNumPartitions();
        long t0 = System.nanoTime();
        spark.sparkContext().setJobDescription("opg-spark: prove " + partitions + " partitions into " + dir);
        List<PartitionProver.Summary> summaries;
        try {
            summaries = rdd.mapPartitionsWithIndex((idx, it) -> PartitionProver.run(s, dir, schema, idx, it), false).collect();
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        removeStale(dir, partitions);
        if (summaries.stream().anyMatch(p -> !p.untouched())) {
            ProvenJob.removeReceipts(dir); // any changed row changes the job tree: every old proof is stale
        }
        String modelId = null;
        for (PartitionProver.Summary p : summaries) {
            if (p.modelId() == null) {
                continue;
            }
            // a partition a re-run left untouched reports the id its file records: pinned, that must be the pin too
            s.model().check(Digest.fromHex(p.modelId()), "partition " + p.partition() + " (as its committed file records, executor "
                    + p.executor() + ")");
            if (modelId == null) {
                modelId = p.modelId();
            } else if (!modelId.equals(p.modelId())) {
                throw new OpgException("the executors proved with different models: partition " + p.partition() + " has model id "
                        + p.modelId() + ", another " + modelId + "; every executor must see the same model files at "
                        + s.model().path());
            }
        }
        ProvenJob job = new ProvenJob(spark, s, dir, schema.apply(s.keyColumn()).dataType(), partitions, summaries, modelId, seconds);
        job.writeManifest();
        LOG.info("proved {} rows in {} partitions ({} proven, {} taken from committed files) in {} s", job.rowCount(), partitions,
                job.rowsProven(), job.rowsReused(), String.format("%.1f", seconds));
        return job;
    }

    /** Removes partition files beyond this run's partition count and temporary files left by dead tasks. */
    private static void removeStale(JobDir dir, int partitions) {
        try {
            for (FileStatus f : dir.list(dir.parts(), n -> n.startsWith("."))) {
                String n = f.getPath().getName();
                if (n.startsWith(".part-") && n.endsWith(".tmp")) {
                    LOG.info("removing {} (left by a task that did not finish)", f.getPath());
                    dir.deleteIfExists(f.getPath());
                }
            }
            for (FileStatus f : dir.list(dir.parts(), n -> PartitionFile.isPartitionFileName(n) || JobFiles.isReceiptsName(n))) {
                String n = f.getPath().getName();
                if (Integer.parseInt(n.substring(5, n.indexOf('.'))) >= partitions) {
                    LOG.info("removing {} (from an earlier run with more partitions)", f.getPath());
                    dir.deleteIfExists(f.getPath());
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.warn("cannot tidy {}: {}", dir.parts(), e.getMessage());
        }
    }
}
