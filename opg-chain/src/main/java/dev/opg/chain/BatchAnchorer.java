package dev.opg.chain;

import dev.opg.core.Digest;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.MerkleTree;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects transcript roots and anchors them in batches: one {@code anchorBatch} transaction per
 * batch, sent when {@code maxBatchSize} roots are waiting or the oldest has waited
 * {@code maxDelay}, or on {@link #flush()}.
 *
 * <p><b>Nothing accepted is lost.</b> {@link #submit} returns only after the root is in the
 * {@link AnchorJournal} on disk. A batch's composition is journaled before it is sent, so after a
 * crash or restart {@link Builder#open()} replays the journal and anchors every unconfirmed root exactly
 * once: a batch that already reached the chain is found there ({@code isBatchAnchored} for this
 * client's own account) and only recorded; one that did not is sent again with the same batch
 * root (a double send is harmless, the contract ignores a batch its submitter already anchored).
 * Only this account's own anchors count: another account that anchors a pending batch root
 * first (with any count) anchors it for itself and changes nothing here. Failures in the background (node unreachable, revert,
 * no funds) are logged, kept in {@link #lastFailure()}, and retried with backoff; the roots stay
 * pending and journaled meanwhile.
 *
 * <p><b>Confirmed is not final.</b> Confirmed batches stay in the journal (one line each, until
 * {@link #prune}) and {@link #reconcile()} (run on open) asks the contract, with view calls only,
 * whether each one's batch root is still anchored. One the chain lost (a reorg deeper than the
 * confirmation count, a dev node restarted without its state) is reopened and anchored again with
 * the same batch root, so receipts and inclusion proofs handed out before stay valid.
 */
public final class BatchAnchorer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BatchAnchorer.class);

    /** Settings; see {@link BatchAnchorer#builder}. */
    public static final class Builder {
        private final TranscriptAnchorClient client;
        private final Path journal;
        private int maxBatchSize = 256;
        private Duration maxDelay = Duration.ofSeconds(2);
        private Duration failureBackoff = Duration.ofMillis(200);
        private Duration maxFailureBackoff = Duration.ofSeconds(5);
        private boolean background = true;

        private Builder(TranscriptAnchorClient client, Path journal) {
            this.client = Objects.requireNonNull(client, "client");
            this.journal = Objects.requireNonNull(journal, "journal");
        }

        /** Most roots in one batch (default 256). */
        public Builder maxBatchSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxBatchSize must be >= 1; got " + n);
            }
            this.maxBatchSize = n;
            return this;
        }

        /** Longest a root waits before its batch is sent (default 2 s). */
        public Builder maxDelay(Duration d) {
            this.maxDelay = Objects.requireNonNull(d, "maxDelay");
            return this;
        }

        /** Backoff after a failed background send: from {@code initial}, doubling, capped at {@code max}. */
        public Builder failureBackoff(Duration initial, Duration max) {
            this.failureBackoff = initial;
            this.maxFailureBackoff = max;
            return this;
        }

        /** False: no background thread; batches go out only on {@link #flush()}. */
        public Builder background(boolean on) {
            this.background = on;
            return this;
        }

        /**
         * Opens the journal, replays it, {@linkplain BatchAnchorer#reconcile() reconciles} its confirmed
         * batches with the chain (deferred to the first send if the node does not answer) and (with
         * background on) starts sending.
         *
         * @throws ContractMissingException if the client's contract is not on the chain (reset chain)
         */
        public BatchAnchorer open() {
            return new BatchAnchorer(this);
        }
    }

    private record Pending(long seq, Digest root, CompletableFuture<RootReceipt> future, long acceptedNanos) {}

    private final TranscriptAnchorClient client;
    private final AnchorJournal journal;
    private final int maxBatchSize;
    private final Duration maxDelay;
    private final Duration failureBackoff;
    private final Duration maxFailureBackoff;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Guarded by lock: accepted roots not yet in a batch, in order. */
    private final LinkedHashMap<Long, Pending> waiting = new LinkedHashMap<>();
    /** Guarded by lock: futures of roots in open batches, by seq. */
    private final Map<Long, CompletableFuture<RootReceipt>> inBatch = new HashMap<>();
    /** Guarded by lock: pending futures by root, so a resubmitted root shares its future. */
    private final Map<Digest, CompletableFuture<RootReceipt>> byRoot = new HashMap<>();
    private final ReentrantLock sendLock = new ReentrantLock();
    private volatile boolean closed;
    private volatile ChainException lastFailure;
    /** False until a {@link #reconcile()} succeeded; drain reconciles first while false. */
    private volatile boolean reconciled;
    private final Thread worker;

    public static Builder builder(TranscriptAnchorClient client, Path journal) {
        return new Builder(client, journal);
    }

    private BatchAnchorer(Builder b) {
        this.client = b.client;
        this.maxBatchSize = b.maxBatchSize;
        this.maxDelay = b.maxDelay;
        this.failureBackoff = b.failureBackoff;
        this.maxFailureBackoff = b.maxFailureBackoff;
        this.journal = AnchorJournal.open(b.journal);
        long now = System.nanoTime();
        for (AnchorJournal.OpenBatch ob : journal.openBatches()) {
            for (int i = 0; i < ob.seqs().size(); i++) {
                CompletableFuture<RootReceipt> f = byRoot.computeIfAbsent(ob.roots().get(i), r -> new CompletableFuture<>());
                inBatch.put(ob.seqs().get(i), f);
            }
        }
        for (AnchorJournal.Accepted a : journal.unbatched()) {
            CompletableFuture<RootReceipt> f = byRoot.computeIfAbsent(a.root(), r -> new CompletableFuture<>());
            waiting.put(a.seq(), new Pending(a.seq(), a.root(), f, now - maxDelay.toNanos())); // due at once
        }
        if (journal.pendingCount() > 0) {
            log.info("anchor journal {}: replaying {} unconfirmed root(s) in {} open batch(es) and {} unbatched",
                    b.journal, journal.pendingCount(), journal.openBatches().size(), waiting.size());
        }
        try {
            reconcile();
        } catch (ContractMissingException e) {
            journal.close();
            throw e;
        } catch (ChainException e) {
            log.warn("anchor journal {}: cannot check the {} confirmed batch(es) against the chain yet ({}); "
                    + "will before the next send", b.journal, journal.confirmedBatches().size(), e.getMessage());
        }
        if (b.background) {
            worker = Thread.ofPlatform().name("opg-batch-anchorer").daemon(true).unstarted(this::run);
            worker.start();
        } else {
            worker = null;
        }
    }

    /**
     * Accepts {@code root} for anchoring. When this returns, the root is on disk in the journal.
     * The future completes with the root's receipt (inclusion proof included) once its batch is
     * confirmed. Submitting a root that is still pending returns the same future.
     *
     * @throws ChainException if the journal cannot be written (the root was then not accepted)
     */
    public CompletableFuture<RootReceipt> submit(Digest root) {
        Objects.requireNonNull(root, "root");
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("this BatchAnchorer is closed");
            }
            CompletableFuture<RootReceipt> existing = byRoot.get(root);
            if (existing != null) {
                return existing;
            }
            long seq = journal.accept(root);
            CompletableFuture<RootReceipt> f = new CompletableFuture<>();
            byRoot.put(root, f);
            waiting.put(seq, new Pending(seq, root, f, System.nanoTime()));
            changed.signalAll();
            return f;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends every pending root now (open batches first, then the waiting roots in batches of at
     * most {@code maxBatchSize}) and waits for each batch's confirmation.
     *
     * @return the receipts of the batches confirmed by this call
     * @throws ChainException (typed) at the first batch that fails; nothing is lost, later calls retry
     */
    public List<BatchReceipt> flush() {
        return drain(true);
    }

    /**
     * Checks every confirmed batch in the journal against the chain, with view calls only: one
     * {@code eth_getCode} for the contract and one {@code isBatchAnchored(submitter, batchRoot)} per
     * batch, asking for this client's own account. Each
     * batch whose root the contract does not know is reopened in the journal and becomes pending
     * again; it is re-anchored, with the same batch root (so the same proofs), by the background
     * thread or the next {@link #flush()}. Runs on open; call it again after a suspected reorg.
     * Sends nothing on a healthy chain.
     *
     * @return the batches reopened (empty if the chain still has them all)
     * @throws ContractMissingException naming the address if no TranscriptAnchor is there (the
     *     chain was reset): deploy it again and open this journal with a client for the new contract
     * @throws ChainException (typed) if the node cannot be asked; nothing changes then
     */
    public List<AnchorJournal.OpenBatch> reconcile() {
        sendLock.lock();
        try {
            client.requireDeployed();
            List<AnchorJournal.OpenBatch> reopened = new ArrayList<>();
            for (AnchorJournal.ConfirmedBatch c : journal.confirmedBatches()) {
                if (client.isBatchAnchored(client.submitter(), c.batchRoot())) {
                    continue;
                }
                lock.lock();
                try {
                    AnchorJournal.OpenBatch ob = journal.reopen(c.id());
                    for (int i = 0; i < ob.seqs().size(); i++) {
                        CompletableFuture<RootReceipt> f = byRoot.computeIfAbsent(ob.roots().get(i), r -> new CompletableFuture<>());
                        inBatch.put(ob.seqs().get(i), f);
                    }
                    reopened.add(ob);
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                log.warn("batch {} ({} roots, root {}) was confirmed in block {} (tx {}) but contract {} no longer knows it; "
                        + "reopened to be anchored again", c.id(), c.roots().size(), c.batchRoot(), c.blockNumber(),
                        c.txHash(), client.address());
            }
            reconciled = true;
            if (!reopened.isEmpty()) {
                log.warn("reconcile: {} of {} confirmed batch(es) lost by the chain, {} root(s) pending again",
                        reopened.size(), reopened.size() + journal.confirmedBatches().size(),
                        reopened.stream().mapToInt(b -> b.roots().size()).sum());
            }
            return reopened;
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Forgets confirmed batches anchored below block {@code olderThanBlock}: the journal keeps every
     * confirmed batch until this is called (forever by default), so that {@link #reconcile()} can
     * re-anchor them. Call it once those blocks are final for you.
     *
     * @return how many batches were dropped
     */
    public int prune(long olderThanBlock) {
        sendLock.lock();
        try {
            return journal.prune(olderThanBlock);
        } finally {
            sendLock.unlock();
        }
    }

    /** Roots accepted and not yet confirmed. */
    public int pendingCount() {
        return journal.pendingCount();
    }

    /** The last failure of a background send, if the last attempt failed. */
    public Optional<ChainException> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /** Waits until no accepted root is unconfirmed; false on timeout. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (journal.pendingCount() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        int failures = 0;
        while (!closed) {
            try {
                if (!awaitWork()) {
                    continue;
                }
                drain(false);
                lastFailure = null;
                failures = 0;
            } catch (InterruptedException e) {
                return;
            } catch (ChainException e) {
                if (closed) {
                    return;
                }
                lastFailure = e;
                failures++;
                long ms = failureBackoff.toMillis() << Math.min(failures - 1, 16);
                ms = Math.min(ms, maxFailureBackoff.toMillis());
                log.warn("anchoring failed ({} pending roots kept in the journal), retrying in {} ms: {}",
                        journal.pendingCount(), ms, e.getMessage());
                try {
                    Thread.sleep(ms);
                } catch (InterruptedException ie) {
                    return;
                }
            } catch (RuntimeException e) {
                lastFailure = new ChainException("unexpected failure while anchoring: " + e, e);
                log.error("unexpected failure while anchoring; roots stay in the journal", e);
                try {
                    Thread.sleep(maxFailureBackoff.toMillis());
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Blocks until a batch is due; true if there is work. */
    private boolean awaitWork() throws InterruptedException {
        lock.lock();
        try {
            while (!closed) {
                if (!journal.openBatches().isEmpty() || waiting.size() >= maxBatchSize) {
                    return true;
                }
                if (!waiting.isEmpty()) {
                    long due = waiting.values().iterator().next().acceptedNanos() + maxDelay.toNanos();
                    long left = due - System.nanoTime();
                    if (left <= 0) {
                        return true;
                    }
                    changed.awaitNanos(left);
                } else {
                    changed.await();
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    private List<BatchReceipt> drain(boolean all) {
        sendLock.lock();
        try {
            if (!reconciled) {
                reconcile();
            }
            List<BatchReceipt> done = new ArrayList<>();
            for (AnchorJournal.OpenBatch b : journal.openBatches()) {
                done.add(send(b));
            }
            while (true) {
                AnchorJournal.OpenBatch b = nextBatch(all);
                if (b == null) {
                    return done;
                }
                done.add(send(b));
            }
        } finally {
            sendLock.unlock();
        }
    }

    /** Forms and journals the next batch from the waiting roots, or null if none is due. */
    private AnchorJournal.OpenBatch nextBatch(boolean all) {
        lock.lock();
        try {
            if (waiting.isEmpty()) {
                return null;
            }
            Pending first = waiting.values().iterator().next();
            boolean due = all || waiting.size() >= maxBatchSize
                    || System.nanoTime() - first.acceptedNanos() >= maxDelay.toNanos();
            if (!due) {
                return null;
            }
            List<Long> seqs = new ArrayList<>();
            List<Digest> roots = new ArrayList<>();
            Iterator<Pending> it = waiting.values().iterator();
            while (it.hasNext() && seqs.size() < maxBatchSize) {
                Pending p = it.next();
                seqs.add(p.seq());
                roots.add(p.root());
            }
            AnchorJournal.OpenBatch b = journal.beginBatch(BatchRoots.batchRoot(roots), seqs);
            for (long s : seqs) {
                inBatch.put(s, waiting.remove(s).future());
            }
            return b;
        } finally {
            lock.unlock();
        }
    }

    private BatchReceipt send(AnchorJournal.OpenBatch b) {
        MerkleTree tree = BatchRoots.tree(b.roots());
        if (!tree.root().equals(b.batchRoot())) {
            throw new JournalCorruptedException("journal batch " + b.id() + " claims root " + b.batchRoot()
                    + " but its roots hash to " + tree.root());
        }
        AnchorReceipt anchor;
        // Only our own account's anchor counts: someone else's record of this batch root (with
        // whatever count) is that account's claim and never stands in for ours.
        Optional<AnchorReceipt> already = client.findBatchAnchor(b.batchRoot());
        if (already.isPresent()) {
            anchor = already.get();
            if (anchor.count() != b.roots().size()) {
                throw new ChainException("account " + client.submitter() + " anchored batch root " + b.batchRoot()
                        + " over " + anchor.count() + " roots in block " + anchor.blockNumber() + ", but journal batch "
                        + b.id() + " holds " + b.roots().size() + "; is another journal sending from this account?");
            }
            client.sender().awaitDepth(anchor.blockNumber());
            log.info("batch {} ({} roots, root {}) was already anchored in block {}; recording it", b.id(),
                    b.roots().size(), b.batchRoot(), anchor.blockNumber());
        } else {
            anchor = client.anchorBatchRoot(b.batchRoot(), b.roots().size());
            log.info("anchored batch {} of {} roots, root {} in block {} (tx {}, {} gas)", b.id(), b.roots().size(),
                    b.batchRoot(), anchor.blockNumber(), anchor.transactionHash(), anchor.gasUsed());
        }
        List<InclusionProof> proofs = BatchRoots.proofs(tree);
        BatchReceipt receipt = new BatchReceipt(b.batchRoot(), b.roots(), proofs, anchor);
        lock.lock();
        try {
            journal.confirm(b.id(), anchor.transactionHash(), anchor.blockNumber());
            for (int i = 0; i < b.seqs().size(); i++) {
                CompletableFuture<RootReceipt> f = inBatch.remove(b.seqs().get(i));
                byRoot.remove(b.roots().get(i));
                if (f != null) {
                    f.complete(receipt.rootReceipt(i));
                }
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return receipt;
    }

    /**
     * Stops the background thread. Roots still pending stay in the journal and are anchored by
     * the next {@link Builder#open()} of it; their futures in this instance stay incomplete.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (worker != null) {
            worker.interrupt();
            try {
                worker.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        sendLock.lock();
        try {
            journal.close();
        } finally {
            sendLock.unlock();
        }
    }
}
