package dev.opg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.opg.chain.AnchorReceipt;
import dev.opg.chain.BatchRoots;
import dev.opg.chain.ChainConfig;
import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.MerkleTree;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * The prover as the adversary: it wrote the job directory, controls every byte in it (partition
 * files, trailers, receipts, names, leftovers) and recomputes every hash, and it anchors whatever
 * root it likes. The verifier holds the dataset, the model and the root and count it read from
 * the chain (anvil here). Each attack stands beside an honest control that must stay VALID: what
 * a row's verdict rests on is derived from the dataset, the model and the anchor, never from the
 * prover's claims. Real Spark, a real PyTorch MLP, MNIST digits, a real chain.
 */
class ForgedJobTest {
    static final int ROWS = 30;
    static SparkSession spark;
    static Path model;
    static List<float[]> images;
    static AnvilNode node;
    static TransactionSender sender;
    static TranscriptAnchorClient client;
    /** The honest job: its directory, root and count as anchored. */
    static Job honest;
    /** The honest rows by rank (key order). */
    static List<PartitionFile.Row> sorted;
    static PartitionFile.Trailer honestTrailer;

    @TempDir
    static Path shared;

    /** A job directory and the root and count the chain holds for it. */
    record Job(Path dir, Digest root, long count) {}

    @BeforeAll
    static void start() throws Exception {
        spark = Fixtures.spark();
        model = Fixtures.mlp(shared.resolve("mlp"));
        images = Fixtures.digits(ROWS / 10);
        Path dir = shared.resolve("honest");
        ProvenJob job = prover(dir).prove(data(3));
        node = AnvilNode.start();
        sender = TransactionSender.connect(ChainConfig.of(node.rpcUrl()), Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(0)));
        client = TranscriptAnchorClient.deploy(sender);
        ProvenJob.JobAnchor a = job.anchor(client);
        honest = new Job(dir, a.receipt().root(), chainCount(a.receipt().root()));
        assertEquals(ROWS, honest.count());
        Map<Long, PartitionFile.Row> byId = new TreeMap<>();
        for (int p = 0; p < 3; p++) {
            PartitionFile.Contents c = PartitionFile.read(PartitionFile.name(dir.resolve("parts"), p));
            c.rows().forEach(r -> byId.put(idOf(r.key()), r));
            honestTrailer = c.trailer();
        }
        sorted = new ArrayList<>(byId.values());
        assertEquals(ROWS, sorted.size());
    }

    @AfterAll
    static void stop() throws Exception {
        if (sender != null) {
            sender.close();
        }
        if (node != null) {
            node.close();
        }
        if (spark != null) {
            spark.stop();
        }
    }

    // ------------------------------------------------------------------ controls

    @Test
    void theHonestJobIsValid() {
        JobVerifier.Report r = verify(honest, Sample.all());
        assertTrue(r.allValid(), r.summary() + " " + r.findings());
        assertEquals(ROWS, r.valid());
        assertEquals(0, r.missing() + r.duplicated() + r.extra());
        JobVerifier.Report half = verify(honest, new Sample(0.5, 7));
        assertTrue(half.allValid(), half.summary());
        assertEquals(expectedChecked(new Sample(0.5, 7)), half.checked());
    }

    /** Where rows sit, in which order, what the trailers say and what lies beside the files decide nothing. */
    @Test
    void rowsMovedReorderedAndLyingTrailersChangeNothing() throws Exception {
        List<PartitionFile.Row> tail = new ArrayList<>(sorted.subList(20, 30));
        java.util.Collections.reverse(tail);
        List<PartitionFile.Row> odd = new ArrayList<>();
        List<PartitionFile.Row> even = new ArrayList<>();
        for (int i = 19; i >= 0; i--) {
            (i % 2 == 1 ? odd : even).add(sorted.get(i));
        }
        java.util.Collections.shuffle(even, new Random(3));
        Path dir = shared.resolve("rearranged");
        // four files where the honest job had three, one of them empty; every trailer lies about everything but its row count
        Job j = forge(dir, List.of(tail, List.of(), odd, even), sorted,
                (p, n) -> new PartitionFile.Trailer(7 - p, n, "forged", "forged", "string", "00", "{}", "x", "y"));
        assertEquals(honest.root(), j.root(), "the same rows in key order: the same job root");
        Path parts = dir.resolve("parts");
        // leftovers: a forged file under a temporary name, a directory under a partition file's name, junk beside them
        writePart(parts.resolve(".part-00000.opgpart.0-1.tmp"), List.of(withKey(sorted.get(1), idOf(sorted.get(0).key()))), trailer(0, 1));
        Files.createDirectories(parts.resolve("part-00009.opgpart"));
        Files.writeString(parts.resolve("part-00010.receipts.jsonl"), "{\"format\":\"opg-anchor-receipt\"}\nnot json\n");
        Files.writeString(parts.resolve("notes.txt"), "nothing");
        Files.writeString(dir.resolve("job.json"), "{\"rows\": 3, \"jobRoot\": \"00\"}");

        JobVerifier.Report r = verify(j, Sample.all());
        assertTrue(r.allValid(), r.summary() + " " + r.findings());
        assertEquals(ROWS, r.valid());
    }

    // ------------------------------------------------------------------ rows that are not the model's

    /** Two keys' rows swapped (the tree rebuilt over the swap and anchored), and two honest rows at each other's leaves. */
    @Test
    void swappedRowsAndLeavesOutOfKeyOrderAreInvalid() throws Exception {
        List<PartitionFile.Row> rows = new ArrayList<>(sorted);
        rows.set(3, withKey(sorted.get(4), id(3)));
        rows.set(4, withKey(sorted.get(3), id(4)));
        List<PartitionFile.Row> leaves = new ArrayList<>(rows);
        leaves.set(10, rows.get(20));
        leaves.set(20, rows.get(10));
        Job j = forge(shared.resolve("swapped"), roundRobin(rows, 3), leaves, ForgedJobTest::trailer);
        JobVerifier.Report r = verify(j, Sample.all());
        assertEquals(Set.of(id(3), id(4), id(10), id(20)), invalidKeys(r), r.findings().toString());
        assertEquals(ROWS - 4, r.valid());
        assertTrue(finding(r, id(3)).contains("INPUTS") || finding(r, id(3)).contains("input"), finding(r, id(3)));
        assertTrue(finding(r, id(10)).contains("puts this row at leaf 20"), finding(r, id(10)));
    }

    /**
     * A key committed twice (once true, once with another row's transcript), and a row for a key
     * the dataset lacks, beside an otherwise honest job under the honest anchored root. A sample
     * that happens to skip the duplicated key must still not call the job VALID.
     */
    @Test
    void duplicatedAndExtraRowsAreNeverValidEvenWhenTheSampleSkipsThem() throws Exception {
        Path dir = shared.resolve("duplicated");
        PartitionFile.Row twin = withKey(sorted.get(9), id(5));
        PartitionFile.Row stranger = withKey(sorted.get(9), 1_000_003L);
        List<List<PartitionFile.Row>> parts = new ArrayList<>(roundRobin(sorted, 3));
        parts.add(List.of(twin, stranger));
        Job j = forge(dir, parts, sorted, ForgedJobTest::trailer);
        assertEquals(honest.root(), j.root());

        Sample skip = sampleWith(List.of(id(0), id(1)), List.of(id(5)));
        JobVerifier.Report s = verify(j, skip);
        assertFalse(s.allValid(), "a key committed twice and a row outside the dataset: " + s.summary());
        assertEquals(1, s.duplicated(), s.summary());
        assertEquals(1, s.extra(), s.summary());
        assertEquals(0, s.invalid(), "no checked row is false: " + s.findings());
        assertEquals(expectedChecked(skip), s.checked(), "the rows checked are the verifier's choice alone");

        JobVerifier.Report all = verify(j, Sample.all());
        assertFalse(all.allValid(), all.summary());
        assertEquals(1, all.duplicated());
        assertEquals(1, all.extra());
        assertEquals(Set.of(id(5)), invalidKeys(all), all.findings().toString());
        assertTrue(finding(all, id(5)).contains("2 times"), finding(all, id(5)));
    }

    /**
     * The transcript is the model's, but the output tensors stored beside it (what
     * {@link ProvenJob#rows()} hands to every reader) are another row's, or the stored root is
     * not the transcript's; and a row is withheld, under a sample that skips it.
     */
    @Test
    void storedOutputsAndRootsMustBeTheTranscriptsAndAWithheldRowIsCountedUnderAnySample() throws Exception {
        List<PartitionFile.Row> rows = new ArrayList<>(sorted);
        PartitionFile.Row a = sorted.get(7);
        rows.set(7, new PartitionFile.Row(a.key(), a.root(), a.inputDigests(), a.transcript(), sorted.get(8).outputs(), a.witness()));
        PartitionFile.Row b = sorted.get(9);
        byte[] otherRoot = b.root().clone();
        otherRoot[0] ^= 1;
        rows.set(9, new PartitionFile.Row(b.key(), otherRoot, b.inputDigests(), b.transcript(), b.outputs(), b.witness()));
        rows.remove(15);
        Job j = forge(shared.resolve("outputs"), roundRobin(rows, 3), sorted, ForgedJobTest::trailer);
        assertEquals(honest.root(), j.root(), "the transcripts are untouched: the honest root");

        Sample s = sampleWith(List.of(id(7), id(9)), List.of(id(15)));
        JobVerifier.Report r = verify(j, s);
        assertFalse(r.allValid(), r.summary());
        assertEquals(1, r.missing(), "the withheld row is counted although the sample skips it");
        assertEquals(Set.of(id(7), id(9)), invalidKeys(r), r.findings().toString());
        assertTrue(finding(r, id(7)).contains("output tensor 0"), finding(r, id(7)));
        assertTrue(finding(r, id(9)).contains("stores root"), finding(r, id(9)));
        assertEquals(r.checked() - 2, r.valid());
    }

    /**
     * One byte changed in a row's stored transcript ({@link TranscriptBytes}): in the profile JSON,
     * in the leaf count, in a step's output digest, in the header's model id. The prover stores
     * the changed transcript's own root beside it where it decodes, and anchors a tree over those
     * roots: each changed row is INVALID (it does not decode, or the model does not give it), the
     * others stay VALID.
     */
    @Test
    void aChangedByteInAStoredTranscriptIsInvalidEvenUnderTheProversOwnRoot() throws Exception {
        List<PartitionFile.Row> rows = new ArrayList<>(sorted);
        byte[] t = sorted.get(3).transcript();
        int profileLength = ByteBuffer.wrap(t).getInt();
        rows.set(3, flipped(sorted.get(3), 4 + 10));
        rows.set(4, flipped(sorted.get(4), 4 + profileLength + 3));
        byte[] t5 = sorted.get(5).transcript();
        rows.set(5, flipped(sorted.get(5), t5.length - 4 - 16)); // the last step's output digest (FULL: no sketches after it)
        byte[] t6 = sorted.get(6).transcript();
        int modelIdAt = indexOf(t6, TranscriptBytes.decode(t6).header().modelId().toByteArray());
        assertTrue(modelIdAt > 0);
        rows.set(6, flipped(sorted.get(6), modelIdAt + 5));
        assertEquals(TranscriptBytes.decode(t5).steps().size(), TranscriptBytes.decode(rows.get(5).transcript()).steps().size());
        assertFalse(Arrays.equals(sorted.get(5).root(), rows.get(5).root()), "the changed step gives another root, stored beside it");
        assertThrows(MalformedInputException.class, () -> TranscriptBytes.decode(rows.get(3).transcript()));
        assertThrows(MalformedInputException.class, () -> TranscriptBytes.decode(rows.get(4).transcript()));

        Job j = forge(shared.resolve("changed-byte"), roundRobin(rows, 3), rows, ForgedJobTest::trailer);
        assertFalse(honest.root().equals(j.root()), "the prover anchored its own roots");
        JobVerifier.Report r = verify(j, Sample.all());
        assertEquals(Set.of(id(3), id(4), id(5), id(6)), invalidKeys(r), r.findings().toString());
        assertTrue(finding(r, id(3)).contains("malformed"), finding(r, id(3)));
        assertTrue(finding(r, id(4)).contains("malformed"), finding(r, id(4)));
        assertEquals(ROWS - 4, r.valid(), r.summary());
        assertEquals(0, r.missing() + r.duplicated() + r.extra());
    }

    /** {@code r} with byte {@code at} of its stored transcript changed, and the changed transcript's root stored where it decodes. */
    static PartitionFile.Row flipped(PartitionFile.Row r, int at) {
        byte[] t = r.transcript().clone();
        t[at] ^= 0x01;
        byte[] root = r.root();
        try {
            root = TranscriptBytes.decode(t).root().toByteArray();
        } catch (MalformedInputException e) {
            // it does not decode: the honest root stays beside it
        }
        return new PartitionFile.Row(r.key(), root, r.inputDigests(), t, r.outputs(), r.witness());
    }

    static int indexOf(byte[] in, byte[] part) {
        for (int i = 0; i + part.length <= in.length; i++) {
            if (Arrays.equals(in, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        return -1;
    }

    /** A partition file from a job with another model, and one recorded under other settings (SKETCH, not the FULL the verifier asked for). */
    @Test
    void filesFromAnotherModelOrOtherSettingsAreInvalid() throws Exception {
        Path m2 = Files.createDirectories(shared.resolve("model2"));
        try (Stream<Path> s = Files.list(model)) {
            for (Path f : s.toList()) {
                Files.copy(f, m2.resolve(f.getFileName()));
            }
        }
        Path params;
        try (Stream<Path> s = Files.list(m2)) {
            params = s.filter(f -> f.toString().endsWith(".params")).findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(params);
        b[b.length - 2] ^= 0x01;
        Files.write(params, b);
        Map<Long, PartitionFile.Row> otherModel = rowsOf(SparkProver.builder().model(m2).keyColumn("id").input("x", 1, Fixtures.PIXELS)
                .outputDir(shared.resolve("other-model")).build().prove(data(1)));
        Map<Long, PartitionFile.Row> otherSettings = rowsOf(SparkProver.builder().model(model).keyColumn("id").input("x", 1, Fixtures.PIXELS)
                .sketch(8).outputDir(shared.resolve("other-settings")).build().prove(data(1)));
        List<PartitionFile.Row> g1 = new ArrayList<>();
        List<PartitionFile.Row> g2 = new ArrayList<>();
        List<PartitionFile.Row> g3 = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            (i < 10 ? g1 : i < 20 ? g2 : g3).add(i < 10 ? otherModel.get(id(i)) : i < 20 ? otherSettings.get(id(i)) : sorted.get(i));
        }
        List<PartitionFile.Row> leaves = new ArrayList<>(g1);
        leaves.addAll(g2);
        leaves.addAll(g3);
        Job j = forge(shared.resolve("foreign"), List.of(g1, g2, g3), leaves, ForgedJobTest::trailer);
        JobVerifier.Report r = verify(j, Sample.all());
        Set<Long> expected = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            expected.add(id(i));
        }
        assertEquals(expected, invalidKeys(r), r.findings().toString());
        assertEquals(10, r.valid());
        assertTrue(finding(r, id(0)).contains("MODEL_ID"), finding(r, id(0)));
        assertTrue(finding(r, id(10)).contains("SKETCH mode"), finding(r, id(10)));
    }

    // ------------------------------------------------------------------ receipts

    /**
     * Receipts that lead elsewhere: to another anchored root, through a tree of another size, two
     * receipts for one key, none, and a path that belongs to another leaf.
     */
    @Test
    void aReceiptMustLeadToTheAnchoredRootFromTheKeysRank() throws Exception {
        Path dir = shared.resolve("receipts");
        Path parts = Files.createDirectories(dir.resolve("parts"));
        List<Digest> roots = new ArrayList<>();
        sorted.forEach(r -> roots.add(Digest.of(r.root())));
        List<Digest> longer = new ArrayList<>(roots);
        longer.add(roots.get(0));
        MerkleTree other = BatchRoots.tree(longer);
        anchor(other.root(), longer.size()); // the prover's second anchored root, over 31 leaves
        MerkleTree tree = BatchRoots.tree(roots);
        ProvenJob.ReceiptHead head = new ProvenJob.ReceiptHead(client.chainId(), client.address(), client.submitter(), "0x00", 1);
        for (int p = 0; p < 3; p++) {
            Files.copy(PartitionFile.name(honest.dir().resolve("parts"), p), PartitionFile.name(parts, p));
            List<String> lines = new ArrayList<>();
            for (PartitionFile.Row row : PartitionFile.read(PartitionFile.name(parts, p)).rows()) {
                int rank = rankOf(row.key());
                Digest rr = Digest.of(row.root());
                switch (rank) {
                    case 2 -> lines.add(receipt(head, rr, other.root(), other.inclusionProof(rank), row));
                    case 6 -> lines.add(receipt(head, rr, honest.root(), other.inclusionProof(rank), row));
                    case 11 -> {
                        lines.add(receipt(head, rr, honest.root(), tree.inclusionProof(rank), row));
                        lines.add(receipt(head, rr, honest.root(), tree.inclusionProof(rank), row));
                    }
                    case 17 -> { }
                    case 23 -> lines.add(receipt(head, rr, honest.root(),
                            new InclusionProof(rank, ROWS, tree.inclusionProof(24).path()), row));
                    default -> lines.add(receipt(head, rr, honest.root(), tree.inclusionProof(rank), row));
                }
            }
            Files.write(JobFiles.receipts(parts, p), lines);
        }
        JobVerifier.Report r = verify(new Job(dir, honest.root(), honest.count()), Sample.all());
        assertEquals(Set.of(id(2), id(6), id(11), id(17), id(23)), invalidKeys(r), r.findings().toString());
        assertEquals(ROWS - 5, r.valid());
        assertTrue(finding(r, id(2)).contains("not the anchored"), finding(r, id(2)));
        assertTrue(finding(r, id(6)).contains("of 31"), finding(r, id(6)));
        assertTrue(finding(r, id(11)).contains("2 receipts"), finding(r, id(11)));
        assertTrue(finding(r, id(17)).contains("no receipt"), finding(r, id(17)));
        assertTrue(finding(r, id(23)).contains("not under the anchored job root"), finding(r, id(23)));
    }

    // ------------------------------------------------------------------ bounded resources

    /**
     * Garbage under a partition file's name, a length that runs past the end of its file, a
     * transcript nested 100 000 deep (the file's hash recomputed), a receipts file whose first
     * line is 2 MiB, a trailer lying about its row count: each fails closed, in bounded memory, and
     * the verification still reports ({@link #aHugeBlobIsReadThroughNotHeld} reads a 2 GiB file as
     * the verifier's tasks do).
     */
    @Test
    void brokenFilesFailClosedAndTheVerificationStillReports() throws Exception {
        Path dir = shared.resolve("broken");
        List<List<PartitionFile.Row>> groups = new ArrayList<>();
        for (int p = 0; p < 5; p++) {
            groups.add(new ArrayList<>(sorted.subList(p * 6, p * 6 + 6)));
        }
        PartitionFile.Row deep = groups.get(2).get(0);
        groups.get(2).set(0, new PartitionFile.Row(deep.key(), deep.root(), deep.inputDigests(),
                ("[".repeat(100_000) + "]".repeat(100_000)).getBytes(StandardCharsets.US_ASCII), deep.outputs(), null));
        Job j = forge(dir, groups, sorted, ForgedJobTest::trailer);
        Path parts = dir.resolve("parts");
        byte[] junk = new byte[1 << 20];
        new Random(1).nextBytes(junk);
        Files.write(PartitionFile.name(parts, 0), junk);
        byte[] one = Files.readAllBytes(PartitionFile.name(parts, 1));
        PartitionFile.Row first = groups.get(1).get(0);
        int at = PartitionFile.MAGIC.length + 1 + 1 + 4 + first.key().length + 32 + 4 + 32 * first.inputDigests().size();
        ByteBuffer.wrap(one).putInt(at, 200 << 20); // a 200 MiB transcript in a file of a few kB
        Files.write(PartitionFile.name(parts, 1), one);
        Path receipts3 = JobFiles.receipts(parts, 3);
        Files.write(receipts3, concat(("x".repeat(2 << 20) + "\n").getBytes(StandardCharsets.US_ASCII), Files.readAllBytes(receipts3)));
        writePart(PartitionFile.name(parts, 4), groups.get(4), trailer(4, groups.get(4).size() + 1));

        long t0 = System.nanoTime();
        JobVerifier.Report r = verify(j, Sample.all());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 60, "took " + seconds + " s");
        assertEquals(18, r.missing(), r.summary());
        assertEquals(5, r.valid(), r.summary() + " " + r.findings());
        assertEquals(25, r.invalid(), r.summary());
        assertTrue(finding(r, id(12)).contains("malformed"), finding(r, id(12)));
        assertTrue(finding(r, id(18)).contains("no receipt"), finding(r, id(18)));
        assertTrue(finding(r, id(6)).contains("no committed transcript"), finding(r, id(6)));
    }

    /**
     * A file of 2 GiB (sparse: it costs no disk) whose one row claims a 2 GiB witness, read as the
     * verifier's tasks read a prover's file: read through, never held (the test JVM has a 3 GiB
     * heap; the reader before this change held the blob, and ran out of it).
     */
    @Test
    void aHugeBlobIsReadThroughNotHeld(@TempDir Path tmp) throws Exception {
        Path f = sparse(tmp.resolve("part-00000.opgpart"));
        long t0 = System.nanoTime();
        try {
            // as the verifier reads a prover's file
            PartitionFile.scanLean(org.apache.hadoop.fs.FileSystem.getLocal(new org.apache.hadoop.conf.Configuration()).getRawFileSystem(),
                    new org.apache.hadoop.fs.Path(f.toUri()), r -> {});
            fail("a file whose trailer is zeros was accepted");
        } catch (MalformedInputException e) {
            assertTrue(e.getMessage().contains("rows"), e.getMessage());
        } catch (OutOfMemoryError e) {
            fail("reading a 2 GiB blob the verifier never uses ran out of memory: " + e);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 60, "took " + seconds + " s");
    }

    /** A file name whose partition index overflows an int: a typed refusal, never VALID. */
    @Test
    void anAbsurdPartitionFileNameIsATypedRefusal() throws Exception {
        Path dir = shared.resolve("absurd-name");
        Path parts = Files.createDirectories(dir.resolve("parts"));
        try (Stream<Path> s = Files.list(honest.dir().resolve("parts"))) {
            for (Path f : s.toList()) {
                Files.copy(f, parts.resolve(f.getFileName()));
            }
        }
        Files.write(parts.resolve("part-99999999999.opgpart"), new byte[] {1, 2, 3});
        Throwable e = assertThrows(Throwable.class, () -> verify(new Job(dir, honest.root(), honest.count()), Sample.all()));
        assertTrue(chain(e).contains("MalformedInputException") && chain(e).contains("out of range"), chain(e));
    }

    // ------------------------------------------------------------------ the verifier's own failures

    /** The verifier's model cannot be loaded: that is the verifier's failure, never an INVALID row of the prover's. */
    @Test
    void theVerifiersOwnFailureIsNotBlamedOnTheProver() throws Exception {
        Path empty = Files.createDirectories(shared.resolve("no-model"));
        ProveSettings s = SparkProver.builder().model(empty).keyColumn("id").input("x", 1, Fixtures.PIXELS).outputDir(honest.dir())
                .build().settings();
        Throwable e = assertThrows(Throwable.class, () -> new JobVerifier(s).verify(data(2), honest.root(), honest.count(), Sample.all()),
                "rows reported although the verifier could not load its model");
        assertTrue(chain(e).contains(empty.toString()), chain(e));
    }

    // ------------------------------------------------------------------ sampling

    /**
     * The sample is drawn from the verifier's own randomness and the key alone; over many fresh
     * seeds, the rate at which at least one of b false rows is checked matches the stated
     * confidence, and the fraction for a stated confidence delivers it.
     */
    @Test
    void theSampleIsTheVerifiersAndItsStatedConfidenceHolds() {
        assertFalse(Sample.fraction(0.5).seed() == Sample.fraction(0.5).seed(), "a fresh seed each time");
        List<byte[]> falseKeys = List.of(KeyBytes.ofLong(id(3)), KeyBytes.ofLong(id(11)), KeyBytes.ofLong(id(27)));
        Random seeds = new Random(42);
        for (double fraction : new double[] {0.1, 0.3}) {
            int trials = 4000;
            int caught = 0;
            for (int t = 0; t < trials; t++) {
                Sample s = new Sample(fraction, seeds.nextLong());
                if (falseKeys.stream().anyMatch(s::includes)) {
                    caught++;
                }
            }
            double stated = new Sample(fraction, 0).detection(falseKeys.size());
            double sigma = Math.sqrt(stated * (1 - stated) / trials);
            assertEquals(stated, (double) caught / trials, 4 * sigma, "fraction " + fraction);
        }
        Sample s95 = Sample.forConfidence(0.95, 3);
        assertTrue(s95.detection(3) >= 0.95 - 1e-9, String.valueOf(s95.detection(3)));
        int trials = 4000;
        int caught = 0;
        for (int t = 0; t < trials; t++) {
            Sample s = new Sample(s95.fraction(), seeds.nextLong());
            if (falseKeys.stream().anyMatch(s::includes)) {
                caught++;
            }
        }
        assertTrue((double) caught / trials > 0.95 - 4 * Math.sqrt(0.95 * 0.05 / trials), caught + " of " + trials);
    }

    // ------------------------------------------------------------------ the prover's tools

    static SparkProver prover(Path out) {
        return SparkProver.builder().model(model).keyColumn("id").input("x", 1, Fixtures.PIXELS).outputDir(out).build();
    }

    static Dataset<Row> data(int partitions) {
        return Fixtures.dataset(spark, images, partitions, partitions);
    }

    static JobVerifier.Report verify(Job j, Sample s) {
        return new JobVerifier(prover(j.dir()).settings()).verify(data(2), j.root(), j.count(), s);
    }

    /** The key of rank {@code i}: the dataset's ids are {@code 7i - 100}. */
    static long id(int i) {
        return i * 7L - 100;
    }

    static long idOf(byte[] key) {
        return (Long) KeyBytes.decode(key, DataTypes.LongType);
    }

    static int rankOf(byte[] key) {
        return (int) ((idOf(key) + 100) / 7);
    }

    static PartitionFile.Row withKey(PartitionFile.Row r, long id) {
        return new PartitionFile.Row(KeyBytes.ofLong(id), r.root(), r.inputDigests(), r.transcript(), r.outputs(), r.witness());
    }

    static PartitionFile.Trailer trailer(int p, int rows) {
        PartitionFile.Trailer h = honestTrailer;
        return new PartitionFile.Trailer(p, rows, h.settings(), h.modelFiles(), h.keyType(), h.modelId(), h.profile(), "forger", "forge");
    }

    static List<List<PartitionFile.Row>> roundRobin(List<PartitionFile.Row> rows, int n) {
        List<List<PartitionFile.Row>> out = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            out.add(new ArrayList<>());
        }
        for (int i = 0; i < rows.size(); i++) {
            out.get(i % n).add(rows.get(i));
        }
        return out;
    }

    static Map<Long, PartitionFile.Row> rowsOf(ProvenJob job) throws Exception {
        Map<Long, PartitionFile.Row> m = new HashMap<>();
        for (int p = 0; p < job.partitions(); p++) {
            PartitionFile.read(job.partitionFile(p)).rows().forEach(r -> m.put(idOf(r.key()), r));
        }
        return m;
    }

    static void writePart(Path f, List<PartitionFile.Row> rows, PartitionFile.Trailer t) throws Exception {
        try (PartitionFile.Writer w = new PartitionFile.Writer(f)) {
            for (PartitionFile.Row r : rows) {
                w.write(r);
            }
            w.finish(t);
        }
    }

    /** The root a leaf stands for: the transcript's own, where it decodes. */
    static Digest rootOf(PartitionFile.Row r) {
        try {
            return TranscriptBytes.decode(r.transcript()).root();
        } catch (RuntimeException e) {
            return Digest.of(r.root());
        }
    }

    static AnchorReceipt anchor(Digest root, long count) {
        return client.findBatchAnchor(root).orElseGet(() -> client.anchorBatchRoot(root, count));
    }

    static long chainCount(Digest root) {
        return client.batchAnchorOf(client.submitter(), root).orElseThrow().count();
    }

    static String receipt(ProvenJob.ReceiptHead head, Digest rowRoot, Digest jobRoot, InclusionProof p, PartitionFile.Row row) {
        return head.receipt(rowRoot, jobRoot, p, row.key(), DataTypes.LongType).toString();
    }

    /**
     * Writes a job directory as the prover can: partition files holding {@code parts} (hashes
     * recomputed, trailers from {@code trailers}), the RFC 9162 tree over {@code leaves} in the
     * order given, anchored, and for each row in the files the receipt of the first leaf with its
     * key (none where no leaf has it), in file order.
     */
    static Job forge(Path dir, List<List<PartitionFile.Row>> parts, List<PartitionFile.Row> leaves,
            java.util.function.BiFunction<Integer, Integer, PartitionFile.Trailer> trailers) throws Exception {
        Path pd = Files.createDirectories(dir.resolve("parts"));
        List<Digest> roots = leaves.stream().map(ForgedJobTest::rootOf).toList();
        MerkleTree tree = BatchRoots.tree(roots);
        AnchorReceipt a = anchor(tree.root(), leaves.size());
        ProvenJob.ReceiptHead head = new ProvenJob.ReceiptHead(client.chainId(), client.address(), a.submitter(),
                a.transactionHash() == null ? "0x00" : a.transactionHash(), a.blockNumber());
        Map<Long, Integer> leafOf = new HashMap<>();
        for (int i = leaves.size() - 1; i >= 0; i--) {
            leafOf.put(idOf(leaves.get(i).key()), i);
        }
        for (int p = 0; p < parts.size(); p++) {
            writePart(PartitionFile.name(pd, p), parts.get(p), trailers.apply(p, parts.get(p).size()));
            List<String> lines = new ArrayList<>();
            for (PartitionFile.Row r : parts.get(p)) {
                Integer i = leafOf.get(idOf(r.key()));
                if (i != null) {
                    lines.add(receipt(head, roots.get(i), tree.root(), tree.inclusionProof(i), r));
                }
            }
            Files.write(JobFiles.receipts(pd, p), lines);
        }
        return new Job(dir, tree.root(), chainCount(tree.root()));
    }

    /** A sample of half the rows that checks every key of {@code in} and none of {@code out}. */
    static Sample sampleWith(List<Long> in, List<Long> out) {
        for (long seed = 1; ; seed++) {
            Sample s = new Sample(0.5, seed);
            if (in.stream().allMatch(k -> s.includes(KeyBytes.ofLong(k))) && out.stream().noneMatch(k -> s.includes(KeyBytes.ofLong(k)))) {
                return s;
            }
        }
    }

    static long expectedChecked(Sample s) {
        long n = 0;
        for (int i = 0; i < ROWS; i++) {
            if (s.includes(KeyBytes.ofLong(id(i)))) {
                n++;
            }
        }
        return n;
    }

    static Set<Long> invalidKeys(JobVerifier.Report r) {
        return r.findings().stream().filter(f -> f.verdict().equals("INVALID")).map(f -> Long.parseLong(f.key()))
                .collect(Collectors.toSet());
    }

    static String finding(JobVerifier.Report r, long id) {
        return r.findings().stream().filter(f -> f.key().equals(String.valueOf(id))).map(f -> f.verdict() + ": " + f.detail())
                .findFirst().orElse("(no finding for " + id + ")");
    }

    static String chain(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c.getClass().getName()).append(": ").append(c.getMessage()).append(" | ");
        }
        return b.toString();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A partition file of about 2 GiB, sparse, whose one row claims a witness of {@link PartitionFile#MAX_BLOB_BYTES}; zeros after it. */
    static Path sparse(Path f) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream o = new DataOutputStream(b)) {
            o.write(PartitionFile.MAGIC);
            o.writeByte(PartitionFile.VERSION);
            o.writeByte(1);
            o.writeInt(8);
            o.write(KeyBytes.ofLong(0));
            o.write(new byte[32]);
            o.writeInt(0);
            o.writeInt(2);
            o.write("{}".getBytes(StandardCharsets.US_ASCII));
            o.writeInt(0);
            o.writeInt(PartitionFile.MAX_BLOB_BYTES);
        }
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(b.toByteArray());
            raf.setLength(b.size() + (long) PartitionFile.MAX_BLOB_BYTES + 64);
        }
        return f;
    }
}
