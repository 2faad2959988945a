package dev.opg.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opg.chain.AnchorReceipt;
import dev.opg.chain.BatchRoots;
import dev.opg.chain.TranscriptAnchorClient;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.MerkleProofs;
import dev.opg.core.transcript.Transcript;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * A proven job: its committed partition files, the rows as a Dataset read back from them, the job
 * root (spec section 3.15), and the anchor with every row's receipt.
 *
 * <p>The job root is computed from the committed files alone (never from what a task returned),
 * so an anchored root always has every transcript it covers on disk: a task that died
 * mid-partition committed nothing, and its retry's file is the only one read.
 *
 * <p>Every file is read and written on the Hadoop file system of the job directory
 * ({@link ProveSettings#jobPath()}), by the driver and the executors alike.
 */
public final class ProvenJob {
    private static final Logger LOG = LoggerFactory.getLogger(ProvenJob.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The job root: over {@code rows} row roots in key order. */
    public record JobRoot(Digest root, long rows) {}

    /**
     * The anchor of a job root.
     *
     * @param receipt the chain's receipt (count = rows); {@code fresh} false when an earlier run had anchored it
     * @param chainId the chain
     * @param contract the TranscriptAnchor contract
     * @param receipts the number of row receipts written
     */
    public record JobAnchor(AnchorReceipt receipt, long chainId, String contract, long receipts) {}

    private final transient SparkSession spark;
    private final ProveSettings settings;
    private final JobDir dir;
    private final DataType keyType;
    private final int partitions;
    private final List<PartitionProver.Summary> summaries;
    private final String modelId;
    private final double seconds;
    private JavaRDD<Row> sorted;
    private long[] offsets;
    private List<JobTree.Node> covers;
    private JobRoot jobRoot;

    ProvenJob(SparkSession spark, ProveSettings settings, JobDir dir, DataType keyType, int partitions,
            List<PartitionProver.Summary> summaries, String modelId, double seconds) {
        this.spark = spark;
        this.settings = settings;
        this.dir = dir;
        this.keyType = keyType;
        this.partitions = partitions;
        this.summaries = List.copyOf(summaries);
        this.modelId = modelId;
        this.seconds = seconds;
    }

    public ProveSettings settings() {
        return settings;
    }

    /** The number of partitions (= partition files). */
    public int partitions() {
        return partitions;
    }

    public long rowCount() {
        return summaries.stream().mapToLong(PartitionProver.Summary::rows).sum();
    }

    /** Rows proven by this run. */
    public long rowsProven() {
        return summaries.stream().mapToLong(PartitionProver.Summary::proven).sum();
    }

    /** Rows taken from files an earlier run committed. */
    public long rowsReused() {
        return summaries.stream().mapToLong(PartitionProver.Summary::reused).sum();
    }

    /** Partitions whose committed file this run left untouched. */
    public long partitionsUntouched() {
        return summaries.stream().filter(PartitionProver.Summary::untouched).count();
    }

    /** The model id every executor proved with (hex), or null for a job without rows. */
    public String modelId() {
        return modelId;
    }

    /** Seconds the proving job took. */
    public double seconds() {
        return seconds;
    }

    /** Each partition's executor, host and determinism profile (canonical JSON), by partition. */
    public Map<Integer, String> executorProfiles() {
        Map<Integer, String> m = new java.util.TreeMap<>();
        summaries.forEach(p -> m.put(p.partition(), p.executor() + "@" + p.host() + " " + p.profile()));
        return m;
    }

    /**
     * The partition file of partition {@code p}, for a job directory on the local file system.
     *
     * @throws MalformedInputException for a job directory on another file system; see {@link #partitionPath}
     */
    public Path partitionFile(int p) {
        return PartitionFile.name(settings.partsDir(), p);
    }

    /** The partition file of partition {@code p}, on the job directory's file system. */
    public org.apache.hadoop.fs.Path partitionPath(int p) {
        return PartitionFile.name(dir.parts(), p);
    }

    private List<String> files() {
        List<String> out = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            out.add(partitionPath(p).toString());
        }
        return out;
    }

    /** The schema of {@link #rows()}. */
    public StructType rowsSchema() {
        return new StructType(new StructField[] {
                DataTypes.createStructField(settings.keyColumn(), keyType, false),
                DataTypes.createStructField("outputs", DataTypes.createArrayType(DataTypes.BinaryType, false), false),
                DataTypes.createStructField("root", DataTypes.StringType, false),
                DataTypes.createStructField("partition", DataTypes.IntegerType, false),
                DataTypes.createStructField("row_index", DataTypes.IntegerType, false),
                DataTypes.createStructField("transcript_file", DataTypes.StringType, false),
                DataTypes.createStructField("witness_file", DataTypes.StringType, true)});
    }

    /**
     * The proven rows, read lazily from the committed partition files (nothing is proven again):
     * the key, the model outputs (each a tensor in its file form; {@link TensorColumns#floats}
     * reads one), the transcript root (hex), and where the transcript and witness are (partition
     * file as a Hadoop URI, e.g. {@code hdfs://nn:8020/jobs/42/parts/part-00003.opgpart}, and row
     * index in it; the witness is in the same file, null when none was recorded).
     */
    public Dataset<Row> rows() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        DataType kt = keyType;
        JobDir d = dir;
        JavaRDD<Row> rdd = jsc.parallelize(files(), Math.max(1, partitions)).flatMap(f -> {
            List<Row> out = new ArrayList<>();
            int[] i = {0};
            org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(f);
            int part = PartitionFile.Reader.partitionOf(file);
            PartitionFile.scan(d.fs(), file, r -> {
                out.add(RowFactory.create(KeyBytes.decode(r.key(), kt), r.outputs().toArray(new byte[0][]), Hex.encode(r.root()), part,
                        i[0]++, f, r.witness() == null ? null : f));
            });
            return out.iterator();
        });
        return spark.createDataFrame(rdd, rowsSchema());
    }

    // ------------------------------------------------------------------ the job root

    /**
     * The job root (spec section 3.15): computed on the executors from the committed files (each
     * transcript decoded and its root recomputed), the rows sorted by key across the cluster, each
     * sorted partition hashing its own part of the tree; the driver sees a few hashes per partition.
     *
     * @throws MalformedInputException if two rows have the same key, or a committed file is damaged
     */
    public synchronized JobRoot jobRoot() {
        if (jobRoot != null) {
            return jobRoot;
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        StructType leafSchema = new StructType(new StructField[] {
                DataTypes.createStructField("kb", DataTypes.BinaryType, false),
                DataTypes.createStructField("root", DataTypes.BinaryType, false),
                DataTypes.createStructField("part", DataTypes.IntegerType, false),
                DataTypes.createStructField("idx", DataTypes.IntegerType, false)});
        JobDir d = dir;
        JavaRDD<Row> leaves = jsc.parallelize(files(), Math.max(1, partitions)).flatMap(f -> {
            List<Row> out = new ArrayList<>();
            int[] i = {0};
            org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(f);
            int part = PartitionFile.Reader.partitionOf(file);
            PartitionFile.scan(d.fs(), file, r -> {
                Transcript t = TranscriptBytes.decode(r.transcript()); // the root as the transcript gives it, not as stored
                if (!Arrays.equals(t.root().toByteArray(), r.root())) {
                    throw new MalformedInputException(f + ": row " + i[0] + " stores root " + Hex.encode(r.root())
                            + " but its transcript's root is " + t.root().hex());
                }
                out.add(RowFactory.create(r.key(), r.root(), part, i[0]++));
            });
            return out.iterator();
        });
        sorted = spark.createDataFrame(leaves, leafSchema).orderBy("kb").javaRDD().persist(StorageLevel.MEMORY_AND_DISK());

        // pass 1: counts, first and last keys; keys strictly increasing inside each partition
        List<Tuple2<Integer, byte[][]>> ends = sorted.mapPartitionsWithIndex((pi, it) -> {
            byte[] first = null;
            byte[] prev = null;
            long n = 0;
            while (it.hasNext()) {
                byte[] kb = (byte[]) it.next().get(0);
                if (prev != null && KeyBytes.compare(prev, kb) >= 0) {
                    throw new MalformedInputException(KeyBytes.compare(prev, kb) == 0
                            ? "two rows have the key bytes " + Hex.encode(kb) + "; a job's keys must be unique (spec section 3.15)"
                            : "the rows are not in key order after sorting (at " + Hex.encode(kb) + ")");
                }
                if (first == null) {
                    first = kb;
                }
                prev = kb;
                n++;
            }
            byte[][] e = {first, prev, java.nio.ByteBuffer.allocate(8).putLong(n).array()};
            return List.of(new Tuple2<>(pi, e)).iterator();
        }, true).collect();
        int sp = ends.size();
        offsets = new long[sp + 1];
        byte[] last = null;
        for (Tuple2<Integer, byte[][]> e : ends) {
            long n = java.nio.ByteBuffer.wrap(e._2()[2]).getLong();
            offsets[e._1() + 1] = n;
            if (n > 0) {
                if (last != null && KeyBytes.compare(last, e._2()[0]) >= 0) {
                    throw new MalformedInputException("two rows have the key bytes " + Hex.encode(e._2()[0])
                            + " (or the sort is not in key order); a job's keys must be unique (spec section 3.15)");
                }
                last = e._2()[1];
            }
        }
        for (int i = 0; i < sp; i++) {
            offsets[i + 1] += offsets[i];
        }
        long n = offsets[sp];

        // pass 2: each sorted partition hashes the maximal nodes inside its range
        long[] off = offsets;
        covers = sorted.mapPartitionsWithIndex((pi, it) -> {
            long a = off[pi];
            long b = off[pi + 1];
            List<Digest> leafHashes = new ArrayList<>((int) (b - a));
            it.forEachRemaining(r -> leafHashes.add(BatchRoots.leafHash(Digest.of((byte[]) r.get(1)))));
            List<JobTree.Node> out = new ArrayList<>();
            for (long[] c : JobTree.cover(off[off.length - 1], a, b)) {
                out.add(new JobTree.Node(c[0], c[1], JobTree.hashInside(leafHashes, a, c[0], c[1]).toByteArray()));
            }
            return out.iterator();
        }, true).collect();
        if (n == 0) {
            throw new MalformedInputException("the job has no rows; there is no job root to compute or anchor");
        }
        jobRoot = new JobRoot(JobTree.root(n, covers), n);
        writeManifest();
        LOG.info("job root {} over {} rows ({} sorted partitions)", jobRoot.root().hex(), n, sp);
        return jobRoot;
    }

    // ------------------------------------------------------------------ anchoring

    /**
     * Anchors the job root once, as {@code client}'s account, with the row count as the batch
     * count ({@code anchorBatch(jobRoot, rows)}), then writes every row's receipt beside its
     * transcript ({@code parts/part-NNNNN.receipts.jsonl}, one {@code opg-anchor-receipt} per line,
     * in the partition file's row order; written by the executors on the job directory's file
     * system, each under a temporary name and renamed into place). Re-running finds the root
     * already anchored by this account (on chain) and sends nothing.
     *
     * @throws OpgException if this account anchored the same root with another count
     */
    public JobAnchor anchor(TranscriptAnchorClient client) {
        JobRoot j = jobRoot();
        Optional<AnchorReceipt> existing = client.findBatchAnchor(j.root());
        AnchorReceipt a;
        if (existing.isPresent()) {
            if (existing.get().count() != j.rows()) {
                throw new OpgException("job root " + j.root().hex() + " is already anchored by " + client.submitter() + " over "
                        + existing.get().count() + " rows; this job has " + j.rows());
            }
            a = existing.get();
            LOG.info("job root {} was already anchored by {} in block {}; sending nothing", j.root().hex(), a.submitter(), a.blockNumber());
        } else {
            a = client.anchorBatchRoot(j.root(), j.rows());
            LOG.info("anchored job root {} over {} rows in block {} (tx {}, gas {})", j.root().hex(), j.rows(), a.blockNumber(),
                    a.transactionHash(), a.gasUsed());
        }
        long written = writeReceipts(a, client.chainId(), client.address());
        JobAnchor ja = new JobAnchor(a, client.chainId(), client.address(), written);
        this.anchor = ja;
        writeManifest();
        return ja;
    }

    private JobAnchor anchor;

    /** Routes receipt lines to the partition file they belong to (key = {@code partition << 32 | row index}). */
    static final class FilePartitioner extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int n;

        FilePartitioner(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n;
        }

        @Override
        public int getPartition(Object key) {
            return (int) (((Long) key) >>> 32);
        }
    }

    private long writeReceipts(AnchorReceipt a, long chainId, String contract) {
        long n = jobRoot.rows();
        Map<Long, JobTree.Node> known = JobTree.index(covers);
        Map<Integer, List<JobTree.Node>> ext = new HashMap<>();
        for (int i = 0; i + 1 < offsets.length; i++) {
            ext.put(i, JobTree.externals(n, offsets[i], offsets[i + 1], known));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<Map<Integer, List<JobTree.Node>>> bext = jsc.broadcast(ext);
        long[] off = offsets;
        byte[] root = jobRoot.root().toByteArray();
        DataType kt = keyType;
        ReceiptHead head = new ReceiptHead(chainId, contract, a.submitter(), a.transactionHash(), a.blockNumber());
        JavaPairRDD<Long, String> lines = sorted.mapPartitionsWithIndex((pi, it) -> {
            List<Row> rows = new ArrayList<>();
            it.forEachRemaining(rows::add);
            List<Digest> leafHashes = new ArrayList<>(rows.size());
            rows.forEach(r -> leafHashes.add(BatchRoots.leafHash(Digest.of((byte[]) r.get(1)))));
            JobTree.Prover prover = new JobTree.Prover(n, off[pi], leafHashes, bext.value().get(pi));
            Digest j = Digest.of(root);
            List<Tuple2<Long, String>> out = new ArrayList<>(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                InclusionProof p = prover.proof(off[pi] + i);
                if (!MerkleProofs.verifyInclusion(p.leafIndex(), p.treeSize(), leafHashes.get(i), p.path(), j)) {
                    throw new OpgException("the inclusion proof of row " + (off[pi] + i) + " does not lead to the job root; "
                            + "the committed files changed since the job root was computed");
                }
                String line = head.receipt(Digest.of((byte[]) r.get(1)), Digest.of(root), p, (byte[]) r.get(0), kt).toString();
                out.add(new Tuple2<>(((long) r.getInt(2) << 32) | r.getInt(3), line));
            }
            return out.iterator();
        }, true).mapToPair(t -> t);
        JobDir d = dir;
        lines.repartitionAndSortWithinPartitions(new FilePartitioner(partitions)).foreachPartition(it -> {
            int part = TaskContext.getPartitionId();
            org.apache.hadoop.fs.Path target = JobFiles.receipts(d.parts(), part);
            org.apache.hadoop.fs.Path tmp = JobDir.tmp(target, String.valueOf(TaskContext.get().taskAttemptId()));
            try {
                try (FSDataOutputStream raw = d.create(tmp);
                        BufferedWriter w = new BufferedWriter(new OutputStreamWriter(raw, StandardCharsets.UTF_8), 1 << 16)) {
                    while (it.hasNext()) {
                        w.write(it.next()._2());
                        w.write('\n');
                    }
                    w.flush();
                    raw.hsync();
                }
                d.commit(tmp, target);
            } catch (IOException | RuntimeException e) {
                try {
                    d.deleteIfExists(tmp);
                } catch (IOException x) {
                    e.addSuppressed(x);
                }
                throw e;
            }
        });
        bext.destroy();
        return n;
    }

    /** What every row receipt of one anchor shares. */
    record ReceiptHead(long chainId, String contract, String submitter, String transactionHash, long blockNumber) implements Serializable {
        /** One row's receipt: the {@code opg-anchor-receipt} fields {@code opg check-anchor} reads, and the row's key. */
        ObjectNode receipt(Digest rowRoot, Digest jobRoot, InclusionProof p, byte[] key, DataType keyType) {
            ObjectNode o = JSON.createObjectNode();
            o.put("format", "opg-anchor-receipt");
            o.put("root", rowRoot.hex());
            o.put("chainId", chainId);
            o.put("contract", contract);
            o.put("submitter", submitter);
            o.put("transactionHash", transactionHash);
            o.put("blockNumber", blockNumber);
            o.put("batchRoot", jobRoot.hex());
            o.put("leafIndex", p.leafIndex());
            o.put("treeSize", p.treeSize());
            ArrayNode path = o.putArray("path");
            p.path().forEach(d -> path.add(d.hex()));
            o.put("key", KeyBytes.display(key, keyType));
            o.put("keyBytes", Hex.encode(key));
            return o;
        }
    }

    static void removeReceipts(JobDir dir) {
        try {
            for (FileStatus f : dir.list(dir.parts(), JobFiles::isReceiptsName)) {
                dir.deleteIfExists(f.getPath());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove stale receipts in " + dir.parts() + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ one row, for the opg command

    /**
     * Writes the transcript of the row with key {@code key} to {@code dir/NAME.json} and its anchor
     * receipt to {@code dir/NAME.json.anchor.json}, where {@code opg check-anchor dir/NAME.json}
     * finds it; returns the transcript's path. Reads the receipts and one partition file on the
     * driver, from the job directory's file system ({@code hdfs://} too); {@code dir} is local.
     *
     * @throws MalformedInputException if no row has that key, or the job has not been anchored
     */
    public Path exportRow(Object key, Path dir) throws IOException {
        return JobFiles.exportRow(this.dir, KeyBytes.of(key, keyType, settings.keyColumn()), keyType, dir);
    }

    // ------------------------------------------------------------------ job.json

    /** The job's manifest ({@code job.json}): settings, partitions with their executors and profiles, job root and anchor. */
    synchronized void writeManifest() {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", "opg-spark-job");
        o.put("version", 1);
        o.put("model", settings.model().path());
        o.put("modelId", modelId);
        o.put("keyColumn", settings.keyColumn());
        o.put("keyType", keyType.typeName());
        ArrayNode in = o.putArray("inputColumns");
        settings.inputColumns().forEach(in::add);
        o.put("settings", settings.digest());
        o.put("mode", settings.mode());
        o.put("granularity", settings.granularity());
        o.put("witness", settings.witness());
        o.put("rows", rowCount());
        ArrayNode ps = o.putArray("partitions");
        for (PartitionProver.Summary s : summaries) {
            ObjectNode p = ps.addObject();
            p.put("partition", s.partition());
            p.put("file", PartitionFile.fileName(s.partition()));
            p.put("rows", s.rows());
            p.put("proven", s.proven());
            p.put("reused", s.reused());
            p.put("executor", s.executor());
            p.put("host", s.host());
            if (s.profile() != null) {
                try {
                    p.set("profile", JSON.readTree(s.profile()));
                } catch (IOException e) {
                    p.put("profile", s.profile());
                }
            }
        }
        if (jobRoot != null) {
            o.put("jobRoot", jobRoot.root().hex());
        }
        if (anchor != null) {
            ObjectNode a = o.putObject("anchor");
            a.put("chainId", anchor.chainId());
            a.put("contract", anchor.contract());
            a.put("submitter", anchor.receipt().submitter());
            a.put("transactionHash", anchor.receipt().transactionHash());
            a.put("blockNumber", anchor.receipt().blockNumber());
            a.put("count", anchor.receipt().count());
        }
        org.apache.hadoop.fs.Path f = new org.apache.hadoop.fs.Path(dir.path(), "job.json");
        org.apache.hadoop.fs.Path tmp = JobDir.tmp(f, "driver");
        try {
            try (FSDataOutputStream out = dir.create(tmp)) {
                out.write((JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n").getBytes(StandardCharsets.UTF_8));
                out.hsync();
            }
            dir.commit(tmp, f);
        } catch (IOException e) {
            try {
                dir.deleteIfExists(tmp);
            } catch (IOException x) {
                e.addSuppressed(x);
            }
            throw new UncheckedIOException("cannot write " + f + ": " + e.getMessage(), e);
        }
    }

    /** Releases the cached sorted rows. */
    public void unpersist() {
        if (sorted != null) {
            sorted.unpersist(false);
        }
    }
}
