package dev.opg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.chain.BatchRoots;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.MerkleTree;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

class JobTreeTest {
    static Digest sha(String s) throws Exception {
        return Digest.of(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void piecesGiveTheRootAndProofsOfTheWholeTreeAtEveryPartitioning() throws Exception {
        Random rnd = new Random(1);
        for (int n = 1; n <= 70; n++) {
            List<Digest> roots = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                roots.add(sha("row " + i));
            }
            MerkleTree whole = BatchRoots.tree(roots);
            for (int trial = 0; trial < 4; trial++) {
                // random partition boundaries, empty partitions included
                int parts = 1 + rnd.nextInt(Math.min(n, 9) + 1);
                long[] off = new long[parts + 1];
                for (int p = 1; p < parts; p++) {
                    off[p] = rnd.nextInt(n + 1);
                }
                off[parts] = n;
                java.util.Arrays.sort(off);
                List<JobTree.Node> covers = new ArrayList<>();
                for (int p = 0; p < parts; p++) {
                    List<Digest> leaves = leaves(roots, off[p], off[p + 1]);
                    for (long[] c : JobTree.cover(n, off[p], off[p + 1])) {
                        covers.add(new JobTree.Node(c[0], c[1], JobTree.hashInside(leaves, off[p], c[0], c[1]).toByteArray()));
                    }
                }
                assertEquals(whole.root(), JobTree.root(n, covers), "n=" + n);
                var known = JobTree.index(covers);
                for (int p = 0; p < parts; p++) {
                    List<JobTree.Node> ext = JobTree.externals(n, off[p], off[p + 1], known);
                    assertTrue(ext.size() <= 2 * 64, "a few nodes per level");
                    JobTree.Prover prover = new JobTree.Prover(n, off[p], leaves(roots, off[p], off[p + 1]), ext);
                    for (long m = off[p]; m < off[p + 1]; m++) {
                        InclusionProof expected = whole.inclusionProof((int) m);
                        assertEquals(expected, prover.proof(m), "n=" + n + " leaf " + m);
                    }
                    if (off[p] < off[p + 1]) {
                        assertEquals(whole.root(), prover.root());
                    }
                }
            }
        }
    }

    static List<Digest> leaves(List<Digest> roots, long a, long b) {
        List<Digest> l = new ArrayList<>();
        for (long i = a; i < b; i++) {
            l.add(BatchRoots.leafHash(roots.get((int) i)));
        }
        return l;
    }

    @Test
    void noRowsNoRoot() {
        assertThrows(MalformedInputException.class, () -> JobTree.root(0, List.of()));
    }

    @Test
    void keyBytesOrderIsTheSpecsAndTheVectorsHold() throws Exception {
        assertEquals("7fffffffffffffff", Hex.encode(KeyBytes.ofLong(-1)));
        assertEquals("8000000000000000", Hex.encode(KeyBytes.ofLong(0)));
        assertTrue(KeyBytes.compare(KeyBytes.ofLong(Long.MIN_VALUE), KeyBytes.ofLong(-1)) < 0);
        assertTrue(KeyBytes.compare(KeyBytes.ofLong(-1), KeyBytes.ofLong(1)) < 0);
        assertTrue(KeyBytes.compare("a".getBytes(StandardCharsets.UTF_8), "ab".getBytes(StandardCharsets.UTF_8)) < 0);
        assertTrue(KeyBytes.compare("z".getBytes(StandardCharsets.UTF_8), "\u00e9".getBytes(StandardCharsets.UTF_8)) < 0, "unsigned");
        assertEquals(-5, KeyBytes.decode(KeyBytes.of(-5, DataTypes.IntegerType, "k"), DataTypes.IntegerType));
        assertThrows(MalformedInputException.class, () -> KeyBytes.of(null, DataTypes.LongType, "k"));
        assertThrows(MalformedInputException.class, () -> KeyBytes.of(1.5, DataTypes.DoubleType, "k"));

        JsonNode v = new ObjectMapper().readTree(Fixtures.repoRoot().resolve("spec/vectors/jobroot.json").toFile());
        int cases = 0;
        for (JsonNode c : v.path("cases")) {
            var type = KeyBytes.typeNamed(c.path("keyType").asText());
            record R(byte[] kb, Digest root, JsonNode key) {}
            List<R> rows = new ArrayList<>();
            for (JsonNode r : c.path("rows")) {
                Object key = switch (c.path("keyType").asText()) {
                    case "long" -> r.path("key").asLong();
                    case "string" -> r.path("key").asText();
                    default -> Hex.decode(r.path("key").asText());
                };
                byte[] kb = KeyBytes.of(key, type, "key");
                assertEquals(r.path("keyBytes").asText(), Hex.encode(kb));
                assertEquals(Digest.fromHex(r.path("rowRoot").asText()), Digest.of(MessageDigest.getInstance("SHA-256")
                        .digest(concat("row ".getBytes(StandardCharsets.US_ASCII), kb))));
                rows.add(new R(kb, Digest.fromHex(r.path("rowRoot").asText()), r.path("key")));
            }
            rows.sort(Comparator.comparing(R::kb, KeyBytes::compare));
            for (int i = 0; i < rows.size(); i++) {
                assertEquals(c.path("order").get(i), rows.get(i).key());
            }
            List<Digest> ordered = rows.stream().map(R::root).toList();
            List<JobTree.Node> covers = new ArrayList<>();
            List<Digest> leaves = leaves(ordered, 0, ordered.size());
            for (long[] cv : JobTree.cover(ordered.size(), 0, ordered.size())) {
                covers.add(new JobTree.Node(cv[0], cv[1], JobTree.hashInside(leaves, 0, cv[0], cv[1]).toByteArray()));
            }
            assertEquals(c.path("jobRoot").asText(), JobTree.root(ordered.size(), covers).hex());
            JobTree.Prover p = new JobTree.Prover(ordered.size(), 0, leaves, List.of());
            for (JsonNode inc : c.path("inclusion")) {
                List<String> path = p.proof(inc.path("index").asLong()).path().stream().map(Digest::hex).toList();
                List<String> expected = new ArrayList<>();
                inc.path("path").forEach(x -> expected.add(x.asText()));
                assertEquals(expected, path);
            }
            cases++;
        }
        assertEquals(3, cases);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] o = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, o, a.length, b.length);
        return o;
    }
}
