package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.Digest;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameterName;

/** Batching, durability and fault handling against a real anvil. */
@Timeout(90)
class BatchAnchorerTest {
    @TempDir
    Path dir;

    @Test
    void sendsOneTransactionPerFullBatchAndTheRestOnFlush() throws Exception {
        try (AnvilNode node = AnvilNode.start();
                TransactionSender s = TransactionSender.connect(TestChain.config(node), TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
            List<Digest> roots = TestChain.roots("size", 20);
            List<CompletableFuture<RootReceipt>> fs = new ArrayList<>();
            try (BatchAnchorer a = BatchAnchorer.builder(client, dir.resolve("j.log"))
                    .maxBatchSize(8).maxDelay(Duration.ofHours(1)).open()) {
                for (Digest r : roots) {
                    fs.add(a.submit(r));
                }
                CompletableFuture.allOf(fs.subList(0, 16).toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                assertFalse(fs.get(16).isDone(), "a partial batch must wait for time or flush");
                List<BatchReceipt> flushed = a.flush();
                assertEquals(1, flushed.size());
                assertEquals(4, flushed.get(0).size());
                assertEquals(0, a.pendingCount());
            }
            Set<String> txs = new HashSet<>();
            for (int i = 0; i < roots.size(); i++) {
                RootReceipt r = fs.get(i).get();
                assertEquals(roots.get(i), r.root());
                assertTrue(r.verify());
                assertTrue(client.verifyInclusion(r.batchRoot(), r.root(), r.proof()), "root " + i + " on chain");
                txs.add(r.anchor().transactionHash());
            }
            assertEquals(3, txs.size(), "20 roots in batches of 8: three transactions");
        }
    }

    @Test
    void sendsAPartialBatchWhenTheOldestRootHasWaitedMaxDelay() throws Exception {
        try (AnvilNode node = AnvilNode.start();
                TransactionSender s = TransactionSender.connect(TestChain.config(node), TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
            try (BatchAnchorer a = BatchAnchorer.builder(client, dir.resolve("j.log"))
                    .maxBatchSize(1000).maxDelay(Duration.ofMillis(300)).open()) {
                long t0 = System.nanoTime();
                List<CompletableFuture<RootReceipt>> fs = TestChain.roots("time", 3).stream().map(a::submit).toList();
                RootReceipt last = fs.get(2).get(20, TimeUnit.SECONDS);
                assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(300), "sent before maxDelay");
                assertEquals(3, last.proof().treeSize());
                assertEquals(last.anchor(), fs.get(0).get().anchor(), "one transaction for the three");
                assertTrue(a.submit(TestChain.root("time/0")) != fs.get(0), "a confirmed root starts afresh");
            }
        }
    }

    @Test
    void replaysEveryUnconfirmedRootAfterACrash() throws Exception {
        Path journal = dir.resolve("j.log");
        try (AnvilNode node = AnvilNode.start();
                TransactionSender s = TransactionSender.connect(TestChain.config(node), TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
            List<Digest> roots = TestChain.roots("crash", 10);
            BatchAnchorer first = BatchAnchorer.builder(client, journal).background(false).open();
            roots.forEach(first::submit);
            first.close(); // the process "dies" before anything was sent
            try (BatchAnchorer second = BatchAnchorer.builder(client, journal).background(false).open()) {
                assertEquals(10, second.pendingCount());
                CompletableFuture<RootReceipt> f = second.submit(roots.get(3));
                List<BatchReceipt> sent = second.flush();
                assertEquals(1, sent.size());
                assertEquals(roots, sent.get(0).roots());
                assertTrue(f.isDone(), "a resubmitted pending root shares the replayed future");
                for (int i = 0; i < roots.size(); i++) {
                    assertTrue(client.verifyInclusion(sent.get(0).batchRoot(), roots.get(i), sent.get(0).proofs().get(i)));
                }
            }
            try (BatchAnchorer third = BatchAnchorer.builder(client, journal).background(false).open()) {
                assertEquals(0, third.pendingCount());
                assertTrue(third.flush().isEmpty());
            }
        }
    }

    @Test
    void batchThatReachedTheChainBeforeTheCrashIsRecordedNotResent() throws Exception {
        Path journal = dir.resolve("j.log");
        try (AnvilNode node = AnvilNode.start();
                TransactionSender s = TransactionSender.connect(TestChain.config(node), TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
            List<Digest> roots = TestChain.roots("sent", 5);
            Digest batchRoot = BatchRoots.batchRoot(roots);
            try (AnchorJournal j = AnchorJournal.open(journal)) {
                List<Long> seqs = roots.stream().map(j::accept).toList();
                j.beginBatch(batchRoot, seqs);
            }
            // the transaction went out and was mined, then the process died before journaling it
            AnchorReceipt onChain = client.anchorBatchRoot(batchRoot, roots.size());
            BigInteger nonceBefore = nonce(s);
            try (BatchAnchorer a = BatchAnchorer.builder(client, journal).background(false).open()) {
                List<BatchReceipt> sent = a.flush();
                assertEquals(1, sent.size());
                assertFalse(sent.get(0).anchor().fresh());
                assertEquals(onChain.transactionHash(), sent.get(0).anchor().transactionHash());
                assertEquals(onChain.blockNumber(), sent.get(0).anchor().blockNumber());
            }
            assertEquals(nonceBefore, nonce(s), "nothing may be sent for a batch already on chain");
        }
    }

    @Test
    void ridesOutAnAnvilRestartInTheMiddleOfBatching() throws Exception {
        Path state = dir.resolve("anvil-state.json");
        try (AnvilNode node = AnvilNode.builder().stateFile(state).start();
                TransactionSender s = TransactionSender.connect(TestChain.config(node), TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
            List<Digest> roots = TestChain.roots("restart", 96);
            List<CompletableFuture<RootReceipt>> fs = new ArrayList<>();
            try (BatchAnchorer a = BatchAnchorer.builder(client, dir.resolve("j.log"))
                    .maxBatchSize(16).maxDelay(Duration.ofMillis(100))
                    .failureBackoff(Duration.ofMillis(100), Duration.ofMillis(500)).open()) {
                for (int i = 0; i < roots.size(); i++) {
                    fs.add(a.submit(roots.get(i)));
                    if (i == 40) {
                        node.stop(); // SIGTERM: anvil dumps its state, batches in flight lose their node
                        Thread.sleep(300);
                    }
                    if (i == 60) {
                        node.startAgain(); // same port, state loaded
                    }
                    Thread.sleep(5);
                }
                assertTrue(a.awaitIdle(Duration.ofSeconds(60)), "still pending: " + a.pendingCount()
                        + ", last failure: " + a.lastFailure());
            }
            for (int i = 0; i < roots.size(); i++) {
                RootReceipt r = fs.get(i).get(1, TimeUnit.SECONDS);
                assertTrue(client.verifyInclusion(r.batchRoot(), roots.get(i), r.proof()), "root " + i + " on chain");
            }
            try (BatchAnchorer again = BatchAnchorer.builder(client, dir.resolve("j.log")).background(false).open()) {
                assertEquals(0, again.pendingCount());
            }
        }
    }

    @Test
    @Timeout(30)
    void reAnchorsConfirmedBatchesAfterAnvilIsKilledAndRestartedEmpty() throws Exception {
        Path journal = dir.resolve("j.log");
        List<Digest> roots = TestChain.roots("sigkill", 10);
        List<RootReceipt> before = new ArrayList<>();
        try (AnvilNode node = AnvilNode.start()) {
            String address;
            try (TransactionSender s = TransactionSender.connect(TestChain.config(node), TestChain.DEV0)) {
                TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
                address = client.address();
                try (BatchAnchorer a = BatchAnchorer.builder(client, journal).maxBatchSize(4).background(false).open()) {
                    List<CompletableFuture<RootReceipt>> fs = roots.stream().map(a::submit).toList();
                    assertEquals(3, a.flush().size());
                    for (CompletableFuture<RootReceipt> f : fs) {
                        before.add(f.get());
                    }
                }
                node.kill(); // SIGKILL, no state file: the chain is gone
                assertFalse(node.isRunning());
                node.startAgain(); // same port, empty chain
                assertEquals("0x", s.code(address), "the restarted chain has no contract");
                // the old client: the contract is gone, a typed error naming the address
                ContractMissingException e = assertThrows(ContractMissingException.class,
                        () -> BatchAnchorer.builder(client, journal).background(false).open());
                assertEquals(address, e.address());
                assertTrue(e.getMessage().contains(address), e.getMessage());
            }
            // the sender caches nonces: a fresh one for the fresh chain
            try (TransactionSender s = TransactionSender.connect(TestChain.config(node), TestChain.DEV0)) {
                TranscriptAnchorClient redeployed = TranscriptAnchorClient.deploy(s);
                assertEquals(address, redeployed.address(), "same dev key, nonce 0: same address");
                try (BatchAnchorer a = BatchAnchorer.builder(redeployed, journal).background(false).open()) {
                    assertEquals(roots.size(), a.pendingCount(), "reconcile on open reopened every lost batch");
                    List<BatchReceipt> again = a.flush();
                    assertEquals(3, again.size());
                    assertTrue(again.stream().allMatch(b -> b.anchor().fresh()));
                    assertEquals(before.stream().map(RootReceipt::batchRoot).distinct().toList(),
                            again.stream().map(BatchReceipt::batchRoot).toList(), "same batch roots");
                    assertEquals(0, a.pendingCount());
                }
                for (int i = 0; i < roots.size(); i++) {
                    RootReceipt r = before.get(i);
                    assertTrue(redeployed.isBatchAnchored(redeployed.submitter(), r.batchRoot()));
                    assertTrue(redeployed.verifyInclusion(r.batchRoot(), roots.get(i), r.proof()),
                            "root " + i + ": the proof handed out before the reset verifies on the new chain");
                }
                BigInteger nonce = nonce(s);
                try (BatchAnchorer a = BatchAnchorer.builder(redeployed, journal).background(false).open()) {
                    assertEquals(0, a.pendingCount());
                    assertTrue(a.reconcile().isEmpty());
                }
                assertEquals(nonce, nonce(s));
            }
        }
    }

    @Test
    void reconcileOnAHealthyChainSendsNothing() throws Exception {
        Path journal = dir.resolve("j.log");
        try (AnvilNode node = AnvilNode.start();
                TransactionSender s = TransactionSender.connect(TestChain.config(node), TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
            try (BatchAnchorer a = BatchAnchorer.builder(client, journal).maxBatchSize(3).background(false).open()) {
                TestChain.roots("healthy", 7).forEach(a::submit);
                assertEquals(3, a.flush().size());
            }
            BigInteger nonceBefore = nonce(s);
            long blockBefore = s.blockNumber();
            try (BatchAnchorer a = BatchAnchorer.builder(client, journal).background(false).open()) {
                assertTrue(a.reconcile().isEmpty());
                assertEquals(0, a.pendingCount());
                assertTrue(a.flush().isEmpty());
                assertEquals(0, a.prune(0));
            }
            assertEquals(nonceBefore, nonce(s), "reconcile must not send");
            assertEquals(blockBefore, s.blockNumber());
        }
    }

    @Test
    void unreachableNodeGivesATypedErrorAndNothingIsLost() throws Exception {
        Path state = dir.resolve("anvil-state.json");
        try (AnvilNode node = AnvilNode.builder().stateFile(state).start();
                TransactionSender s = TransactionSender.connect(TestChain.config(node)
                        .withRetry(new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(50)))
                        .withReceiptTimeout(Duration.ofSeconds(3)), TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
            node.stop();
            List<Digest> roots = TestChain.roots("down", 5);
            try (BatchAnchorer a = BatchAnchorer.builder(client, dir.resolve("j.log")).background(false).open()) {
                roots.forEach(a::submit);
                assertThrows(RpcUnavailableException.class, a::flush);
                assertEquals(5, a.pendingCount());
            }
            node.startAgain();
            try (BatchAnchorer a = BatchAnchorer.builder(client, dir.resolve("j.log")).background(false).open()) {
                assertEquals(5, a.pendingCount(), "accepted roots survive the failure and the restart");
                BatchReceipt b = a.flush().get(0);
                assertEquals(roots, b.roots());
                for (int i = 0; i < 5; i++) {
                    assertTrue(client.verifyInclusion(b.batchRoot(), roots.get(i), b.proofs().get(i)));
                }
            }
        }
    }

    @Test
    void underfundedAccountIsRetriedUntilFunded() throws Exception {
        try (AnvilNode node = AnvilNode.start();
                TransactionSender rich = TransactionSender.connect(TestChain.config(node), TestChain.DEV0)) {
            TranscriptAnchorClient deployed = TranscriptAnchorClient.deploy(rich);
            Credentials poor = Credentials.create("0x" + "5b".repeat(32));
            try (TransactionSender s = TransactionSender.connect(TestChain.config(node), poor);
                    BatchAnchorer a = BatchAnchorer.builder(TranscriptAnchorClient.at(s, deployed.address()),
                            dir.resolve("j.log")).maxDelay(Duration.ofMillis(50))
                            .failureBackoff(Duration.ofMillis(100), Duration.ofMillis(300)).open()) {
                List<CompletableFuture<RootReceipt>> fs = TestChain.roots("poor", 4).stream().map(a::submit).toList();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (a.lastFailure().isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertInstanceOf(InsufficientFundsException.class, a.lastFailure().orElseThrow());
                assertEquals(4, a.pendingCount());
                setBalance(node, poor.getAddress(), new BigInteger("1000000000000000000"));
                for (CompletableFuture<RootReceipt> f : fs) {
                    RootReceipt r = f.get(20, TimeUnit.SECONDS);
                    assertTrue(deployed.verifyInclusion(r), "checked against the poor account, its submitter");
                    assertFalse(deployed.verifyInclusion(r.batchRoot(), r.root(), r.proof()), "the rich account anchored nothing");
                }
                assertTrue(a.lastFailure().isEmpty());
            }
        }
    }

    @Test
    void revertedBatchTransactionIsATypedErrorAndIsRetried() throws Exception {
        AtomicInteger estimates = new AtomicInteger();
        try (AnvilNode node = AnvilNode.start();
                TransactionSender s = TransactionSender.connect(TestChain.config(node).withGasLimit(
                        e -> estimates.getAndIncrement() == 1 ? BigInteger.valueOf(30_000) : ChainConfig.DEFAULT_GAS_LIMIT.apply(e)),
                        TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s); // estimate #0
            List<Digest> roots = TestChain.roots("revert", 6);
            try (BatchAnchorer a = BatchAnchorer.builder(client, dir.resolve("j.log")).background(false).open()) {
                roots.forEach(a::submit);
                TransactionRevertedException e = assertThrows(TransactionRevertedException.class, a::flush);
                assertTrue(e.transactionHash().isPresent(), "the batch was mined and reverted: " + e.getMessage());
                assertEquals(6, a.pendingCount());
                BatchReceipt b = a.flush().get(0);
                assertEquals(roots, b.roots());
                assertTrue(b.anchor().fresh());
                assertTrue(client.isBatchAnchored(client.submitter(), b.batchRoot()));
            }
        }
    }

    @Test
    void waitsForTheConfiguredConfirmations() throws Exception {
        try (AnvilNode node = AnvilNode.builder().blockTime(Duration.ofSeconds(1)).start();
                TransactionSender s = TransactionSender.connect(TestChain.config(node).withConfirmations(3), TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
            AnchorReceipt r = client.anchor(TestChain.root("deep"));
            assertTrue(s.blockNumber() >= r.blockNumber() + 2, "returned before 3 confirmations");
        }
    }

    private static BigInteger nonce(TransactionSender s) throws Exception {
        return s.web3j().ethGetTransactionCount(s.address(), DefaultBlockParameterName.LATEST).send().getTransactionCount();
    }

    private static void setBalance(AnvilNode node, String address, BigInteger wei) throws Exception {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"anvil_setBalance\",\"params\":[\"" + address + "\",\"0x"
                + wei.toString(16) + "\"]}";
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.rpcUrl()))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(r.body().contains("\"result\""), r.body());
    }
}
