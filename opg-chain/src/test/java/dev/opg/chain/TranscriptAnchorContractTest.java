package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.MerkleTree;
import dev.opg.core.merkle.Rfc9162;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.web3j.crypto.Credentials;

/** The contract and the client against a real anvil. */
@Timeout(60)
class TranscriptAnchorContractTest {
    static AnvilNode node;
    static TransactionSender sender;
    static TranscriptAnchorClient client;
    static final String ME = TestChain.DEV0.getAddress();

    @BeforeAll
    static void deploy() {
        node = AnvilNode.start();
        sender = TransactionSender.connect(TestChain.config(node), TestChain.DEV0);
        client = TranscriptAnchorClient.deploy(sender);
    }

    @AfterAll
    static void stop() {
        if (sender != null) {
            sender.close();
        }
        if (node != null) {
            node.close();
        }
    }

    @Test
    void anchorsARootOnceAndRecordsWhoAndWhen() {
        Digest root = TestChain.root("single");
        assertFalse(client.isAnchored(ME, root));
        assertTrue(client.anchorOf(ME, root).isEmpty());
        AnchorReceipt first = client.anchor(root);
        assertTrue(first.fresh());
        assertTrue(client.isAnchored(ME, root));
        AnchorRecord rec = client.anchorOf(ME, root).orElseThrow();
        assertEquals(ME, rec.submitter());
        assertEquals(ME, first.submitter());
        assertEquals(first.blockNumber(), rec.blockNumber());
        assertEquals(0, rec.count());
        // idempotent: no revert, no change, no event
        AnchorReceipt again = client.anchor(root);
        assertFalse(again.fresh());
        assertTrue(again.blockNumber() > first.blockNumber());
        assertEquals(first.blockNumber(), client.anchorOf(ME, root).orElseThrow().blockNumber());
        assertTrue(again.gasUsed() < first.gasUsed());
    }

    @Test
    void batchRootIsAnchoredAndEveryRootProvesInclusionOnChain() {
        List<Digest> roots = TestChain.roots("batch", 13);
        BatchReceipt b = client.anchorBatch(roots);
        assertTrue(b.anchor().fresh());
        assertEquals(13, client.batchAnchorOf(ME, b.batchRoot()).orElseThrow().count());
        for (int i = 0; i < roots.size(); i++) {
            RootReceipt r = b.rootReceipt(i);
            assertTrue(r.verify(), "off-chain proof of root " + i);
            assertTrue(client.verifyInclusion(b.batchRoot(), roots.get(i), r.proof()), "on-chain proof of root " + i);
        }
        assertFalse(client.anchorBatch(roots).anchor().fresh(), "re-anchoring a batch is a no-op");
    }

    @Test
    void tamperedProofsRootsOrIndicesAreRejectedOnChain() {
        List<Digest> roots = TestChain.roots("tamper", 9);
        BatchReceipt b = client.anchorBatch(roots);
        InclusionProof p = b.proofs().get(5);
        Digest root = roots.get(5);
        assertTrue(client.verifyInclusion(b.batchRoot(), root, p));
        for (int level = 0; level < p.path().size(); level++) {
            List<Digest> path = new ArrayList<>(p.path());
            path.set(level, TestChain.flip(path.get(level), level % 32));
            assertFalse(client.verifyInclusion(b.batchRoot(), root, new InclusionProof(5, 9, path)),
                    "flipped byte at level " + level);
        }
        assertFalse(client.verifyInclusion(b.batchRoot(), TestChain.flip(root, 0), p), "flipped transcript root");
        assertFalse(client.verifyInclusion(TestChain.flip(b.batchRoot(), 31), root, p), "unknown batch root");
        assertFalse(client.verifyInclusion(b.batchRoot(), root, new InclusionProof(4, 9, p.path())), "wrong index");
        assertFalse(client.verifyInclusion(b.batchRoot(), root,
                new InclusionProof(5, 9, p.path().subList(0, p.path().size() - 1))), "short path");
        List<Digest> longer = new ArrayList<>(p.path());
        longer.add(TestChain.root("extra"));
        assertFalse(client.verifyInclusion(b.batchRoot(), root, new InclusionProof(5, 9, longer)), "long path");
        // a root anchored alone is not a batch: nothing is "included" in it
        Digest single = TestChain.root("alone");
        client.anchor(single);
        assertFalse(client.verifyInclusion(single, single, new InclusionProof(0, 1, List.of())));
    }

    @Test
    void solidityVerifierAgreesWithTheSharedMerkleVectors() throws Exception {
        Path file = TestChain.repoRoot().resolve("spec/vectors/merkle.json");
        List<Case> cases = Files.exists(file) ? readVectors(file) : generatedVectors();
        int checked = 0;
        for (Case c : cases) {
            for (int i = 0; i < c.leaves.size(); i++) {
                assertEquals(Rfc9162.leafHash(c.leaves.get(i)), client.leafHash(c.leaves.get(i)));
                if (c.leaves.size() > 16) {
                    break; // one leaf hash per big case is enough; proofs below cover the rest
                }
            }
            for (Incl in : c.inclusion) {
                Digest leaf = Rfc9162.leafHash(c.leaves.get(in.index));
                int n = c.leaves.size();
                assertTrue(client.verifyInclusionProof(leaf, in.index, n, in.path, c.root),
                        "vector n=" + n + " index=" + in.index);
                if (!in.path.isEmpty()) {
                    List<Digest> bad = new ArrayList<>(in.path);
                    bad.set(bad.size() - 1, TestChain.flip(bad.get(bad.size() - 1), 7));
                    assertFalse(client.verifyInclusionProof(leaf, in.index, n, bad, c.root));
                }
                assertFalse(client.verifyInclusionProof(leaf, in.index, n, in.path, TestChain.flip(c.root, 3)));
                assertFalse(client.verifyInclusionProof(leaf, n, n, in.path, c.root), "index == size");
                checked++;
            }
        }
        assertTrue(checked >= 40, "expected the vectors to hold at least 40 inclusion cases; got " + checked);
    }

    @Test
    void attestationIsRecordedAndItsSignerRecoveredOnChain() {
        Digest root = TestChain.root("attested");
        Digest model = TestChain.root("model-a");
        Attestation a = client.sign(root, model, TestChain.DEV1.getEcKeyPair());
        assertEquals(Digest.of(Attestations.domainSeparator(client.chainId(), client.address())), client.domainSeparator());
        assertEquals(Digest.of(Attestations.digest(root, model, client.chainId(), client.address())),
                client.attestationDigest(root, model));
        assertEquals(TestChain.DEV1.getAddress(), client.recoverAttester(a));
        assertTrue(Attestations.verify(a, client.chainId(), client.address()));
        assertTrue(client.attest(a).fresh()); // sent by DEV0 on behalf of the DEV1 executor
        assertEquals(model, client.attestedModel(root, TestChain.DEV1.getAddress()).orElseThrow());
        assertFalse(client.attest(a).fresh(), "idempotent");
        Attestation other = client.sign(root, TestChain.root("model-b"), TestChain.DEV1.getEcKeyPair());
        TransactionRevertedException e = assertThrows(TransactionRevertedException.class, () -> client.attest(other));
        assertTrue(e.getMessage().contains("ConflictingAttestation"), e.getMessage());
    }

    @Test
    void attestationForAnotherChainOrContractIsRejectedOnChain() {
        Digest root = TestChain.root("cross-domain");
        Digest model = TestChain.root("model");
        String otherContract = "0x" + "00".repeat(19) + "42";
        for (Attestation wrong : List.of(
                Attestations.sign(root, model, client.chainId() + 1, client.address(), TestChain.DEV1.getEcKeyPair()),
                Attestations.sign(root, model, client.chainId(), otherContract, TestChain.DEV1.getEcKeyPair()))) {
            assertNotEquals(TestChain.DEV1.getAddress(), client.recoverAttester(wrong));
            Attestation relabelled = new Attestation(root, model, client.chainId(), client.address(), wrong.executor(),
                    wrong.signature());
            TransactionRevertedException e = assertThrows(TransactionRevertedException.class, () -> client.attest(relabelled));
            assertTrue(e.getMessage().contains("WrongSigner"), e.getMessage());
            assertTrue(e.transactionHash().isEmpty(), "rejected at estimate, nothing was sent");
        }
        assertTrue(client.attestedModel(root, TestChain.DEV1.getAddress()).isEmpty());
    }

    @Test
    void highSAttestationIsRejectedOnChainAndOffChainAlike() {
        Digest root = TestChain.root("high-s");
        Digest model = TestChain.root("model-h");
        Attestation a = client.sign(root, model, TestChain.DEV1.getEcKeyPair());
        Attestation twin = AttestationsTest.malleate(a);
        assertEquals(TestChain.DEV1.getAddress(), client.recoverAttester(a), "honest control");
        assertEquals("0x" + "00".repeat(20), client.recoverAttester(twin), "the contract refuses s > n/2");
        assertTrue(Attestations.recover(twin, client.chainId(), client.address()).isEmpty(), "and so does Java");
        TransactionRevertedException e = assertThrows(TransactionRevertedException.class, () -> client.attest(twin));
        assertTrue(e.getMessage().contains("WrongSigner"), e.getMessage());
        assertTrue(client.attest(a).fresh(), "the low-s original is accepted");
    }

    @Test
    void emptyBatchRevertsWithATypedError() {
        TransactionRevertedException e = assertThrows(TransactionRevertedException.class,
                () -> client.anchorBatchRoot(TestChain.root("empty"), 0));
        assertTrue(e.getMessage().contains("EmptyBatch"), e.getMessage());
    }

    @Test
    void minedRevertIsATypedErrorWithTheTransactionHash() {
        // too little gas to store the root: the transaction is mined and reverts (status 0)
        TransactionRevertedException e = assertThrows(TransactionRevertedException.class, () -> client.sendWithGasLimit(
                TranscriptAnchorAbi.anchor(TestChain.root("out-of-gas")), BigInteger.valueOf(30_000)));
        assertTrue(e.transactionHash().isPresent(), e.getMessage());
        assertTrue(e.getMessage().contains("reverted in block"), e.getMessage());
        assertFalse(client.isAnchored(ME, TestChain.root("out-of-gas")));
        // the nonce was consumed by the mined transaction; the next send still works
        assertTrue(client.anchor(TestChain.root("after-revert")).fresh());
    }

    @Test
    void underfundedAccountGetsInsufficientFunds() {
        Credentials poor = Credentials.create("0x" + "7a".repeat(32));
        try (TransactionSender s = TransactionSender.connect(TestChain.config(node), poor)) {
            TranscriptAnchorClient c = TranscriptAnchorClient.at(s, client.address());
            InsufficientFundsException e = assertThrows(InsufficientFundsException.class,
                    () -> c.anchor(TestChain.root("poor")));
            assertTrue(e.getMessage().contains(poor.getAddress()), e.getMessage());
            assertFalse(client.isAnchored(poor.getAddress(), TestChain.root("poor")));
        }
    }

    @Test
    void concurrentCallersGetDistinctNonces() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<AnchorReceipt>> fs = new ArrayList<>();
            for (Digest r : TestChain.roots("concurrent", 40)) {
                fs.add(pool.submit(() -> client.anchor(r)));
            }
            Set<String> hashes = new HashSet<>();
            for (Future<AnchorReceipt> f : fs) {
                AnchorReceipt r = f.get();
                assertTrue(r.fresh());
                hashes.add(r.transactionHash());
            }
            assertEquals(40, hashes.size());
            for (Digest r : TestChain.roots("concurrent", 40)) {
                assertTrue(client.isAnchored(ME, r));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void clientRefusesAnAddressWithoutTheContract() {
        ChainException e = assertThrows(ChainException.class,
                () -> TranscriptAnchorClient.at(sender, TestChain.DEV1.getAddress()));
        assertTrue(e.getMessage().contains("no TranscriptAnchor"), e.getMessage());
    }

    @Test
    void rpcUnreachableIsATypedErrorAfterRetries() {
        ChainConfig dead = ChainConfig.of("http://127.0.0.1:1")
                .withRetry(new RetryPolicy(3, java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(20)));
        RpcUnavailableException e = assertThrows(RpcUnavailableException.class,
                () -> TransactionSender.connect(dead, TestChain.DEV0));
        assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
    }

    // ------------------------------------------------------------------ vectors

    record Incl(int index, List<Digest> path) {}

    record Case(List<byte[]> leaves, Digest root, List<Incl> inclusion) {}

    static List<Case> readVectors(Path file) throws Exception {
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        List<Case> out = new ArrayList<>();
        for (JsonNode c : json.get("cases")) {
            List<byte[]> leaves = new ArrayList<>();
            c.get("leaves").forEach(l -> leaves.add(Hex.decode(l.asText())));
            List<Incl> incl = new ArrayList<>();
            for (JsonNode i : c.get("inclusion")) {
                List<Digest> path = new ArrayList<>();
                i.get("path").forEach(p -> path.add(Digest.fromHex(p.asText())));
                incl.add(new Incl(i.get("index").asInt(), path));
            }
            out.add(new Case(leaves, Digest.fromHex(c.get("root").asText()), incl));
        }
        return out;
    }

    /** Same shape as spec/vectors/merkle.json, from opg-core, for a checkout without the file. */
    static List<Case> generatedVectors() {
        List<Case> out = new ArrayList<>();
        for (int n : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 1000}) {
            List<byte[]> leaves = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                leaves.add(("leaf " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            MerkleTree t = MerkleTree.fromLeafData(leaves);
            List<Incl> incl = new ArrayList<>();
            for (int i = 0; i < n; i += Math.max(1, n / 13)) {
                incl.add(new Incl(i, t.inclusionProof(i).path()));
            }
            out.add(new Case(leaves, t.root(), incl));
        }
        return out;
    }
}
