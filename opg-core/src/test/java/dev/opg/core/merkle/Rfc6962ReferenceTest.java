package dev.opg.core.merkle;

import static dev.opg.core.merkle.MerkleVectorsTest.digests;
import static dev.opg.core.merkle.MerkleVectorsTest.flip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import dev.opg.core.RepoFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Checks the tree against values published by Certificate Transparency implementations
 * (spec/vectors/rfc6962-reference.json), which neither opg nor its vector generator produced,
 * and runs transparency-dev's corruption probes over the reference proofs.
 */
class Rfc6962ReferenceTest {
    private static final JsonNode REF = load();

    private static JsonNode load() {
        try {
            return new ObjectMapper().readTree(RepoFiles.resolve("spec/vectors/rfc6962-reference.json").toFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<byte[]> leaves() {
        List<byte[]> out = new ArrayList<>();
        REF.get("leaves").forEach(l -> out.add(Hex.decode(l.asText())));
        return out;
    }

    private static Digest root(int n) {
        return Digest.fromHex(REF.get("roots").get(n).asText());
    }

    @Test
    void rootsOfEveryPrefixMatchThePublishedTreeHeads() {
        List<byte[]> leaves = leaves();
        MerkleTree full = MerkleTree.fromLeafData(leaves);
        for (int n = 0; n <= leaves.size(); n++) {
            assertEquals(root(n), MerkleTree.fromLeafData(leaves.subList(0, n)).root(), "size " + n);
            assertEquals(root(n), full.rootAt(n), "rootAt " + n);
        }
        assertEquals(root(0), Rfc9162.emptyRoot());
    }

    @Test
    void publishedInclusionProofsAreReproducedAndVerifiedAndCorruptionsFail() {
        List<byte[]> leaves = leaves();
        for (JsonNode p : REF.get("inclusion")) {
            int index = p.get("index").asInt();
            int size = p.get("size").asInt();
            List<Digest> path = digests(p.get("path"));
            MerkleTree tree = MerkleTree.fromLeafData(leaves.subList(0, size));
            assertEquals(path, tree.inclusionProof(index).path());
            Digest leaf = Rfc9162.leafHash(leaves.get(index));
            Digest root = root(size);
            assertTrue(MerkleProofs.verifyInclusion(index, size, leaf, path, root));

            // transparency-dev's probes: each must fail, by a false answer or a shape error.
            assertRejected(() -> MerkleProofs.verifyInclusion(index - 1, size, leaf, path, root));
            assertRejected(() -> MerkleProofs.verifyInclusion(index + 1, size, leaf, path, root));
            assertRejected(() -> MerkleProofs.verifyInclusion(index ^ 2, size, leaf, path, root));
            assertRejected(() -> MerkleProofs.verifyInclusion(index, size * 2, leaf, path, root));
            assertRejected(() -> MerkleProofs.verifyInclusion(index, size / 2, leaf, path, root));
            assertRejected(() -> MerkleProofs.verifyInclusion(index, size, Rfc9162.leafHash("WrongLeaf".getBytes()), path, root));
            assertRejected(() -> MerkleProofs.verifyInclusion(index, size, leaf, path, root(0)));
            assertRejected(() -> MerkleProofs.verifyInclusion(index, size, leaf, append(path, root), root));
            assertRejected(() -> MerkleProofs.verifyInclusion(index, size, leaf, prepend(root, path), root));
            assertRejected(() -> MerkleProofs.verifyInclusion(index, size, leaf, path.subList(0, path.size() - 1), root));
            for (int i = 0; i < path.size(); i++) {
                List<Digest> bad = flip(path, i, 3);
                assertRejected(() -> MerkleProofs.verifyInclusion(index, size, leaf, bad, root));
            }
        }
    }

    @Test
    void publishedConsistencyProofsAreReproducedAndVerifiedAndCorruptionsFail() {
        List<byte[]> leaves = leaves();
        for (JsonNode p : REF.get("consistency")) {
            int m = p.get("first").asInt();
            int n = p.get("second").asInt();
            List<Digest> path = digests(p.get("path"));
            assertEquals(path, MerkleTree.fromLeafData(leaves.subList(0, n)).consistencyProof(m).path());
            Digest r1 = root(m);
            Digest r2 = root(n);
            assertTrue(MerkleProofs.verifyConsistency(m, n, path, r1, r2));

            assertRejected(() -> MerkleProofs.verifyConsistency(m - 1, n, path, r1, r2));
            assertRejected(() -> MerkleProofs.verifyConsistency(m + 1, n, path, r1, r2));
            assertRejected(() -> MerkleProofs.verifyConsistency(m ^ 2, n, path, r1, r2));
            assertRejected(() -> MerkleProofs.verifyConsistency(m, n * 2, path, r1, r2));
            assertRejected(() -> MerkleProofs.verifyConsistency(m, n / 2, path, r1, r2));
            assertRejected(() -> MerkleProofs.verifyConsistency(m, n, path, r2, r2));
            assertRejected(() -> MerkleProofs.verifyConsistency(m, n, path, r1, r1));
            assertRejected(() -> MerkleProofs.verifyConsistency(m, n, path, r2, r1));
            assertRejected(() -> MerkleProofs.verifyConsistency(m, n, List.of(), r1, r2));
            assertRejected(() -> MerkleProofs.verifyConsistency(m, n, append(path, r1), r1, r2));
            assertRejected(() -> MerkleProofs.verifyConsistency(m, n, prepend(r2, path), r1, r2));
            assertRejected(() -> MerkleProofs.verifyConsistency(m, n, prepend(path.get(0), path), r1, r2));
            assertRejected(() -> MerkleProofs.verifyConsistency(m, n, path.subList(0, path.size() - 1), r1, r2));
            for (int i = 0; i < path.size(); i++) {
                List<Digest> bad = flip(path, i, 4);
                assertRejected(() -> MerkleProofs.verifyConsistency(m, n, bad, r1, r2));
            }
        }
    }

    @Test
    void trivialConsistencyCasesFollowTransparencyDev() {
        Digest r = root(3);
        assertTrue(MerkleProofs.verifyConsistency(0, 0, List.of(), r, r));
        assertTrue(MerkleProofs.verifyConsistency(0, 5, List.of(), root(0), r), "every tree extends the empty one");
        assertTrue(MerkleProofs.verifyConsistency(3, 3, List.of(), r, r));
        assertFalse(MerkleProofs.verifyConsistency(3, 3, List.of(), r, root(4)));
        assertThrows(MalformedInputException.class, () -> MerkleProofs.verifyConsistency(3, 3, List.of(r), r, r));
        assertThrows(MalformedInputException.class, () -> MerkleProofs.verifyConsistency(0, 1, List.of(r), r, r));
        assertThrows(MalformedInputException.class, () -> MerkleProofs.verifyConsistency(2, 1, List.of(), r, r));
    }

    private interface Check {
        boolean run();
    }

    /** A corrupted proof must never verify: it answers false, or it is rejected as malformed. */
    private static void assertRejected(Check check) {
        boolean accepted;
        try {
            accepted = check.run();
        } catch (MalformedInputException e) {
            accepted = false;
        }
        assertFalse(accepted, "a corrupted proof verified");
    }

    private static List<Digest> append(List<Digest> path, Digest d) {
        List<Digest> out = new ArrayList<>(path);
        out.add(d);
        return out;
    }

    private static List<Digest> prepend(Digest d, List<Digest> path) {
        List<Digest> out = new ArrayList<>();
        out.add(d);
        out.addAll(path);
        return out;
    }
}
