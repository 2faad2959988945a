package dev.opg.core.merkle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.RepoFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * spec/vectors/merkle.json was written by an independent implementation (spec/generate_vectors.py);
 * this test checks both directions: our tree reproduces every root and path in the file, and our
 * verifier accepts every path in the file and rejects each with one bit flipped.
 */
class MerkleVectorsTest {
    private static final JsonNode CASES = load();

    private static JsonNode load() {
        try {
            return new ObjectMapper().readTree(RepoFiles.resolve("spec/vectors/merkle.json").toFile()).get("cases");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void coversTheSizesTheSpecRequires() {
        List<Integer> sizes = new ArrayList<>();
        CASES.forEach(c -> sizes.add(c.get("leaves").size()));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 7, 8, 9, 1000), sizes);
    }

    @Test
    void treeReproducesEveryRootAndPath() {
        for (JsonNode c : CASES) {
            MerkleTree tree = MerkleTree.fromLeafData(leaves(c));
            assertEquals(c.get("root").asText(), tree.root().hex(), "root of " + tree.size() + " leaves");
            assertEquals(tree.root(), MerkleTree.rootOf(leafHashes(c)), "streaming root of " + tree.size());
            for (JsonNode inc : c.get("inclusion")) {
                int i = inc.get("index").asInt();
                assertEquals(digests(inc.get("path")), tree.inclusionProof(i).path(), "path of leaf " + i + " in " + tree.size());
            }
            for (JsonNode con : c.get("consistency")) {
                int m = con.get("first").asInt();
                assertEquals(digests(con.get("path")), tree.consistencyProof(m).path(), "consistency " + m + " -> " + tree.size());
            }
        }
    }

    @Test
    void verifierAcceptsEveryVectorPathAndRejectsEachFlippedBit() {
        int checked = 0;
        for (JsonNode c : CASES) {
            List<byte[]> leaves = leaves(c);
            int n = leaves.size();
            Digest root = Digest.fromHex(c.get("root").asText());
            for (JsonNode inc : c.get("inclusion")) {
                int i = inc.get("index").asInt();
                List<Digest> path = digests(inc.get("path"));
                Digest leaf = Rfc9162.leafHash(leaves.get(i));
                assertTrue(MerkleProofs.verifyInclusion(i, n, leaf, path, root), "leaf " + i + " of " + n);
                for (int p = 0; p < path.size(); p++) {
                    assertFalse(MerkleProofs.verifyInclusion(i, n, leaf, flip(path, p, checked % 256), root),
                            "flipped bit in path[" + p + "] of leaf " + i + " of " + n);
                    checked++;
                }
                assertFalse(MerkleProofs.verifyInclusion(i, n, flip(leaf, checked % 256), path, root));
                assertFalse(MerkleProofs.verifyInclusion(i, n, leaf, path, flip(root, checked % 256)));
            }
            for (JsonNode con : c.get("consistency")) {
                int m = con.get("first").asInt();
                List<Digest> path = digests(con.get("path"));
                Digest first = MerkleTree.fromLeafData(leaves.subList(0, m)).root();
                assertTrue(MerkleProofs.verifyConsistency(m, n, path, first, root), "consistency " + m + " -> " + n);
                for (int p = 0; p < path.size(); p++) {
                    assertFalse(MerkleProofs.verifyConsistency(m, n, flip(path, p, checked % 256), first, root),
                            "flipped bit in consistency path[" + p + "] " + m + " -> " + n);
                    checked++;
                }
                if (m < n) {
                    assertFalse(MerkleProofs.verifyConsistency(m, n, path, flip(first, 3), root));
                    assertFalse(MerkleProofs.verifyConsistency(m, n, path, first, flip(root, 200)));
                }
            }
        }
        assertTrue(checked > 400, "only " + checked + " tampered paths were checked");
    }

    static List<byte[]> leaves(JsonNode c) {
        List<byte[]> out = new ArrayList<>();
        c.get("leaves").forEach(l -> out.add(Hex.decode(l.asText())));
        return out;
    }

    static List<Digest> leafHashes(JsonNode c) {
        return leaves(c).stream().map(Rfc9162::leafHash).toList();
    }

    static List<Digest> digests(JsonNode array) {
        List<Digest> out = new ArrayList<>();
        array.forEach(h -> out.add(Digest.fromHex(h.asText())));
        return out;
    }

    static Digest flip(Digest d, int bit) {
        byte[] b = d.toByteArray();
        b[bit / 8] ^= (byte) (1 << (bit % 8));
        return Digest.of(b);
    }

    static List<Digest> flip(List<Digest> path, int index, int bit) {
        List<Digest> out = new ArrayList<>(path);
        out.set(index, flip(path.get(index), bit));
        return out;
    }
}
