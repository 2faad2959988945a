package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.Digest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node rolled back under a running sender (anvil's evm_snapshot / evm_revert: the chain forgets
 * blocks the sender saw, so its cached nonce runs ahead of the chain). The receipt timeout is the
 * default 60 s; anchoring must resume well within {@link #BOUND} instead of waiting it out.
 */
@Timeout(60)
class RollbackTest {
    /** What "promptly" means here: a few seen-checks and one resend, with room for a slow machine. */
    static final Duration BOUND = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    static ChainConfig config(AnvilNode node) {
        return TestChain.config(node).withReceiptTimeout(Duration.ofSeconds(60));
    }

    @Test
    void anchoringContinuesPromptlyAfterARollback() {
        try (AnvilNode node = AnvilNode.start();
                TransactionSender s = TransactionSender.connect(config(node), TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
            Digest kept = TestChain.root("rollback/kept");
            assertTrue(client.anchor(kept).fresh());
            String snapshot = TestChain.rpc(node, "evm_snapshot").asText();
            List<Digest> lost = TestChain.roots("rollback/lost", 3);
            lost.forEach(client::anchor); // the sender's cached nonce is now 3 ahead of the snapshot
            assertTrue(TestChain.rpc(node, "evm_revert", snapshot).asBoolean());
            assertFalse(client.isAnchored(client.submitter(), lost.get(0)), "the rollback took the anchors away");

            long t0 = System.nanoTime();
            AnchorReceipt after = client.anchor(TestChain.root("rollback/after"));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertTrue(after.fresh());
            assertTrue(took.compareTo(BOUND) < 0, "anchoring after the rollback took " + took + "; bound " + BOUND);

            // Honest control: what survived the rollback is still there, and later sends (which
            // fill the gap the stale transaction waited behind) keep working.
            assertTrue(client.isAnchored(client.submitter(), kept));
            long t1 = System.nanoTime();
            for (Digest r : lost) {
                assertTrue(client.anchor(r).fresh() || client.isAnchored(client.submitter(), r));
            }
            for (Digest r : TestChain.roots("rollback/later", 4)) {
                assertTrue(client.anchor(r).fresh());
            }
            Duration rest = Duration.ofNanos(System.nanoTime() - t1);
            assertTrue(rest.compareTo(BOUND) < 0, "7 sends after the rollback took " + rest);
            for (Digest r : lost) {
                assertTrue(client.isAnchored(client.submitter(), r), "re-anchored " + r);
            }
        }
    }

    @Test
    void batchAnchorerReanchorsWhatARollbackTookAndKeepsGoing() throws Exception {
        try (AnvilNode node = AnvilNode.start();
                TransactionSender s = TransactionSender.connect(config(node), TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
            String snapshot = TestChain.rpc(node, "evm_snapshot").asText();
            List<Digest> roots = TestChain.roots("rollback/batch", 12);
            try (BatchAnchorer a = BatchAnchorer.builder(client, dir.resolve("j.log")).maxBatchSize(4)
                    .maxDelay(Duration.ofMillis(50)).open()) {
                List<CompletableFuture<RootReceipt>> first = roots.subList(0, 8).stream().map(a::submit).toList();
                CompletableFuture.allOf(first.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
                assertTrue(TestChain.rpc(node, "evm_revert", snapshot).asBoolean());
                assertEquals(2, a.reconcile().size(), "both confirmed batches were lost and are reopened");

                long t0 = System.nanoTime();
                List<CompletableFuture<RootReceipt>> rest = roots.subList(8, 12).stream().map(a::submit).toList();
                assertTrue(a.awaitIdle(BOUND), "still pending " + BOUND + " after the rollback: " + a.pendingCount()
                        + ", last failure " + a.lastFailure());
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                for (CompletableFuture<RootReceipt> f : rest) {
                    RootReceipt r = f.get(1, TimeUnit.SECONDS);
                    assertTrue(r.verify());
                    assertTrue(client.verifyInclusion(r), "new root on chain");
                }
                // The receipts handed out before the rollback verify again: same batch roots, re-anchored.
                for (CompletableFuture<RootReceipt> f : first) {
                    assertTrue(client.verifyInclusion(f.get()), "pre-rollback receipt verifies after re-anchoring");
                }
                assertTrue(took.compareTo(BOUND) < 0, "took " + took);
            }
        }
    }
}
