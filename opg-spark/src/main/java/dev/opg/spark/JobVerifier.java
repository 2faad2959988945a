package dev.opg.spark;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.chain.BatchRoots;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.engine.EngineSupport;
import dev.opg.core.merkle.MerkleProofs;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.WitnessTensor;
import dev.opg.verify.VerificationReport;
import dev.opg.verify.Verifier;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verification as a Spark job: the verifier's own rows (key and model inputs), its own model, the
 * job root it read from the chain and the count anchored with it, against a prover's job
 * directory, whose every byte the prover controls. Every row, or a {@link Sample}, is re-executed
 * on the executors; rows that fail are reported by key.
 *
 * <p>For each checked row with key k, what must hold is derived from the verifier's side: the row's
 * position is the rank of k among the verifier's keys (spec section 3.15), the tree size is the
 * verifier's row count and must equal the anchored count, the transcript (decoded strictly) must
 * hash to the root that the receipt's inclusion proof leads from to the anchored job root at that
 * position, and re-executing the verifier's model on the verifier's input must give that
 * transcript bit for bit ({@link Verifier}), recorded under the verifier's commitment mode, sketch
 * dimension and granularity; and what the partition file stores beside the transcript (the key,
 * the root, the output tensors every reader of the job's rows gets) must be the transcript's.
 * Missing rows, receipts or duplicated keys are INVALID; a profile this executor cannot reproduce is
 * INCONCLUSIVE, never VALID.
 *
 * <p>Over the whole dataset, sampled or not, the report counts the verifier's keys that have no
 * committed row, those committed more than once, and the committed keys the dataset lacks; a job
 * is {@link Report#allValid() all valid} only where all three are zero, so no sample can miss them.
 * Which rows a {@link Sample} checks depends on its seed and the verifier's keys alone.
 *
 * <p>Failures are told apart: what the prover's bytes break (a damaged file, a false claim) makes
 * its rows INVALID; a prover's file that cannot be read for another reason (an I/O error) makes a
 * row INCONCLUSIVE; and a failure of the verifier's own side (its model does not load, its own row
 * cannot be made a model input) fails the verification, never a row's verdict.
 *
 * <p>The prover's directory is read on its Hadoop file system ({@code hdfs://}, {@code s3a://},
 * local), resolved with the verifier's session's Hadoop configuration. Only files under their
 * final names are read ({@code parts/part-NNNNN.opgpart} and {@code .receipts.jsonl}); a
 * temporary file a dead task left is never one. Every read is bounded: a partition file's
 * lengths by their caps and by the file's own size ({@link PartitionFile}), a receipt line by
 * {@code 1 MiB}; output tensors and witnesses are read through without being held; a file that
 * breaks a bound counts as missing or malformed, never as VALID.
 */
public final class JobVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(JobVerifier.class);
    /** Most non-VALID rows listed in a report (all are counted). */
    public static final int MAX_LISTED = 1000;

    private final ProveSettings settings;

    /**
     * @param settings the model, key and input columns and determinism settings the verifier
     *     uses; {@code outputDir} is the prover's job directory under examination (a Hadoop URI
     *     such as {@code hdfs://nn:8020/jobs/42}, or a local path)
     */
    public JobVerifier(ProveSettings settings) {
        this.settings = settings;
    }

    /** One row that is not VALID. */
    public record RowFinding(String key, String verdict, String detail) implements Serializable {}

    /**
     * What a verification job found.
     *
     * @param datasetRows rows in the verifier's dataset
     * @param anchoredRows the count anchored with the job root
     * @param missing verifier rows without a committed transcript (all rows counted, not only the sample)
     * @param duplicated verifier rows whose key the prover committed more than once (all rows counted)
     * @param extra keys the prover committed that the verifier's dataset lacks
     * @param checked rows re-executed
     * @param valid rows VALID
     * @param invalid rows INVALID
     * @param inconclusive rows INCONCLUSIVE
     * @param findings the non-VALID rows by key (at most {@link #MAX_LISTED})
     * @param sample what the sample proves
     */
    public record Report(long datasetRows, long anchoredRows, long missing, long duplicated, long extra, long checked, long valid,
            long invalid, long inconclusive, List<RowFinding> findings, String sample) {
        /**
         * True when the anchored root covers exactly the verifier's rows, the prover committed each
         * of them once and nothing else, and every checked row is VALID.
         */
        public boolean allValid() {
            return datasetRows == anchoredRows && missing == 0 && duplicated == 0 && extra == 0 && invalid == 0 && inconclusive == 0
                    && checked > 0;
        }

        public String summary() {
            return String.format("%s: %d of %d rows checked (%s): %d VALID, %d INVALID, %d INCONCLUSIVE; %d rows anchored, %d in the "
                    + "dataset, %d without a committed transcript, %d committed more than once, %d committed keys not in the dataset",
                    allValid() ? "VALID" : "NOT VALID", checked, datasetRows, sample, valid, invalid, inconclusive, anchoredRows,
                    datasetRows, missing, duplicated, extra);
        }
    }

    /**
     * Verifies the prover's job against the verifier's dataset {@code input} (with the key and
     * input columns of the settings).
     *
     * @param jobRoot the job root as anchored (read it from the chain, not from the prover)
     * @param anchoredCount the count anchored with it
     */
    public Report verify(Dataset<Row> input, Digest jobRoot, long anchoredCount, Sample sample) {
        StructType schema = input.schema();
        TensorColumns.checkSchema(schema, settings);
        SparkSession spark = input.sparkSession();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ProveSettings s = settings;
        SparkProver.fetchHere(s.model(), spark);
        int keyIndex = schema.fieldIndex(s.keyColumn());
        DataType keyType = schema.fields()[keyIndex].dataType();

        // the verifier's rows in key order, with their rank: the position each must have under the root
        StructType vSchema = schema.add("kb", DataTypes.BinaryType, false);
        JavaRDD<Row> keyed = input.javaRDD().map(r -> {
            Object[] v = new Object[r.length() + 1];
            for (int i = 0; i < r.length(); i++) {
                v[i] = r.get(i);
            }
            v[r.length()] = KeyBytes.of(r.get(keyIndex), keyType, s.keyColumn());
            return RowFactory.create(v);
        });
        Dataset<Row> vdf = spark.createDataFrame(keyed, vSchema);
        StructType rankedSchema = vSchema.add("rank", DataTypes.LongType, false);
        JavaRDD<Row> ranked = vdf.orderBy("kb").javaRDD().zipWithIndex().map(t -> {
            Object[] v = new Object[t._1().length() + 1];
            for (int i = 0; i < t._1().length(); i++) {
                v[i] = t._1().get(i);
            }
            v[v.length - 1] = t._2();
            return RowFactory.create(v);
        });
        Dataset<Row> rdf = spark.createDataFrame(ranked, rankedSchema).persist(StorageLevel.MEMORY_AND_DISK());
        long n = rdf.count();
        long distinct = rdf.select("kb").distinct().count();
        if (distinct != n) {
            throw new MalformedInputException("the verifier's dataset has " + (n - distinct) + " duplicate key(s) in '" + s.keyColumn()
                    + "'; keys must be unique (spec section 3.15)");
        }

        // the prover's committed rows and receipts, by key (duplicates kept visible)
        JobDir dir = JobDir.of(s.outputDir(), spark);
        List<String> files = new ArrayList<>();
        List<String> receiptFiles = new ArrayList<>();
        try {
            if (!dir.fs().getFileStatus(dir.parts()).isDirectory()) {
                throw new MalformedInputException("the prover's " + dir.parts() + " is not a directory");
            }
            for (FileStatus f : dir.list(dir.parts(), PartitionFile::isPartitionFileName)) {
                files.add(f.getPath().toString());
                receiptFiles.add(JobFiles.receipts(dir.parts(), PartitionFile.Reader.partitionOf(f.getPath())).toString());
            }
        } catch (IOException e) {
            throw new MalformedInputException("cannot list the prover's partition files in " + dir.parts() + ": " + e.getMessage(), e);
        }
        int slices = Math.max(1, files.size());
        StructType pSchema = new StructType(new StructField[] {
                DataTypes.createStructField("kb", DataTypes.BinaryType, false),
                DataTypes.createStructField("file", DataTypes.StringType, false),
                DataTypes.createStructField("idx", DataTypes.IntegerType, false)});
        JavaRDD<Row> committed = jsc.parallelize(files, slices).flatMap(f -> {
            List<Row> out = new ArrayList<>();
            int[] i = {0};
            try {
                PartitionFile.scanLean(dir.fs(), new org.apache.hadoop.fs.Path(f), r -> out.add(RowFactory.create(r.key(), f, i[0]++)));
            } catch (OpgException e) {
                LOG.warn("prover file {} is damaged or breaks a bound; its rows count as missing: {}", f, e.getMessage());
                return new ArrayList<Row>().iterator();
            } catch (IOException e) {
                // not the prover's bytes but reading them: the task fails (and is retried), no row is counted missing for it
                throw new java.io.UncheckedIOException("cannot read the prover's file " + f + ": " + e.getMessage(), e);
            }
            return out.iterator();
        });
        // one reading of the prover's files for every count and for the check (kept: the prover may change them meanwhile)
        Dataset<Row> pdf = spark.createDataFrame(committed, pSchema).groupBy("kb")
                .agg(functions.count("*").as("pn"), functions.first("file").as("file"), functions.first("idx").as("idx"))
                .persist(StorageLevel.MEMORY_AND_DISK());
        StructType rcSchema = new StructType(new StructField[] {
                DataTypes.createStructField("kb", DataTypes.BinaryType, false),
                DataTypes.createStructField("receipt", DataTypes.StringType, false)});
        JavaRDD<Row> receiptRows = jsc.parallelize(receiptFiles, slices).flatMap(f -> {
            List<Row> out = new ArrayList<>();
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(f);
            try (JobFiles.Lines r = new JobFiles.Lines(dir.fs().open(p), f)) {
                String line;
                while ((line = r.next()) != null) {
                    try {
                        out.add(RowFactory.create(JobFiles.RowReceipt.parse(line).keyBytes(), line));
                    } catch (RuntimeException e) {
                        LOG.warn("a malformed receipt line in {} is ignored: {}", f, e.getMessage());
                    }
                }
            } catch (FileNotFoundException e) {
                return new ArrayList<Row>().iterator(); // no receipts: its rows have none
            } catch (OpgException e) {
                LOG.warn("receipts file {} breaks a bound; none of its receipts count: {}", f, e.getMessage());
                return new ArrayList<Row>().iterator();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot read the prover's receipts file " + f + ": " + e.getMessage(), e);
            }
            return out.iterator();
        });
        Dataset<Row> recdf = spark.createDataFrame(receiptRows, rcSchema).groupBy("kb")
                .agg(functions.count("*").as("rn"), functions.first("receipt").as("receipt"));

        long missing = rdf.select("kb").join(pdf.select("kb"), rdf.col("kb").equalTo(pdf.col("kb")), "left_anti").count();
        Dataset<Row> twice = pdf.filter(pdf.col("pn").gt(1)).select("kb");
        long duplicated = rdf.select("kb").join(twice, rdf.col("kb").equalTo(twice.col("kb")), "left_semi").count();
        long extra = pdf.select("kb").join(rdf.select("kb"), pdf.col("kb").equalTo(rdf.col("kb")), "left_anti").count();

        Dataset<Row> checkedRows = rdf.filter((org.apache.spark.api.java.function.FilterFunction<Row>) r ->
                sample.includes((byte[]) r.getAs("kb")));
        Dataset<Row> joined = checkedRows.join(pdf, checkedRows.col("kb").equalTo(pdf.col("kb")), "left")
                .drop(pdf.col("kb"));
        joined = joined.join(recdf, joined.col("kb").equalTo(recdf.col("kb")), "left").drop(recdf.col("kb"));
        StructType js = joined.schema();
        byte[] root = jobRoot.toByteArray();
        StructType outSchema = new StructType(new StructField[] {
                DataTypes.createStructField("key", DataTypes.StringType, false),
                DataTypes.createStructField("verdict", DataTypes.StringType, false),
                DataTypes.createStructField("detail", DataTypes.StringType, true)});
        int tasks = Math.max(1, Math.min(files.size(), jsc.defaultParallelism() * 4));
        JavaRDD<Row> results = joined.repartition(tasks, joined.col("file")).javaRDD()
                .mapPartitions(it -> checkPartition(s, dir, js, keyIndex, keyType, Digest.of(root), anchoredCount, n, it));
        Dataset<Row> res = spark.createDataFrame(results, outSchema).persist(StorageLevel.MEMORY_AND_DISK());
        Map<String, Long> counts = new HashMap<>();
        for (Row r : res.groupBy("verdict").count().collectAsList()) {
            counts.put(r.getString(0), r.getLong(1));
        }
        List<RowFinding> findings = new ArrayList<>();
        for (Row r : res.filter(functions.col("verdict").notEqual("VALID")).orderBy("key").limit(MAX_LISTED).collectAsList()) {
            findings.add(new RowFinding(r.getString(0), r.getString(1), r.getString(2)));
        }
        long valid = counts.getOrDefault("VALID", 0L);
        long invalid = counts.getOrDefault("INVALID", 0L);
        long inconclusive = counts.getOrDefault("INCONCLUSIVE", 0L);
        res.unpersist();
        pdf.unpersist();
        rdf.unpersist();
        Report report = new Report(n, anchoredCount, missing, duplicated, extra, valid + invalid + inconclusive, valid, invalid, inconclusive,
                findings, sample.statement());
        LOG.info(report.summary());
        return report;
    }

    /** Checks the rows of one task, reading each partition file it needs once, in row order. */
    private static java.util.Iterator<Row> checkPartition(ProveSettings s, JobDir dir, StructType js, int keyIndex, DataType keyType,
            Digest jobRoot, long anchoredCount, long n, java.util.Iterator<Row> it) throws IOException {
        List<Row> rows = new ArrayList<>();
        it.forEachRemaining(rows::add);
        int fileCol = js.fieldIndex("file");
        int idxCol = js.fieldIndex("idx");
        rows.sort(Comparator.<Row, String>comparing(r -> r.isNullAt(fileCol) ? "" : r.getString(fileCol))
                .thenComparingInt(r -> r.isNullAt(idxCol) ? -1 : r.getInt(idxCol)));
        List<Row> out = new ArrayList<>(rows.size());
        TensorColumns.Columns columns = new TensorColumns.Columns(js, s);
        try (Reexecutor re = new Reexecutor(s, dir)) {
            PartitionFile.Reader reader = null;
            String readerFile = null;
            int readerPos = 0;
            try {
                for (Row r : rows) {
                    String key = KeyBytes.display(r.getAs("kb"), keyType);
                    String[] verdict;
                    try {
                        PartitionFile.Row pr = null;
                        if (!r.isNullAt(fileCol)) {
                            String f = r.getString(fileCol);
                            int idx = r.getInt(idxCol);
                            if (!f.equals(readerFile) || idx < readerPos) {
                                if (reader != null) {
                                    reader.close();
                                }
                                reader = PartitionFile.Reader.lean(dir.fs(), new org.apache.hadoop.fs.Path(f));
                                readerFile = f;
                                readerPos = 0;
                            }
                            while (readerPos <= idx) {
                                pr = reader.next();
                                readerPos++;
                            }
                        }
                        verdict = check(s, js, columns, r, keyIndex, keyType, jobRoot, anchoredCount, n, pr, re);
                    } catch (VerifierFailure e) {
                        throw e; // the verifier's side: no verdict on the prover's row
                    } catch (OpgException e) {
                        verdict = new String[] {"INVALID", "the prover's files for this row are damaged or false: " + e.getMessage()};
                    } catch (IOException | RuntimeException e) {
                        verdict = new String[] {"INCONCLUSIVE", "the prover's files for this row cannot be read: " + e};
                    }
                    out.add(RowFactory.create(key, verdict[0], verdict[1]));
                }
            } finally {
                if (reader != null) {
                    reader.close();
                }
            }
        }
        return out.iterator();
    }

    private static String[] check(ProveSettings s, StructType js, TensorColumns.Columns columns, Row r, int keyIndex, DataType keyType,
            Digest jobRoot, long anchoredCount, long n, PartitionFile.Row stored, Reexecutor re) {
        if (r.isNullAt(js.fieldIndex("file")) || stored == null) {
            return new String[] {"INVALID", "no committed transcript for this key"};
        }
        if (r.<Long>getAs("pn") > 1) {
            return new String[] {"INVALID", "the prover committed this key " + r.getAs("pn") + " times"};
        }
        if (r.isNullAt(js.fieldIndex("receipt"))) {
            return new String[] {"INVALID", "no receipt (inclusion proof) for this key"};
        }
        if (r.<Long>getAs("rn") > 1) {
            return new String[] {"INVALID", "the prover gave " + r.getAs("rn") + " receipts for this key"};
        }
        Transcript t;
        try {
            t = TranscriptBytes.decode(stored.transcript());
        } catch (RuntimeException e) {
            return new String[] {"INVALID", "the committed transcript is malformed: " + e.getMessage()};
        }
        String beside = besideTheTranscript(stored, r.getAs("kb"), t);
        if (beside != null) {
            return new String[] {"INVALID", beside};
        }
        RecordingOptions want = s.recordingOptions();
        TranscriptHeader h = t.header();
        if (h.mode() != want.mode() || h.sketchDimension() != want.sketchDimension() || h.granularity() != want.granularity()) {
            return new String[] {"INVALID", "the transcript was recorded in " + h.mode() + " mode (sketch dimension " + h.sketchDimension()
                    + ") at " + h.granularity().specName() + " granularity; the job's settings are " + want.mode() + " (sketch dimension "
                    + want.sketchDimension() + ") at " + want.granularity().specName()};
        }
        JobFiles.RowReceipt rc = JobFiles.RowReceipt.parse(r.getAs("receipt"));
        long rank = r.<Long>getAs("rank");
        if (anchoredCount != n) {
            return new String[] {"INVALID", "the anchored job root covers " + anchoredCount + " rows; the dataset has " + n};
        }
        if (!rc.jobRoot().equals(jobRoot)) {
            return new String[] {"INVALID", "the receipt is for job root " + rc.jobRoot().hex() + ", not the anchored " + jobRoot.hex()};
        }
        if (rc.proof().leafIndex() != rank || rc.proof().treeSize() != n) {
            return new String[] {"INVALID", "the receipt puts this row at leaf " + rc.proof().leafIndex() + " of " + rc.proof().treeSize()
                    + "; its key is number " + rank + " of " + n + " in key order"};
        }
        if (!MerkleProofs.verifyInclusion(rank, n, BatchRoots.leafHash(t.root()), rc.proof().path(), jobRoot)) {
            return new String[] {"INVALID", "the transcript's root " + t.root().hex() + " is not under the anchored job root at leaf " + rank};
        }
        List<WitnessTensor> inputs;
        try {
            inputs = columns.inputs(r);
        } catch (RuntimeException e) {
            throw new VerifierFailure("the verifier's own row with key " + KeyBytes.display(r.getAs("kb"), keyType)
                    + " is not a model input: " + e.getMessage(), e);
        }
        VerificationReport report = re.verify(t, inputs);
        return new String[] {report.verdict().name(), report.isValid() ? null : report.summary()};
    }

    /**
     * What a partition file stores beside a row's transcript, read by a lean reader (outputs as
     * their SHA-256), against the transcript and the key the row was found under: null when it
     * agrees, else what differs. The outputs a reader of the job's rows gets are the transcript's
     * only where each one's SHA-256 (its tensor digest, the tensor's file form being the digest's
     * preimage) is the header's.
     */
    private static String besideTheTranscript(PartitionFile.Row stored, byte[] key, Transcript t) {
        if (!java.util.Arrays.equals(stored.key(), key)) {
            return "the partition file's row holds key bytes " + Hex.encode(stored.key()) + ", not this key's (the file changed while it was read)";
        }
        if (!java.util.Arrays.equals(stored.root(), t.root().toByteArray())) {
            return "the partition file stores root " + Hex.encode(stored.root()) + " beside a transcript whose root is " + t.root().hex();
        }
        List<Digest> outs = t.header().outputs();
        if (stored.outputs().size() != outs.size()) {
            return "the partition file stores " + stored.outputs().size() + " output tensors beside a transcript with " + outs.size();
        }
        for (int i = 0; i < outs.size(); i++) {
            if (!java.util.Arrays.equals(stored.outputs().get(i), outs.get(i).toByteArray())) {
                return "the output tensor " + i + " stored beside the transcript (digest " + Hex.encode(stored.outputs().get(i))
                        + ") is not the transcript's output " + outs.get(i).hex();
            }
        }
        return null;
    }

    /** A failure on the verifier's side (its model, its own rows): the verification fails, no row is judged. */
    private static final class VerifierFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        VerifierFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The verifier's model for one task, loaded on first use (profile applied first), closed at the end. */
    private static final class Reexecutor implements AutoCloseable {
        private final ProveSettings s;
        private final JobDir dir;
        private Model model;
        private Verifier verifier;

        /** {@code dir}: the job's directory, whose Hadoop configuration fetches a model on a Hadoop file system. */
        Reexecutor(ProveSettings s, JobDir dir) {
            this.s = s;
            this.dir = dir;
        }

        VerificationReport verify(Transcript t, List<WitnessTensor> inputs) {
            if (verifier == null) {
                try {
                    ModelSource here = s.model().local(dir.configuration()); // this machine's copy of a model on a Hadoop file system
                    DeterminismProfile profile = EngineSupport.of(here.engine()).apply(s.intraOpThreads(), s.interOpThreads(), s.seed());
                    model = here.load();
                    Verifier v = new Verifier(model, profile);
                    try {
                        s.model().check(v.modelId(), "the verifier's model, as loaded"); // pinned: the verifier's own model must be the pinned one
                    } catch (RuntimeException e) {
                        v.close();
                        throw e;
                    }
                    verifier = v;
                } catch (IOException | RuntimeException e) {
                    throw new VerifierFailure("cannot load the verifier's model " + s.model().path() + ": " + e.getMessage(), e);
                }
            }
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDList x;
                try {
                    x = TensorColumns.toNDList(inputs, s.inputColumns(), m);
                } catch (RuntimeException e) {
                    throw new VerifierFailure("the verifier's own input is not one its model takes: " + e.getMessage(), e);
                }
                return verifier.verify(t, x);
            }
        }

        @Override
        public void close() {
            try {
                if (verifier != null) {
                    verifier.close();
                }
            } finally {
                if (model != null) {
                    model.close();
                }
            }
        }
    }

    /** For callers holding a hex job root. */
    public Report verify(Dataset<Row> input, String jobRootHex, long anchoredCount, Sample sample) {
        return verify(input, Digest.of(Hex.decode(jobRootHex)), anchoredCount, sample);
    }
}
