package dev.opg.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.chain.BatchRoots;
import dev.opg.chain.ChainConfig;
import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.cli.Opg;
import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.io.FileTrees;
import dev.opg.core.merkle.MerkleProofs;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * The job directory on a real HDFS: a MiniDFSCluster (a NameNode and one DataNode in this JVM,
 * storage under {@code target/}) beside a real Spark, PyTorch MLP, MNIST digits and anvil. Every
 * file of the job is written and read through Hadoop's HDFS client; nothing is mocked.
 */
class HdfsJobTest {
    static final int ROWS = 40;
    static MiniDFSCluster cluster;
    static FileSystem hdfs;
    static String hdfsRoot;
    static SparkSession spark;
    static java.nio.file.Path model;
    static List<float[]> images;
    static double clusterStartSeconds;

    @TempDir
    static java.nio.file.Path shared;

    @BeforeAll
    static void start() throws Exception {
        java.nio.file.Path base = java.nio.file.Path.of("target", "minidfs").toAbsolutePath();
        FileTrees.delete(base);
        long t0 = System.nanoTime();
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
        cluster = new MiniDFSCluster.Builder(conf, base.toFile()).numDataNodes(1).storagesPerDatanode(1).format(true).build();
        cluster.waitActive();
        clusterStartSeconds = (System.nanoTime() - t0) / 1e9;
        hdfs = cluster.getFileSystem();
        hdfsRoot = hdfs.getUri().toString(); // hdfs://localhost:PORT
        spark = Fixtures.spark();
        // what the driver's Hadoop configuration says travels to the executors with the job directory
        spark.sparkContext().hadoopConfiguration().set("dfs.replication", "1");
        model = Fixtures.mlp(shared.resolve("mlp"));
        images = Fixtures.digits(ROWS / 10);
        System.out.printf("MiniDFSCluster at %s started in %.1f s%n", hdfsRoot, clusterStartSeconds);
    }

    @AfterAll
    static void stop() throws IOException {
        if (spark != null) {
            spark.stop();
        }
        if (cluster != null) {
            cluster.shutdown(true);
        }
    }

    static SparkProver prover(String dir) {
        return SparkProver.builder().model(model).keyColumn("id").input("x", 1, Fixtures.PIXELS).outputDir(dir).build();
    }

    static Dataset<Row> data(int partitions) {
        return Fixtures.dataset(spark, images, partitions, partitions);
    }

    static long key(int i) {
        return -100L + 7L * i; // Fixtures' keys
    }

    @Test
    void provesIntoHdfsAnchorsChecksARowAndTheVerifierFindsATamperedTranscript(@TempDir java.nio.file.Path tmp) throws Exception {
        String dir = hdfsRoot + "/jobs/same";
        ProvenJob job = prover(dir).prove(data(3));
        ProvenJob local = prover("file:" + tmp.resolve("local")).prove(data(3));

        // the same rows give the same job root wherever the files are
        assertEquals(ROWS, job.rowCount());
        assertEquals(local.jobRoot(), job.jobRoot());
        assertEquals(dir, job.settings().outputDir());
        assertThrows(dev.opg.core.MalformedInputException.class, () -> job.settings().dir(), "an hdfs:// job has no local path");
        for (int p = 0; p < 3; p++) {
            Path f = job.partitionPath(p);
            assertTrue(f.toString().startsWith(hdfsRoot + "/jobs/same/parts/part-0000"), f.toString());
            assertEquals(PartitionFile.read(local.partitionFile(p)).rows().size(), PartitionFile.read(hdfs, f).rows().size());
        }
        assertTrue(hdfs.getFileStatus(new Path(dir, "job.json")).isFile());
        assertEquals(List.of(), names(dir, n -> n.endsWith(".tmp") || n.endsWith(".crc")), "only committed files remain");
        assertTrue(job.rows().collectAsList().stream().allMatch(r -> r.<String>getAs("transcript_file").startsWith(dir + "/parts/")));
        assertFalse(Files.exists(java.nio.file.Path.of("hdfs:")), "nothing went to a local directory named after the URI");

        Digest root = job.jobRoot().root();
        long victim = key(17);
        try (AnvilNode node = AnvilNode.start();
                TransactionSender sender = TransactionSender.connect(ChainConfig.of(node.rpcUrl()),
                        Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(0)))) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(sender);
            ProvenJob.JobAnchor a = job.anchor(client);
            assertEquals(ROWS, a.receipts());
            assertEquals(3, names(dir, JobFiles::isReceiptsName).size(), "the executors wrote the receipts on HDFS");

            // one row's receipt, read from HDFS: its inclusion proof leads from the transcript's root to the anchored root
            String line = receiptLine(dir, KeyBytes.ofLong(key(5)));
            JobFiles.RowReceipt rc = JobFiles.RowReceipt.parse(line);
            assertTrue(MerkleProofs.verifyInclusion(rc.proof().leafIndex(), rc.proof().treeSize(), BatchRoots.leafHash(rc.root()),
                    rc.proof().path(), root));
            assertEquals(5, rc.proof().leafIndex(), "key order: the sixth smallest key");

            // the row out of HDFS into local files, checked on chain by the opg command
            java.nio.file.Path t = JobFiles.exportRow(dir, spark.sparkContext().hadoopConfiguration(), String.valueOf(key(5)),
                    tmp.resolve("row"));
            assertEquals(rc.root(), TranscriptCodec.decode(Files.readAllBytes(t)).root());
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            int code = Opg.run(new PrintStream(o, true, StandardCharsets.UTF_8), System.err, "check-anchor", t.toString(), "--rpc",
                    node.rpcUrl(), "--contract", client.address(), "--submitter", client.submitter());
            assertEquals(0, code, o.toString(StandardCharsets.UTF_8));
            assertTrue(o.toString(StandardCharsets.UTF_8).contains("ANCHORED"));
            assertEquals(t.getFileName(), job.exportRow(key(5), tmp.resolve("row2")).getFileName());
        }

        // the verification job reads the prover's HDFS directory: the honest job is VALID row for row
        JobVerifier verifier = new JobVerifier(prover(dir).settings());
        JobVerifier.Report honest = verifier.verify(data(2), root, ROWS, Sample.all());
        assertTrue(honest.allValid(), honest.summary() + " " + honest.findings());

        // the prover rewrites one row's transcript on HDFS after anchoring (the file's hash recomputed)
        rewriteRow(dir, KeyBytes.ofLong(victim), SparkJobTest::tamperStep);
        JobVerifier.Report r = verifier.verify(data(2), root, ROWS, Sample.all());
        assertEquals(1, r.invalid(), r.findings().toString());
        assertEquals(ROWS - 1, r.valid());
        assertEquals(String.valueOf(victim), r.findings().get(0).key());
        assertTrue(r.findings().get(0).detail().contains("not under the anchored job root"), r.findings().get(0).detail());
    }

    @Test
    void aKilledTaskAndADeletedPartitionOnHdfsAreReprovedAloneAndTemporaryFilesNeverCount() throws Exception {
        String dir = hdfsRoot + "/jobs/rerun";
        Dataset<Row> d = data(4);
        // partition 1's first attempt dies after 3 rows, leaving a partial file on HDFS; Spark retries it
        spark.sparkContext().setLocalProperty(PartitionProver.FAIL_AFTER_ROWS, "1:3");
        ProvenJob first;
        try {
            first = prover(dir).prove(d);
        } finally {
            spark.sparkContext().setLocalProperty(PartitionProver.FAIL_AFTER_ROWS, null);
        }
        assertEquals(ROWS, first.rowCount());
        assertEquals(List.of(), names(dir, n -> n.endsWith(".tmp")), "the dead attempt's temporary file is removed");
        Digest root = first.jobRoot().root();

        Map<Integer, Long> mtimes = new HashMap<>();
        for (int p = 0; p < 4; p++) {
            mtimes.put(p, hdfs.getFileStatus(first.partitionPath(p)).getModificationTime());
        }
        // partition 2's files are lost; beside them, what dead tasks left: a complete file that was never renamed, and half of one
        Path gone = first.partitionPath(2);
        byte[] bytes = readAll(gone);
        int goneRows = PartitionFile.read(hdfs, gone).rows().size();
        assertTrue(hdfs.delete(gone, false));
        Path whole = new Path(gone.getParent(), ".part-00002.opgpart.0-9001.tmp");
        Path half = new Path(gone.getParent(), ".part-00002.opgpart.1-9002.tmp");
        write(whole, bytes);
        write(half, Arrays.copyOf(bytes, bytes.length / 2));

        // the verifier counts partition 2's rows as missing: a temporary file is never a committed one
        JobVerifier.Report m = new JobVerifier(prover(dir).settings()).verify(d, root, ROWS, Sample.all());
        assertEquals(goneRows, m.missing(), m.summary());
        assertEquals(0, m.valid());

        ProvenJob again = prover(dir).prove(d);
        assertEquals(goneRows, again.rowsProven(), "only the deleted partition is proven again");
        assertEquals(ROWS - goneRows, again.rowsReused());
        assertEquals(3, again.partitionsUntouched());
        for (int p : new int[] {0, 1, 3}) {
            assertEquals(mtimes.get(p), hdfs.getFileStatus(again.partitionPath(p)).getModificationTime(), "partition " + p + " was rewritten");
        }
        assertEquals(List.of(), names(dir, n -> n.endsWith(".tmp")), "the leftover temporary files are removed");
        assertEquals(root, again.jobRoot().root());
        assertNotNull(PartitionFile.validTrailer(hdfs, gone));
    }

    @Test
    void aHostileReceiptLineOrPartitionLengthIsRefusedBeforeItIsHeldInMemory() throws Exception {
        Path dir = new Path(hdfsRoot + "/hostile");
        Path receipts = new Path(dir, "part-00000.receipts.jsonl");
        byte[] longLine = new byte[JobFiles.MAX_RECEIPT_LINE + 10];
        Arrays.fill(longLine, (byte) 'x');
        write(receipts, longLine);
        try (JobFiles.Lines lines = new JobFiles.Lines(hdfs.open(receipts), receipts.toString())) {
            var e = assertThrows(LimitExceededException.class, lines::next);
            assertTrue(e.getMessage().contains("longer than " + JobFiles.MAX_RECEIPT_LINE), e.getMessage());
        }

        // a partition file whose first row claims a 60 KB key in a file of a few hundred bytes
        Path f = PartitionFile.name(dir, 0);
        try (PartitionFile.Writer w = new PartitionFile.Writer(hdfs.create(f, true))) {
            w.write(PartitionFileTest.row(1, null));
            w.finish(PartitionFileTest.trailer(1));
        }
        byte[] b = readAll(f);
        b[PartitionFile.MAGIC.length + 1 + 1 + 2] = (byte) 0xf0; // key length 0x0000f008
        write(f, b);
        var e = assertThrows(LimitExceededException.class, () -> PartitionFile.read(hdfs, f));
        assertTrue(e.getMessage().contains("runs past the end of the file"), e.getMessage());
    }

    @Test
    void aCommitReplacesTheCommittedFileInOneRenameAndARefusedRenameIsAnError(@TempDir java.nio.file.Path tmp) throws Exception {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        java.nio.file.Path odd = tmp.resolve("a b:c");
        for (String root : List.of(hdfsRoot + "/commit", "file:" + odd)) { // a Hadoop path string is not %-escaped
            JobDir d = JobDir.of(root, conf);
            Path target = d.part("part-00000.opgpart");
            for (String content : List.of("old", "new")) {
                Path t = JobDir.tmp(target, "t");
                try (OutputStream out = d.create(t)) {
                    out.write(content.getBytes(StandardCharsets.UTF_8));
                }
                d.commit(t, target);
                assertFalse(d.fs().exists(t), root);
                try (InputStream in = d.fs().open(target)) {
                    assertEquals(content, new String(in.readAllBytes(), StandardCharsets.UTF_8), root);
                }
            }
            // a rename the file system refuses (the temporary file is gone) is an exception, and the committed file stays
            assertThrows(IOException.class, () -> d.commit(JobDir.tmp(target, "gone"), target), root);
            assertTrue(d.fs().getFileStatus(target).isFile());
        }
        assertTrue(Files.isRegularFile(odd.resolve("parts/part-00000.opgpart")), "a file: URI is the local path, raw (no .crc files)");
        assertEquals(List.of("part-00000.opgpart"), Files.list(odd.resolve("parts")).map(f -> f.getFileName().toString()).toList());

        // a local Path is a file: URI; a path without a scheme is resolved against fs.defaultFS (file: here, as in Spark)
        ProveSettings local = SparkProver.builder().model(model).keyColumn("id").input("x").outputDir(odd).build().settings();
        assertEquals("file:" + odd, local.outputDir());
        assertEquals(odd, local.dir());
        assertEquals("file:" + odd, JobDir.of(odd.toString(), conf).uri());
        assertEquals(hdfsRoot + "/x", JobDir.of(hdfsRoot + "/x/", conf).uri());
        assertThrows(dev.opg.core.MalformedInputException.class, () -> JobDir.of("nosuchscheme://h/x", conf));
    }

    /** Names of files in the job's {@code parts/} that {@code accept}. */
    static List<String> names(String dir, java.util.function.Predicate<String> accept) throws IOException {
        List<String> out = new ArrayList<>();
        for (FileStatus s : hdfs.listStatus(new Path(dir, "parts"))) {
            if (accept.test(s.getPath().getName())) {
                out.add(s.getPath().getName());
            }
        }
        return out;
    }

    static String receiptLine(String dir, byte[] key) throws IOException {
        for (FileStatus s : hdfs.listStatus(new Path(dir, "parts"))) {
            if (JobFiles.isReceiptsName(s.getPath().getName())) {
                for (String line : new String(readAll(s.getPath()), StandardCharsets.UTF_8).split("\n")) {
                    if (Arrays.equals(JobFiles.RowReceipt.parse(line).keyBytes(), key)) {
                        return line;
                    }
                }
            }
        }
        throw new AssertionError("no receipt for that key");
    }

    static byte[] readAll(Path f) throws IOException {
        try (InputStream in = hdfs.open(f)) {
            return in.readAllBytes();
        }
    }

    /**
     * A model on HDFS: each machine proves from its own copy of the model's current version (the
     * driver too, for the engine the settings name), with the job root of the same model read from
     * a local directory; a changed model on HDFS is fetched again and proves something else, and a
     * job pinned to the first model's id refuses it; a URI with nothing at it is refused.
     */
    @Test
    void aModelOnHdfsIsFetchedToEachMachineAndFetchedAgainWhenItChanges(@TempDir java.nio.file.Path tmp) throws Exception {
        System.setProperty(ModelCache.DIR_PROPERTY, tmp.resolve("cache").toString());
        try {
            Path remote = new Path(hdfsRoot + "/models/mlp");
            hdfs.copyFromLocalFile(false, true, new Path(model.toUri()), remote);
            ModelSource onHdfs = new ModelSource(remote.toString());
            assertTrue(onHdfs.onHadoop());
            assertFalse(ModelSource.of(model).onHadoop());
            ProvenJob fromHdfs = SparkProver.builder().model(onHdfs).keyColumn("id").input("x", 1, Fixtures.PIXELS)
                    .outputDir("file:" + tmp.resolve("a")).build().prove(data(2));
            ProvenJob fromLocal = prover("file:" + tmp.resolve("b")).prove(data(2));
            assertEquals(fromLocal.jobRoot(), fromHdfs.jobRoot());
            assertEquals(fromLocal.modelId(), fromHdfs.modelId());
            java.nio.file.Path copy = ModelCache.fetched(remote.toString()).orElseThrow();
            assertTrue(copy.startsWith(tmp.resolve("cache")), copy.toString());
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(tmp.resolve("cache"))), "the cache is its user's alone");
            assertEquals(ModelSource.of(model).filesDigest(), ModelSource.of(copy).filesDigest(), "the copy holds the model's bytes");

            // the model changes on HDFS: a new listing, a new copy, another model, another job root; the old pin refuses it
            Path params;
            try (var files = java.nio.file.Files.list(model)) {
                params = new Path(remote, files.filter(f -> f.toString().endsWith(".params")).findFirst().orElseThrow().getFileName().toString());
            }
            byte[] bytes;
            try (var in = hdfs.open(params)) {
                bytes = in.readAllBytes();
            }
            bytes[bytes.length - 1] ^= 0x40; // the last float of the last layer's bias: a different model that still loads
            try (var out = hdfs.create(params, true)) {
                out.write(bytes);
            }
            ProvenJob changed = SparkProver.builder().model(onHdfs).keyColumn("id").input("x", 1, Fixtures.PIXELS)
                    .outputDir("file:" + tmp.resolve("c")).build().prove(data(2));
            assertNotEquals(copy, ModelCache.fetched(remote.toString()).orElseThrow());
            assertNotEquals(fromHdfs.modelId(), changed.modelId());
            assertNotEquals(fromHdfs.jobRoot(), changed.jobRoot());
            Exception pinned = assertThrows(Exception.class, () -> SparkProver.builder().model(onHdfs.expecting(fromHdfs.modelId()))
                    .keyColumn("id").input("x", 1, Fixtures.PIXELS).outputDir("file:" + tmp.resolve("d")).build().prove(data(2)));
            assertTrue(PinnedModelTest.messages(pinned).contains("pinned to model id " + fromHdfs.modelId()), PinnedModelTest.messages(pinned));

            Exception none = assertThrows(Exception.class, () -> SparkProver.builder().model(new ModelSource(hdfsRoot + "/models/none"))
                    .keyColumn("id").input("x", 1, Fixtures.PIXELS).outputDir("file:" + tmp.resolve("e")).build().prove(data(2)));
            assertTrue(PinnedModelTest.messages(none).contains("there is no model at " + hdfsRoot + "/models/none"),
                    PinnedModelTest.messages(none));
        } finally {
            System.clearProperty(ModelCache.DIR_PROPERTY);
        }
    }

    static void write(Path f, byte[] b) throws IOException {
        try (OutputStream out = hdfs.create(f, true)) {
            out.write(b);
        }
    }

    /** Rewrites, through the HDFS client, the partition file holding {@code key} with that row's transcript changed (hash recomputed). */
    static void rewriteRow(String dir, byte[] key, UnaryOperator<Transcript> change) throws IOException {
        for (FileStatus s : hdfs.listStatus(new Path(dir, "parts"))) {
            if (!PartitionFile.isPartitionFileName(s.getPath().getName())) {
                continue;
            }
            PartitionFile.Contents c = PartitionFile.read(hdfs, s.getPath());
            List<PartitionFile.Row> rows = Fixtures.withChangedRow(c, key, change);
            if (rows != null) {
                try (PartitionFile.Writer w = new PartitionFile.Writer(hdfs.create(s.getPath(), true))) {
                    for (PartitionFile.Row r : rows) {
                        w.write(r);
                    }
                    w.finish(c.trailer());
                }
                assertArrayEquals(key, PartitionFile.read(hdfs, s.getPath()).rows().stream().filter(r -> Arrays.equals(r.key(), key))
                        .findFirst().orElseThrow().key());
                return;
            }
        }
        throw new AssertionError("no row with that key");
    }
}
