package dev.opg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.chain.BatchRoots;
import dev.opg.chain.ChainConfig;
import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.cli.Opg;
import dev.opg.core.Digest;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/** Real Spark (local[2]), a real PyTorch MLP, real MNIST digits, real anvil: nothing mocked. */
class SparkJobTest {
    static SparkSession spark;
    static Path model;
    static List<float[]> images;
    static final int ROWS = 60;

    @TempDir
    static Path shared;

    @BeforeAll
    static void start() throws Exception {
        spark = Fixtures.spark();
        model = Fixtures.mlp(shared.resolve("mlp"));
        images = Fixtures.digits(ROWS / 10);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    static SparkProver prover(Path out) {
        return SparkProver.builder().model(model).keyColumn("id").input("x", 1, Fixtures.PIXELS).outputDir(out).build();
    }

    static Dataset<Row> data(int partitions) {
        return Fixtures.dataset(spark, images, partitions, partitions);
    }

    @Test
    void sameJobRootAtAnyPartitionCountAndOnEveryRun(@TempDir Path tmp) throws Exception {
        Map<Integer, Digest> roots = new HashMap<>();
        for (int p : new int[] {1, 2, 7}) {
            ProvenJob job = prover(tmp.resolve("p" + p)).prove(data(p));
            assertEquals(p, job.partitions());
            assertEquals(ROWS, job.rowCount());
            assertEquals(ROWS, job.rowsProven());
            roots.put(p, job.jobRoot().root());
            assertEquals(ROWS, job.jobRoot().rows());
        }
        assertEquals(roots.get(1), roots.get(2));
        assertEquals(roots.get(1), roots.get(7));

        // the job root is the RFC 9162 root over the transcript roots in key order (spec 3.15), recomputed here from the rows
        ProvenJob again = prover(tmp.resolve("p2")).prove(data(2));
        List<Row> rows = new ArrayList<>(again.rows().orderBy("id").collectAsList());
        List<Digest> leaves = rows.stream().map(r -> Digest.fromHex(r.<String>getAs("root"))).toList();
        assertEquals(BatchRoots.batchRoot(leaves), roots.get(2));
        assertEquals(-100L, (long) rows.get(0).<Long>getAs("id"));

        // the re-run over the same directory proved nothing and left every file as it was
        assertEquals(0, again.rowsProven());
        assertEquals(ROWS, again.rowsReused());
        assertEquals(2, again.partitionsUntouched());
        assertEquals(roots.get(2), again.jobRoot().root());

        // the outputs in the rows are the model's: 10 logits each
        assertEquals(10, TensorColumns.floats(rows.get(0).<scala.collection.Seq<byte[]>>getAs("outputs").apply(0)).length);

        // each executor's profile is recorded in the manifest
        var manifest = new ObjectMapper().readTree(tmp.resolve("p7/job.json").toFile());
        assertEquals(7, manifest.path("partitions").size());
        assertEquals("PyTorch", manifest.path("partitions").get(0).path("profile").path("engine").asText());
        assertEquals(roots.get(7).hex(), manifest.path("jobRoot").asText());
    }

    /**
     * What a partition file stores for a row is the transcript the model gives on that row outside
     * Spark: the same root (the root of its canonical JSON), and the canonical JSON byte for byte
     * when exported; the outputs stored beside it are the model's outputs.
     */
    @Test
    void eachStoredTranscriptIsTheModelsOwnOnThatRowAndExportsAsItsCanonicalJson(@TempDir Path tmp) throws Exception {
        ProvenJob job = prover(tmp.resolve("job")).prove(data(3));
        dev.opg.core.profile.DeterminismProfile profile = dev.opg.core.profile.PyTorchProfiles.apply(1, 1, 0);
        int rows = 0;
        try (dev.opg.core.model.LoadedModel lm = dev.opg.core.model.LoadedModel.open(model, profile, job.settings().recordingOptions())) {
            for (int p = 0; p < job.partitions(); p++) {
                for (PartitionFile.Row r : PartitionFile.read(job.partitionFile(p)).rows()) {
                    int i = (int) (((Long) KeyBytes.decode(r.key(), org.apache.spark.sql.types.DataTypes.LongType) + 100) / 7);
                    try (ai.djl.ndarray.NDManager m = lm.model().getNDManager().newSubManager()) {
                        var x = new ai.djl.ndarray.NDList(dev.opg.core.witness.WitnessTensor.ofFloat32(images.get(i), 1, Fixtures.PIXELS)
                                .toNDArray(m));
                        var direct = lm.verifiable().predict(x);
                        byte[] json = dev.opg.core.transcript.TranscriptCodec.encode(direct.transcript());
                        assertEquals(dev.opg.core.transcript.TranscriptCodec.decode(json).root(), Digest.of(r.root()));
                        assertEquals(direct.transcript(), TranscriptBytes.decode(r.transcript()));
                        org.junit.jupiter.api.Assertions.assertArrayEquals(json, TranscriptBytes.toJson(r.transcript()));
                        org.junit.jupiter.api.Assertions.assertArrayEquals(
                                dev.opg.core.witness.WitnessTensor.of(direct.output().get(0)).encode(), r.outputs().get(0));
                        assertEquals(direct.transcript().header().inputs().get(0), Digest.of(r.inputDigests().get(0)));
                    }
                    rows++;
                }
            }
        }
        assertEquals(ROWS, rows);
    }

    @Test
    void anExecutorLendsItsLoadedModelToLaterTasksButNeverAcrossChangedModelFiles(@TempDir Path tmp) throws Exception {
        ExecutorModels.clear();
        Path m = Files.createDirectories(tmp.resolve("model"));
        for (Path f : Files.list(model).toList()) {
            Files.copy(f, m.resolve(f.getFileName()));
        }
        ProvenJob first = SparkProver.builder().model(m).keyColumn("id").input("x", 1, Fixtures.PIXELS).outputDir(tmp.resolve("a"))
                .build().prove(data(7));
        assertTrue(ExecutorModels.idleCount() >= 1 && ExecutorModels.idleCount() <= 2,
                "7 tasks on 2 threads load at most 2 models: " + ExecutorModels.idleCount());
        Digest before = first.jobRoot().root();

        // the same path, other weights (one byte of the parameter file changed, a valid float still)
        Path params = Files.list(m).filter(f -> f.toString().endsWith(".params")).findFirst().orElseThrow();
        byte[] b = Files.readAllBytes(params);
        b[b.length - 2] ^= 0x01;
        Files.write(params, b);
        ProvenJob second = SparkProver.builder().model(m).keyColumn("id").input("x", 1, Fixtures.PIXELS).outputDir(tmp.resolve("b"))
                .build().prove(data(7));
        String a = first.modelId();
        String c = second.modelId();
        assertTrue(!a.isEmpty() && !a.equals(c), "the changed files were loaded, not the model an earlier task kept: " + a + " " + c);
        assertTrue(!before.equals(second.jobRoot().root()));
        ExecutorModels.clear();
        assertEquals(0, ExecutorModels.idleCount());
    }

    @Test
    void anchorsOnceChecksARowWithTheOpgCommandAndFindsATamperedTranscript(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("job");
        ProvenJob job = prover(out).prove(data(3));
        try (AnvilNode node = AnvilNode.start();
                TransactionSender sender = TransactionSender.connect(ChainConfig.of(node.rpcUrl()),
                        Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(0)))) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(sender);
            ProvenJob.JobAnchor a = job.anchor(client);
            assertTrue(a.receipt().fresh());
            assertEquals(ROWS, a.receipt().count());
            assertEquals(ROWS, a.receipts());
            // anchoring again sends nothing: the root is found on chain
            ProvenJob.JobAnchor again = job.anchor(client);
            assertFalse(again.receipt().fresh());
            assertEquals(a.receipt().blockNumber(), again.receipt().blockNumber());

            // any single row, checked by the opg command through the contract
            Path t = job.exportRow(-100L + 7 * 13, tmp.resolve("export"));
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            int code = Opg.run(new PrintStream(o, true, StandardCharsets.UTF_8), System.err, "check-anchor", t.toString(),
                    "--rpc", node.rpcUrl(), "--contract", client.address(), "--submitter", client.submitter());
            assertEquals(0, code, o.toString(StandardCharsets.UTF_8));
            assertTrue(o.toString(StandardCharsets.UTF_8).contains("ANCHORED"));

            // the verification job re-executes every row: all VALID
            JobVerifier verifier = new JobVerifier(prover(out).settings());
            JobVerifier.Report all = verifier.verify(data(2), job.jobRoot().root(), ROWS, Sample.all());
            assertTrue(all.allValid(), all.summary() + " " + all.findings());
            assertEquals(ROWS, all.checked());

            // the prover rewrites one row's transcript after anchoring (and the file's hash with it)
            long victim = -100L + 7 * 20;
            rewriteRow(out, KeyBytes.ofLong(victim), SparkJobTest::tamperStep);
            JobVerifier.Report r = verifier.verify(data(2), job.jobRoot().root(), ROWS, Sample.all());
            assertFalse(r.allValid());
            assertEquals(1, r.invalid());
            assertEquals(ROWS - 1, r.valid());
            assertEquals(String.valueOf(victim), r.findings().get(0).key());
            assertTrue(r.findings().get(0).detail().contains("not under the anchored job root"), r.findings().get(0).detail());

            // a wrong anchored count, or a different dataset size, is never VALID
            JobVerifier.Report wrongCount = verifier.verify(data(2), job.jobRoot().root(), ROWS + 1, Sample.all());
            assertEquals(0, wrongCount.valid());
        }
    }

    @Test
    void aProverWhoCommitsAFalseTranscriptIsCaughtByReExecution(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("job");
        prover(out).prove(data(2));
        long victim = -100L + 7 * 5;
        // the lie is in the committed file before the job root: it is under the root, so only re-execution finds it
        rewriteRow(out, KeyBytes.ofLong(victim), SparkJobTest::tamperStep);
        ProvenJob job = prover(out).prove(data(2)); // the rewritten file looks intact and is reused
        assertEquals(0, job.rowsProven());
        ProvenJob.JobRoot root = job.jobRoot();
        try (AnvilNode node = AnvilNode.start();
                TransactionSender sender = TransactionSender.connect(ChainConfig.of(node.rpcUrl()),
                        Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(0)))) {
            job.anchor(TranscriptAnchorClient.deploy(sender));
        }
        JobVerifier.Report r = new JobVerifier(prover(out).settings()).verify(data(3), root.root(), ROWS, Sample.all());
        assertEquals(1, r.invalid(), r.findings().toString());
        assertEquals(String.valueOf(victim), r.findings().get(0).key());
        assertTrue(r.findings().get(0).detail().startsWith("INVALID"), r.findings().get(0).detail());

        // a 1-in-2 sample checks about half the rows, says what it proves, and repeats under its seed
        Sample half = new Sample(0.5, 12345);
        JobVerifier.Report s1 = new JobVerifier(prover(out).settings()).verify(data(2), root.root(), ROWS, half);
        JobVerifier.Report s2 = new JobVerifier(prover(out).settings()).verify(data(3), root.root(), ROWS, half);
        assertTrue(s1.checked() > 10 && s1.checked() < 50, "checked " + s1.checked());
        assertEquals(s1.checked(), s2.checked());
        assertEquals(s1.findings(), s2.findings());
        assertTrue(s1.sample().contains("seed 12345"));

        // a partition file withheld: its rows have no committed transcript, counted over the whole dataset
        Path gone = PartitionFile.name(out.resolve("parts"), 0);
        int withheld = PartitionFile.read(gone).rows().size();
        Files.delete(gone);
        JobVerifier.Report m = new JobVerifier(prover(out).settings()).verify(data(2), root.root(), ROWS, Sample.all());
        assertEquals(withheld, m.missing());
        assertFalse(m.allValid());
        assertTrue(m.findings().stream().filter(f -> f.detail().contains("no committed transcript")).count() == withheld,
                m.findings().toString());
    }

    @Test
    void aTaskKilledMidPartitionLeavesNoAnchoredRootWithoutItsTranscripts(@TempDir Path tmp) throws Exception {
        Digest clean = prover(tmp.resolve("clean")).prove(data(3)).jobRoot().root();

        // partition 1's first attempt dies after writing 4 rows; Spark retries it
        Path out = tmp.resolve("crash");
        spark.sparkContext().setLocalProperty(PartitionProver.FAIL_AFTER_ROWS, "1:4");
        ProvenJob job;
        try {
            job = prover(out).prove(data(3));
        } finally {
            spark.sparkContext().setLocalProperty(PartitionProver.FAIL_AFTER_ROWS, null);
        }
        assertEquals(ROWS, job.rowCount());
        try (Stream<Path> s = Files.list(out.resolve("parts"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "the dead attempt's temporary file is removed");
        }
        Digest root = job.jobRoot().root();
        assertEquals(clean, root);
        try (AnvilNode node = AnvilNode.start();
                TransactionSender sender = TransactionSender.connect(ChainConfig.of(node.rpcUrl()),
                        Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(0)))) {
            job.anchor(TranscriptAnchorClient.deploy(sender));
        }
        // every leaf of the anchored root has its transcript committed, and each re-executes VALID
        JobVerifier.Report r = new JobVerifier(prover(out).settings()).verify(data(2), root, ROWS, Sample.all());
        assertTrue(r.allValid(), r.summary() + " " + r.findings());
    }

    @Test
    void aJobThatFailsHalfWayIsResumedWithoutReprovingWhatItCommitted(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("job");
        Dataset<Row> d = data(4);
        spark.sparkContext().setLocalProperty(PartitionProver.FAIL_AFTER_ROWS, "2:3:always");
        try {
            assertThrows(Exception.class, () -> prover(out).prove(d));
        } finally {
            spark.sparkContext().setLocalProperty(PartitionProver.FAIL_AFTER_ROWS, null);
        }
        assertFalse(Files.exists(PartitionFile.name(out.resolve("parts"), 2)), "the failed partition committed nothing");
        assertNull(PartitionFile.validTrailer(PartitionFile.name(out.resolve("parts"), 2)));
        Map<Integer, FileTime> committed = new HashMap<>();
        for (int p : new int[] {0, 1, 3}) {
            Path f = PartitionFile.name(out.resolve("parts"), p);
            if (Files.exists(f)) {
                committed.put(p, Files.getLastModifiedTime(f));
            }
        }
        assertFalse(committed.isEmpty(), "some partitions committed before the job failed");

        Thread.sleep(20); // so that a rewritten file would show a new modification time
        ProvenJob job = prover(out).prove(d);
        long fromFailed = PartitionFile.read(PartitionFile.name(out.resolve("parts"), 2)).rows().size();
        long notCommittedBefore = 0;
        for (int p = 0; p < 4; p++) {
            if (p == 2 || !committed.containsKey(p)) {
                notCommittedBefore += PartitionFile.read(PartitionFile.name(out.resolve("parts"), p)).rows().size();
            }
        }
        assertEquals(notCommittedBefore, job.rowsProven(), "only rows of partitions that had not committed are proven");
        assertTrue(job.rowsProven() >= fromFailed);
        for (var e : committed.entrySet()) {
            assertEquals(e.getValue(), Files.getLastModifiedTime(PartitionFile.name(out.resolve("parts"), e.getKey())),
                    "partition " + e.getKey() + " was rewritten");
        }
        assertEquals(prover(tmp.resolve("ref")).prove(data(1)).jobRoot().root(), job.jobRoot().root());
    }

    @Test
    void refusesDuplicateKeysAndMissingColumns(@TempDir Path tmp) {
        Dataset<Row> d = data(2);
        Dataset<Row> dup = d.union(d.limit(1));
        ProvenJob job = prover(tmp.resolve("dup")).prove(dup);
        var e = assertThrows(Exception.class, job::jobRoot);
        assertTrue(rootMessage(e).contains("keys must be unique"), rootMessage(e));

        var missing = assertThrows(dev.opg.core.MalformedInputException.class,
                () -> SparkProver.builder().model(model).keyColumn("nope").input("x", 1, 784).outputDir(tmp).build().prove(d));
        assertTrue(missing.getMessage().contains("no key column 'nope'"), missing.getMessage());
        var shape = assertThrows(Exception.class,
                () -> SparkProver.builder().model(model).keyColumn("id").input("x", 1, 700).outputDir(tmp.resolve("s")).build().prove(d));
        assertTrue(rootMessage(shape).contains("needs 700"), rootMessage(shape));
        // an input array with a null element is refused, naming the column and the element
        List<Float> pixels = new ArrayList<>(java.util.Collections.nCopies(784, 0.5f));
        pixels.set(17, null);
        var schema = new org.apache.spark.sql.types.StructType()
                .add("id", org.apache.spark.sql.types.DataTypes.LongType, false)
                .add("x", org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.FloatType, true), false);
        Dataset<Row> holed = spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create(1L, pixels)), schema);
        var hole = assertThrows(Exception.class, () -> prover(tmp.resolve("hole")).prove(holed).jobRoot());
        assertTrue(rootMessage(hole).contains("input column 'x' has a null element at 17"), rootMessage(hole));
    }

    static String rootMessage(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c.getMessage()).append(" | ");
        }
        return b.toString();
    }

    /** Changes the output digest of the transcript's first step: a false claim about the computation. */
    static Transcript tamperStep(Transcript t) {
        List<Step> steps = new ArrayList<>(t.steps());
        Step s = steps.get(0);
        List<Digest> outs = new ArrayList<>(s.outputs());
        byte[] b = outs.get(0).toByteArray();
        b[0] ^= 1;
        outs.set(0, Digest.of(b));
        steps.set(0, Step.full(s.index(), s.name(), s.inputs(), outs));
        return new Transcript(t.header(), steps, t.profile());
    }

    /** Rewrites the partition file holding {@code key} with that row's transcript changed, as an attacker can (hash recomputed). */
    static void rewriteRow(Path job, byte[] key, java.util.function.UnaryOperator<Transcript> change) throws Exception {
        try (Stream<Path> files = Files.list(job.resolve("parts"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".opgpart")).toList()) {
                PartitionFile.Contents c = PartitionFile.read(f);
                List<PartitionFile.Row> rows = Fixtures.withChangedRow(c, key, change);
                if (rows != null) {
                    try (PartitionFile.Writer w = new PartitionFile.Writer(f)) {
                        for (PartitionFile.Row r : rows) {
                            w.write(r);
                        }
                        w.finish(c.trailer());
                    }
                    assertNotEquals(null, PartitionFile.validTrailer(f));
                    return;
                }
            }
        }
        throw new AssertionError("no row with that key");
    }
}
