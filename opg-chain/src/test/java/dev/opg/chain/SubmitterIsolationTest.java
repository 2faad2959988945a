package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.Digest;
import dev.opg.core.merkle.InclusionProof;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second (and third) funded account attacks an honest submitter's anchors on a real anvil:
 * squatting a pending batch root with a wrong count (read from the pool and mined a block ahead
 * of the honest transaction), re-anchoring the honest account's roots, anchoring a batch root as a single root
 * and a single root as a batch. Each attack is refused or lands as the attacker's own claim only;
 * beside each, the honest anchors stay anchored under the honest submitter and every honest
 * inclusion proof verifies, off chain and on chain.
 */
@Timeout(90)
class SubmitterIsolationTest {
    static AnvilNode node;
    static TransactionSender honestSender;
    static TransactionSender attackerSender;
    static TransactionSender thirdSender;
    static TranscriptAnchorClient honest;
    static TranscriptAnchorClient attacker;
    static TranscriptAnchorClient third;
    static final String HONEST = TestChain.DEV0.getAddress();
    static final String ATTACKER = TestChain.DEV1.getAddress();

    @TempDir
    Path dir;

    @BeforeAll
    static void deploy() {
        node = AnvilNode.start();
        // Fixed tips: anvil suggests tips from recent blocks, which the attacker's would inflate.
        honestSender = TransactionSender.connect(TestChain.config(node)
                .withMaxPriorityFeePerGas(BigInteger.valueOf(1_000_000_000L)), TestChain.DEV0);
        honest = TranscriptAnchorClient.deploy(honestSender);
        // The attacker pays a far higher tip, to outbid the honest submitter.
        attackerSender = TransactionSender.connect(TestChain.config(node)
                .withMaxPriorityFeePerGas(BigInteger.valueOf(50_000_000_000L)), TestChain.DEV1);
        attacker = TranscriptAnchorClient.at(attackerSender, honest.address());
        thirdSender = TransactionSender.connect(TestChain.config(node), TestChain.DEV2);
        third = TranscriptAnchorClient.at(thirdSender, honest.address());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {honestSender, attackerSender, thirdSender, node}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    @Test
    void squattingAPendingBatchRootWithAWrongCountAheadOfItLeavesTheHonestBatchAnchored() throws Exception {
        List<Digest> roots = TestChain.roots("squat-pending", 7);
        Digest batchRoot = BatchRoots.batchRoot(roots);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        TestChain.rpc(node, "evm_setAutomine", false);
        try {
            Future<BatchReceipt> honestSend = pool.submit(() -> honest.anchorBatch(roots));
            // The attacker reads the honest transaction from the pool and copies its batch root.
            Digest seen = pendingBatchRootOf(HONEST);
            assertEquals(batchRoot, seen, "the attacker reads the pending batch root from the pool");
            Future<AnchorReceipt> wrongCount = pool.submit(() -> attacker.anchorBatchRoot(seen, 1));
            Future<AnchorReceipt> asSingle = pool.submit(() -> attacker.anchor(seen));
            awaitPool(3);
            // The attacker outbids: the next block's base fee is above what the honest transaction
            // offers and below the attacker's, so the squat is mined a block ahead of the honest send.
            TestChain.rpc(node, "anvil_setNextBlockBaseFeePerGas", "0x" + BigInteger.valueOf(20_000_000_000L).toString(16));
            TestChain.rpc(node, "evm_mine");
            AnchorReceipt squat = wrongCount.get(30, TimeUnit.SECONDS);
            AnchorReceipt single = asSingle.get(30, TimeUnit.SECONDS);
            assertFalse(honestSend.isDone(), "the honest batch is still pending behind the squat");
            TestChain.rpc(node, "anvil_setNextBlockBaseFeePerGas", "0x" + BigInteger.valueOf(1_000_000_000L).toString(16));
            TestChain.rpc(node, "evm_mine");
            TestChain.rpc(node, "evm_setAutomine", true);
            BatchReceipt b = honestSend.get(30, TimeUnit.SECONDS);
            assertTrue(squat.blockNumber() < b.anchor().blockNumber(), "the squat was mined first: block "
                    + squat.blockNumber() + " before " + b.anchor().blockNumber());
            assertTrue(squat.fresh(), "the attacker's claim is recorded, as the attacker's");
            assertTrue(single.fresh());

            // Honest control: anchored, by the honest account, with its count, every proof verifies.
            assertTrue(b.anchor().fresh(), "the squat did not block the honest batch");
            assertEquals(HONEST, b.anchor().submitter());
            AnchorRecord rec = honest.batchAnchorOf(HONEST, batchRoot).orElseThrow();
            assertEquals(new AnchorRecord(HONEST, b.anchor().blockNumber(), 7), rec);
            for (int i = 0; i < roots.size(); i++) {
                RootReceipt r = b.rootReceipt(i);
                assertTrue(r.verify(), "off-chain proof of root " + i);
                assertTrue(honest.verifyInclusion(r), "on-chain proof of root " + i);
                assertTrue(attacker.verifyInclusion(HONEST, batchRoot, roots.get(i), r.proof()),
                        "anyone can check the honest claim, the attacker too");
                assertFalse(honest.verifyInclusion(ATTACKER, batchRoot, roots.get(i), r.proof()),
                        "the attacker's count-1 record proves none of the honest roots");
            }
            // The attacker's records exist, under the attacker, and only there.
            assertEquals(new AnchorRecord(ATTACKER, squat.blockNumber(), 1), honest.batchAnchorOf(ATTACKER, batchRoot).orElseThrow());
            assertTrue(honest.isAnchored(ATTACKER, batchRoot));
            assertFalse(honest.isAnchored(HONEST, batchRoot), "kinds stay apart: the honest batch root is no single root");
            List<AnchorRecord> all = honest.anchorsOf(batchRoot);
            assertEquals(3, all.size(), all.toString());
            assertTrue(all.contains(rec), all.toString());
        } finally {
            TestChain.rpc(node, "evm_setAutomine", true);
            pool.shutdownNow();
        }
    }

    @Test
    void aBatchSquattedAfterItWasJournaledIsStillSentByTheHonestAnchorer() throws Exception {
        Path journal = dir.resolve("j.log");
        List<Digest> roots = TestChain.roots("squat-journaled", 5);
        Digest batchRoot = BatchRoots.batchRoot(roots);
        try (AnchorJournal j = AnchorJournal.open(journal)) {
            j.beginBatch(batchRoot, roots.stream().map(j::accept).toList());
        }
        // Between journaling and sending (say the honest process crashed), two other accounts anchor
        // the batch root: one with a wrong count, one with the right count. Neither is the honest claim.
        attacker.anchorBatchRoot(batchRoot, 2);
        third.anchorBatchRoot(batchRoot, 5);
        try (BatchAnchorer a = BatchAnchorer.builder(honest, journal).background(false).open()) {
            List<BatchReceipt> sent = a.flush();
            assertEquals(1, sent.size());
            BatchReceipt b = sent.get(0);
            assertTrue(b.anchor().fresh(), "someone else's anchor must never be recorded as ours");
            assertNotEquals(null, b.anchor().transactionHash());
            assertEquals(HONEST, b.anchor().submitter());
            assertEquals(0, a.pendingCount());
            for (int i = 0; i < roots.size(); i++) {
                assertTrue(b.rootReceipt(i).verify());
                assertTrue(honest.verifyInclusion(b.rootReceipt(i)), "root " + i);
                assertFalse(honest.verifyInclusion(ATTACKER, batchRoot, roots.get(i), b.proofs().get(i)));
            }
            // reconcile asks for the honest account's own record: healthy, nothing reopened
            assertTrue(a.reconcile().isEmpty());
        }
        assertEquals(5, honest.batchAnchorOf(HONEST, batchRoot).orElseThrow().count());
        assertEquals(2, honest.batchAnchorOf(ATTACKER, batchRoot).orElseThrow().count());
    }

    @Test
    void reAnchoringSomeoneElsesRootsChangesNothingOfTheirs() {
        Digest single = TestChain.root("reanchor/single");
        List<Digest> roots = TestChain.roots("reanchor/batch", 4);
        AnchorReceipt s = honest.anchor(single);
        BatchReceipt b = honest.anchorBatch(roots);
        AnchorRecord singleBefore = honest.anchorOf(HONEST, single).orElseThrow();
        AnchorRecord batchBefore = honest.batchAnchorOf(HONEST, b.batchRoot()).orElseThrow();

        // The attacker anchors the same values, the same way and other ways.
        AnchorReceipt a1 = attacker.anchor(single);
        AnchorReceipt a2 = attacker.anchorBatchRoot(b.batchRoot(), 4);
        TransactionRevertedException e = assertThrows(TransactionRevertedException.class,
                () -> attacker.anchorBatchRoot(b.batchRoot(), 9));
        assertTrue(e.getMessage().contains("ConflictingBatchCount"), e.getMessage());
        AnchorReceipt a3 = attacker.anchor(b.batchRoot());
        assertTrue(a1.fresh() && a2.fresh() && a3.fresh(), "each is a fresh claim of the attacker's own");
        assertEquals(ATTACKER, a1.submitter());

        // Honest control: same records, same blocks; its own retry is a no-op.
        assertEquals(singleBefore, honest.anchorOf(HONEST, single).orElseThrow());
        assertEquals(s.blockNumber(), singleBefore.blockNumber());
        assertEquals(batchBefore, honest.batchAnchorOf(HONEST, b.batchRoot()).orElseThrow());
        assertFalse(honest.anchor(single).fresh(), "idempotent for the same submitter");
        assertFalse(honest.anchorBatch(roots).anchor().fresh());
        for (int i = 0; i < roots.size(); i++) {
            assertTrue(honest.verifyInclusion(b.rootReceipt(i)), "root " + i);
        }
        // Who anchored what, oldest first, each record confirmed from state.
        assertEquals(List.of(singleBefore, new AnchorRecord(ATTACKER, a1.blockNumber(), 0)), honest.anchorsOf(single));
    }

    @Test
    void aBatchRootAnchoredAloneAndARootAnchoredAsABatchProveNothing() {
        Digest single = TestChain.root("kinds/single");
        List<Digest> roots = TestChain.roots("kinds/batch", 6);
        Digest batchRoot = BatchRoots.batchRoot(roots);
        // The attacker goes first: the honest single root as a one-root "batch", the honest batch
        // root as a single root.
        assertTrue(attacker.anchorBatchRoot(single, 1).fresh());
        assertTrue(attacker.anchor(batchRoot).fresh());
        InclusionProof trivial = new InclusionProof(0, 1, List.of());
        assertFalse(honest.verifyInclusion(ATTACKER, single, single, trivial),
                "a root is never leaf 0 of itself: leaf hash = SHA-256(0x00 || root)");
        assertFalse(honest.isAnchored(HONEST, single));
        assertFalse(honest.isBatchAnchored(HONEST, batchRoot));

        // Honest control: neither is blocked.
        assertTrue(honest.anchor(single).fresh());
        BatchReceipt b = honest.anchorBatch(roots);
        assertTrue(b.anchor().fresh());
        assertTrue(honest.isAnchored(HONEST, single));
        assertFalse(honest.isBatchAnchored(HONEST, single), "anchored alone is not a batch, for its own submitter too");
        assertFalse(honest.isAnchored(HONEST, batchRoot), "a batch root is not a single root");
        for (int i = 0; i < roots.size(); i++) {
            assertTrue(honest.verifyInclusion(b.rootReceipt(i)), "root " + i);
            assertFalse(honest.verifyInclusion(ATTACKER, batchRoot, roots.get(i), b.proofs().get(i)),
                    "the attacker's single-root record of the batch root proves no inclusion");
        }
        // The honest account's single root, checked as a batch of its own, proves nothing either.
        assertFalse(honest.verifyInclusion(HONEST, single, single, trivial));
    }

    @Test
    void anEmptyOrConflictingBatchFromTheSameSubmitterIsRefused() {
        List<Digest> roots = TestChain.roots("conflict", 3);
        BatchReceipt b = honest.anchorBatch(roots);
        TransactionRevertedException e = assertThrows(TransactionRevertedException.class,
                () -> honest.anchorBatchRoot(b.batchRoot(), 4));
        assertTrue(e.getMessage().contains("ConflictingBatchCount"), e.getMessage());
        assertEquals(3, honest.batchAnchorOf(HONEST, b.batchRoot()).orElseThrow().count());
        assertFalse(honest.anchorBatchRoot(b.batchRoot(), 3).fresh());
        assertTrue(honest.verifyInclusion(b.rootReceipt(2)));
    }

    /** Polls the node's pool for {@code from}'s pending anchorBatch and returns its batch root argument. */
    private static Digest pendingBatchRootOf(String from) throws InterruptedException {
        String selector = TranscriptAnchorAbi.encode(TranscriptAnchorAbi.anchorBatch(Digest.of(new byte[32]), 1))
                .substring(0, 10);
        for (int i = 0; i < 200; i++) {
            JsonNode byAccount = TestChain.rpc(node, "txpool_content").path("pending").path(from);
            for (Iterator<JsonNode> it = byAccount.elements(); it.hasNext(); ) {
                String input = it.next().path("input").asText();
                if (input.startsWith(selector)) {
                    return Digest.fromHex(input.substring(10, 74));
                }
            }
            Thread.sleep(25);
        }
        throw new AssertionError("no pending anchorBatch from " + from + " in the pool");
    }

    private static void awaitPool(int n) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            JsonNode status = TestChain.rpc(node, "txpool_status");
            if (new BigInteger(status.path("pending").asText().substring(2), 16).intValue() >= n) {
                return;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("fewer than " + n + " transactions reached the pool");
    }
}
