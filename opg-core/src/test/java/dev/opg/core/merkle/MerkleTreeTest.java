package dev.opg.core.merkle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Brute-force cross-checks against a naive recursive tree, and the shape errors of proofs. */
class MerkleTreeTest {

    /** MTH of RFC 9162 2.1.1, as literally as possible. */
    private static byte[] naiveRoot(List<byte[]> leaves) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        if (leaves.isEmpty()) {
            return md.digest();
        }
        if (leaves.size() == 1) {
            md.update((byte) 0);
            return md.digest(leaves.get(0));
        }
        int k = 1;
        while (k * 2 < leaves.size()) {
            k *= 2;
        }
        byte[] l = naiveRoot(leaves.subList(0, k));
        byte[] r = naiveRoot(leaves.subList(k, leaves.size()));
        md.update((byte) 1);
        md.update(l);
        return md.digest(r);
    }

    private static List<byte[]> leaves(int n, long seed) {
        Random rnd = new Random(seed);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[rnd.nextInt(40)];
            rnd.nextBytes(b);
            out.add(b);
        }
        return out;
    }

    @Test
    void everySizeUpTo130MatchesTheNaiveTreeAndAllItsProofsVerify() throws Exception {
        for (int n = 0; n <= 130; n++) {
            List<byte[]> data = leaves(n, n);
            MerkleTree tree = MerkleTree.fromLeafData(data);
            Digest root = tree.root();
            assertEquals(Digest.of(naiveRoot(data)), root, "size " + n);
            assertEquals(root, MerkleTree.rootOf(data.stream().map(Rfc9162::leafHash).toList()), "streaming, size " + n);
            for (int i = 0; i < n; i++) {
                InclusionProof p = tree.inclusionProof(i);
                assertTrue(p.verify(Rfc9162.leafHash(data.get(i)), root), "leaf " + i + " of " + n);
                if (n > 1) {
                    int other = (i + 1) % n;
                    assertFalse(p.verify(Rfc9162.leafHash(data.get(other)), root) && !java.util.Arrays.equals(data.get(i), data.get(other)),
                            "leaf " + other + " verified at position " + i);
                }
            }
            for (int m = 1; m <= n; m++) {
                ConsistencyProof c = tree.consistencyProof(m);
                Digest first = Digest.of(naiveRoot(data.subList(0, m)));
                assertEquals(first, tree.rootAt(m));
                assertTrue(c.verify(first, root), "consistency " + m + " -> " + n);
            }
        }
    }

    @Test
    void proofsInsideAPrefixOfTheTreeVerifyAgainstThePrefixRoot() throws Exception {
        List<byte[]> data = leaves(77, 5);
        MerkleTree tree = MerkleTree.fromLeafData(data);
        for (int size = 1; size <= 77; size += 7) {
            Digest prefixRoot = Digest.of(naiveRoot(data.subList(0, size)));
            for (int i = 0; i < size; i++) {
                assertTrue(tree.inclusionProof(i, size).verify(Rfc9162.leafHash(data.get(i)), prefixRoot));
            }
            for (int m = 1; m <= size; m++) {
                assertTrue(tree.consistencyProof(m, size).verify(Digest.of(naiveRoot(data.subList(0, m))), prefixRoot));
            }
        }
    }

    @Test
    void everySubtreeRootMatchesTheNaiveTreeOverThatRange() throws Exception {
        List<byte[]> data = leaves(45, 9);
        MerkleTree tree = MerkleTree.fromLeafData(data);
        for (int start = 0; start < 45; start++) {
            for (int size = 1; start + size <= 45; size++) {
                assertEquals(Digest.of(naiveRoot(data.subList(start, start + size))), tree.subtreeRoot(start, size),
                        "[" + start + ", " + (start + size) + ")");
            }
        }
        assertThrows(MalformedInputException.class, () -> tree.subtreeRoot(40, 6));
        assertThrows(MalformedInputException.class, () -> tree.subtreeRoot(3, 0));
        assertThrows(MalformedInputException.class, () -> tree.subtreeRoot(-1, 2));
    }

    @Test
    void largeTreesBuiltInParallelMatchTheStreamingRoot() {
        int n = 100_003; // above the parallel threshold, odd at several levels
        List<Digest> hashes = new ArrayList<>(n);
        ByteBuffer b = ByteBuffer.allocate(8);
        for (int i = 0; i < n; i++) {
            b.clear();
            b.putLong(i);
            hashes.add(Rfc9162.leafHash(b.array()));
        }
        MerkleTree tree = MerkleTree.fromLeafHashes(hashes);
        assertEquals(MerkleTree.rootOf(hashes), tree.root());
        for (int i : new int[] {0, 1, 65535, 65536, 99999, 100002}) {
            assertTrue(tree.inclusionProof(i).verify(hashes.get(i), tree.root()));
        }
        List<Digest> changed = new ArrayList<>(hashes);
        changed.set(77_777, Rfc9162.leafHash(new byte[] {1}));
        assertNotEquals(tree.root(), MerkleTree.rootOf(changed), "one changed leaf must change the root");
    }

    @Test
    void leafAndNodeHashesAreDomainSeparated() {
        Digest a = Rfc9162.leafHash(new byte[] {1});
        Digest b = Rfc9162.leafHash(new byte[] {2});
        byte[] concat = new byte[64];
        System.arraycopy(a.toByteArray(), 0, concat, 0, 32);
        System.arraycopy(b.toByteArray(), 0, concat, 32, 32);
        // A leaf whose data is two hashes must not collide with the node over those hashes.
        assertNotEquals(Rfc9162.nodeHash(a, b), Rfc9162.leafHash(concat));
    }

    @Test
    void rejectsProofsOfTheWrongShapeWithAMessageSayingWhatWasExpected() {
        List<byte[]> data = leaves(8, 1);
        MerkleTree tree = MerkleTree.fromLeafData(data);
        Digest root = tree.root();
        Digest leaf = tree.leafHash(3);
        List<Digest> path = tree.inclusionProof(3).path();

        MalformedInputException tooLong = assertThrows(MalformedInputException.class, () ->
                MerkleProofs.verifyInclusion(3, 8, leaf, append(path, root), root));
        assertTrue(tooLong.getMessage().contains("wrong inclusion proof size 4, want 3"), tooLong.getMessage());
        MalformedInputException beyond = assertThrows(MalformedInputException.class, () ->
                MerkleProofs.verifyInclusion(8, 8, leaf, path, root));
        assertTrue(beyond.getMessage().contains("index is beyond size: 8 >= 8"), beyond.getMessage());
        assertThrows(MalformedInputException.class, () -> MerkleProofs.verifyInclusion(-1, 8, leaf, path, root));
        MalformedInputException empty = assertThrows(MalformedInputException.class, () ->
                MerkleProofs.verifyInclusion(0, 0, leaf, List.of(), root));
        assertTrue(empty.getMessage().contains("size 0"), empty.getMessage());
        assertThrows(MalformedInputException.class, () -> MerkleProofs.verifyConsistency(5, 4, List.of(), root, root));
        assertThrows(MalformedInputException.class, () -> MerkleProofs.verifyConsistency(-1, 4, List.of(), root, root));
        assertThrows(MalformedInputException.class, () ->
                MerkleProofs.verifyConsistency(3, 8, List.of(root), root, root));

        assertThrows(MalformedInputException.class, () -> tree.inclusionProof(8));
        assertThrows(MalformedInputException.class, () -> tree.inclusionProof(-1));
        assertThrows(MalformedInputException.class, () -> tree.consistencyProof(0));
        assertThrows(MalformedInputException.class, () -> tree.consistencyProof(9));
        assertThrows(MalformedInputException.class, () -> tree.rootAt(9));
        assertThrows(MalformedInputException.class, () -> MerkleTree.fromLeafData(List.of()).inclusionProof(0));
        assertThrows(MalformedInputException.class, () -> new InclusionProof(2, 2, List.of()));
        assertThrows(MalformedInputException.class, () -> Digest.of(new byte[31]));
        assertThrows(MalformedInputException.class, () -> Digest.fromHex("zz" + "00".repeat(31)));
        assertThrows(MalformedInputException.class, () -> Digest.fromHex("0".repeat(63)));
    }

    @Test
    void aMerelyFalseProofAnswersFalseAndNeverThrows() {
        List<byte[]> data = leaves(9, 2);
        MerkleTree tree = MerkleTree.fromLeafData(data);
        Digest root = tree.root();
        for (int i = 0; i < 9; i++) {
            List<Digest> path = tree.inclusionProof(i).path();
            Digest wrongLeaf = Rfc9162.leafHash(new byte[] {9, 9});
            assertFalse(MerkleProofs.verifyInclusion(i, 9, wrongLeaf, path, root));
            assertFalse(MerkleProofs.verifyInclusion(i, 9, tree.leafHash(i), path, Rfc9162.emptyRoot()));
        }
        Digest first = tree.rootAt(4);
        List<Digest> cpath = tree.consistencyProof(5).path();
        assertFalse(MerkleProofs.verifyConsistency(5, 9, cpath, first, root), "proof for 5 with the root of 4");
    }

    private static List<Digest> append(List<Digest> path, Digest d) {
        List<Digest> out = new ArrayList<>(path);
        out.add(d);
        return out;
    }
}
