package dev.opg.chain;

import dev.opg.core.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only, fsync'd record of what a {@link BatchAnchorer} accepted, grouped and confirmed.
 *
 * <p>One line per event, each {@code <crc32c as 8 hex digits> <payload>\n}, where payload is
 * <ul>
 *   <li>{@code A <seq> <root hex>}: a root was accepted;</li>
 *   <li>{@code B <batch id> <batch root hex> <seq>,<seq>,...}: those roots form a batch, in that
 *       order, written <em>before</em> the batch is sent so a resend has the same batch root;</li>
 *   <li>{@code C <batch id> <tx hash or -> <block>}: the batch is anchored and confirmed;</li>
 *   <li>{@code K <batch id> <batch root hex> <tx hash or -> <block> <seq>,... <root hex>,...}: a
 *       confirmed batch, self-contained (written by compaction in place of its A, B and C lines);</li>
 *   <li>{@code R <batch id>}: a confirmed batch is no longer on chain (chain reset, deep reorg) and
 *       is open again, to be re-anchored with the same batch root.</li>
 * </ul>
 * Every append is forced to disk before the method returns. On open, a damaged or unterminated
 * last line (a write torn by a crash) is logged, ignored and cut off; a damaged line with good
 * lines after it is real corruption and throws {@link JournalCorruptedException}. Opening also
 * compacts the file (atomic rename): pending roots and open batches are kept as they are, and each
 * confirmed batch shrinks to one {@code K} line so that it can be re-anchored if the chain loses it.
 *
 * <p><b>Retention.</b> Confirmed batches are kept <em>forever</em> by default (one line each,
 * about 70 bytes per root). {@link #prune(long)} drops those confirmed in blocks below a given
 * number; after that they can no longer be re-anchored from this journal.
 *
 * <p><b>One opener at a time.</b> {@link #open} takes an exclusive {@link FileLock} on the lock
 * file {@code <journal>.lock} beside the journal (a separate file, because compaction replaces the
 * journal itself by a rename) and holds it until {@link #close}. A second open of the same journal,
 * from another process or from this one, is refused with {@link JournalLockedException} before it
 * reads anything: two writers would each compact the file from their own memory and drop the
 * other's roots. The operating system releases the lock when the holder dies, so a crashed process
 * never leaves the journal locked. The lock file is left in place (deleting it would let two
 * later openers lock two different files).
 *
 * <p>Thread-safe: every method is synchronized.
 */
public final class AnchorJournal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AnchorJournal.class);

    /** An accepted root not yet in a batch. */
    public record Accepted(long seq, Digest root) {}

    /** A batch formed (and maybe sent) but not confirmed. */
    public record OpenBatch(long id, Digest batchRoot, List<Long> seqs, List<Digest> roots) {
        public OpenBatch {
            seqs = List.copyOf(seqs);
            roots = List.copyOf(roots);
        }
    }

    /** A batch recorded as anchored and confirmed, kept so that it can be re-anchored. */
    public record ConfirmedBatch(long id, Digest batchRoot, List<Long> seqs, List<Digest> roots, String txHash,
            long blockNumber) {
        public ConfirmedBatch {
            seqs = List.copyOf(seqs);
            roots = List.copyOf(roots);
        }

        OpenBatch reopened() {
            return new OpenBatch(id, batchRoot, seqs, roots);
        }
    }

    private final Path file;
    private FileChannel channel;
    private FileChannel lockChannel;
    private FileLock lock;
    private final Map<Long, Digest> unbatched = new LinkedHashMap<>();
    private final Map<Long, Digest> batchedRoots = new LinkedHashMap<>();
    private final Map<Long, OpenBatch> open = new LinkedHashMap<>();
    private final Map<Long, ConfirmedBatch> confirmed = new java.util.TreeMap<>();
    private long nextSeq;
    private long nextBatch;
    private int tornLines;

    private AnchorJournal(Path file) {
        this.file = file;
    }

    /**
     * Opens (creating if absent) the journal at {@code file}, locks it, replays it and compacts it.
     *
     * @throws JournalLockedException if another opener (any process, this one included) holds it
     * @throws JournalCorruptedException if a line before the last is damaged
     * @throws ChainException if the file cannot be read or written
     */
    public static AnchorJournal open(Path file) {
        AnchorJournal j = new AnchorJournal(file);
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            j.lock();
        } catch (IOException e) {
            j.close();
            throw new ChainException("cannot lock anchor journal " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            j.close();
            throw e;
        }
        try {
            if (Files.exists(file)) {
                j.replay(Files.readAllBytes(file));
            }
            j.compact();
            j.channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            j.close();
            throw new ChainException("cannot open anchor journal " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            j.close();
            throw e;
        }
        return j;
    }

    /** The lock file of the journal at {@code file}: {@code <file>.lock}. */
    public static Path lockFileOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".lock");
    }

    private void lock() throws IOException {
        Path lf = lockFileOf(file);
        lockChannel = FileChannel.open(lf, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null; // held by another AnchorJournal in this JVM
        }
        if (l == null) {
            throw new JournalLockedException(file, lf, "anchor journal " + file + " is already open (lock " + lf
                    + " is held by another process or another BatchAnchorer in this one); two writers would lose "
                    + "each other's roots. Close the other one first, or give each process its own journal file");
        }
        lock = l;
    }

    private void replay(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        // split leaves "" after a final '\n'; anything else there is an unterminated (torn) line
        String last = lines.remove(lines.size() - 1);
        if (!last.isEmpty()) {
            tornLines++;
            log.warn("anchor journal {}: ignoring an unterminated last line ({} bytes), a write torn by a crash",
                    file, last.length());
        }
        for (int i = 0; i < lines.size(); i++) {
            String payload = verified(lines.get(i));
            if (payload == null) {
                if (i == lines.size() - 1) {
                    tornLines++;
                    log.warn("anchor journal {}: ignoring a damaged last line {}, a write torn by a crash", file, i + 1);
                    break;
                }
                throw new JournalCorruptedException("anchor journal " + file + " line " + (i + 1) + " of " + lines.size()
                        + " fails its checksum but later lines are intact: the file is corrupted, not torn; "
                        + "restore it from a copy (expected '<crc32c hex> <payload>' on every line)");
            }
            try {
                apply(payload);
            } catch (RuntimeException e) {
                throw new JournalCorruptedException("anchor journal " + file + " line " + (i + 1)
                        + " has a valid checksum but an unreadable payload '" + payload + "': " + e.getMessage());
            }
        }
    }

    private static String verified(String line) {
        if (line.length() < 10 || line.charAt(8) != ' ') {
            return null;
        }
        String payload = line.substring(9);
        try {
            return Long.parseLong(line.substring(0, 8), 16) == crc(payload) ? payload : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private void apply(String payload) {
        String[] f = payload.split(" ");
        switch (f[0]) {
            case "A" -> {
                long seq = Long.parseLong(f[1]);
                unbatched.put(seq, Digest.fromHex(f[2]));
                nextSeq = Math.max(nextSeq, seq + 1);
            }
            case "B" -> {
                long id = Long.parseLong(f[1]);
                List<Long> seqs = new ArrayList<>();
                List<Digest> roots = new ArrayList<>();
                for (String s : f[3].split(",")) {
                    long seq = Long.parseLong(s);
                    Digest r = unbatched.remove(seq);
                    if (r == null) {
                        r = batchedRoots.get(seq);
                    }
                    if (r == null) {
                        throw new IllegalStateException("batch " + id + " names root #" + seq + ", never accepted");
                    }
                    batchedRoots.put(seq, r);
                    seqs.add(seq);
                    roots.add(r);
                }
                open.put(id, new OpenBatch(id, Digest.fromHex(f[2]), seqs, roots));
                nextBatch = Math.max(nextBatch, id + 1);
            }
            case "C" -> {
                long id = Long.parseLong(f[1]);
                OpenBatch b = open.remove(id);
                if (b != null) {
                    b.seqs().forEach(batchedRoots::remove);
                    confirmed.put(id, confirmedOf(b, f[2], Long.parseLong(f[3])));
                }
            }
            case "K" -> {
                long id = Long.parseLong(f[1]);
                List<Long> seqs = new ArrayList<>();
                for (String s : f[5].split(",")) {
                    seqs.add(Long.parseLong(s));
                }
                List<Digest> roots = new ArrayList<>();
                for (String r : f[6].split(",")) {
                    roots.add(Digest.fromHex(r));
                }
                if (seqs.size() != roots.size()) {
                    throw new IllegalStateException("confirmed batch " + id + " has " + seqs.size() + " seqs but "
                            + roots.size() + " roots");
                }
                confirmed.put(id, new ConfirmedBatch(id, Digest.fromHex(f[2]), seqs, roots,
                        "-".equals(f[3]) ? null : f[3], Long.parseLong(f[4])));
                nextBatch = Math.max(nextBatch, id + 1);
                nextSeq = Math.max(nextSeq, seqs.stream().mapToLong(Long::longValue).max().orElse(-1) + 1);
            }
            case "R" -> {
                long id = Long.parseLong(f[1]);
                ConfirmedBatch c = confirmed.remove(id);
                if (c == null) {
                    throw new IllegalStateException("batch " + id + " is reopened but was not confirmed");
                }
                reopenInMemory(c);
            }
            default -> throw new IllegalStateException("unknown record type " + f[0]);
        }
    }

    private static ConfirmedBatch confirmedOf(OpenBatch b, String tx, long block) {
        return new ConfirmedBatch(b.id(), b.batchRoot(), b.seqs(), b.roots(), "-".equals(tx) ? null : tx, block);
    }

    private void reopenInMemory(ConfirmedBatch c) {
        for (int i = 0; i < c.seqs().size(); i++) {
            batchedRoots.put(c.seqs().get(i), c.roots().get(i));
        }
        open.put(c.id(), c.reopened());
    }

    /**
     * Rewrites the file via a temporary file and an atomic rename: confirmed batches as one
     * {@code K} line each, then the pending roots and the open batches.
     */
    private void compact() throws IOException {
        StringBuilder sb = new StringBuilder();
        confirmed.values().forEach(c -> sb.append(line(confirmedPayload(c))));
        Map<Long, Digest> all = new java.util.TreeMap<>(batchedRoots);
        all.putAll(unbatched);
        all.forEach((seq, root) -> sb.append(line("A " + seq + " " + root.hex())));
        open.values().forEach(b -> sb.append(line(batchPayload(b))));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(c, sb.toString());
            c.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (file.toAbsolutePath().getParent() != null) {
            try (FileChannel dir = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            } catch (IOException e) {
                log.debug("cannot fsync the journal's folder: {}", e.toString()); // not supported everywhere
            }
        }
    }

    /** Records that {@code root} was accepted, durably; returns its sequence number. */
    public synchronized long accept(Digest root) {
        long seq = nextSeq++;
        append("A " + seq + " " + root.hex());
        unbatched.put(seq, root);
        return seq;
    }

    /** Records that the roots {@code seqs} (accepted, not yet batched) form a batch with {@code batchRoot}. */
    public synchronized OpenBatch beginBatch(Digest batchRoot, List<Long> seqs) {
        List<Digest> roots = new ArrayList<>(seqs.size());
        for (long s : seqs) {
            Digest r = unbatched.get(s);
            if (r == null) {
                throw new IllegalStateException("root #" + s + " is not an accepted, unbatched root");
            }
            roots.add(r);
        }
        OpenBatch b = new OpenBatch(nextBatch++, batchRoot, seqs, roots);
        append(batchPayload(b));
        seqs.forEach(s -> batchedRoots.put(s, unbatched.remove(s)));
        open.put(b.id(), b);
        return b;
    }

    /** Records that batch {@code id} is anchored and confirmed. */
    public synchronized void confirm(long id, String txHash, long block) {
        OpenBatch b = open.get(id);
        if (b == null) {
            throw new IllegalStateException("batch " + id + " is not open");
        }
        append("C " + id + " " + (txHash == null ? "-" : txHash) + " " + block);
        open.remove(id);
        b.seqs().forEach(batchedRoots::remove);
        confirmed.put(id, confirmedOf(b, txHash == null ? "-" : txHash, block));
    }

    /**
     * Records that confirmed batch {@code id} is no longer on chain: it is open again (same roots,
     * same batch root) and pending until confirmed anew.
     */
    public synchronized OpenBatch reopen(long id) {
        ConfirmedBatch c = confirmed.get(id);
        if (c == null) {
            throw new IllegalStateException("batch " + id + " is not confirmed");
        }
        append("R " + id);
        confirmed.remove(id);
        reopenInMemory(c);
        return open.get(id);
    }

    /** Batches recorded as confirmed (and not pruned), oldest first. */
    public synchronized List<ConfirmedBatch> confirmedBatches() {
        return List.copyOf(confirmed.values());
    }

    /**
     * Forgets confirmed batches anchored in blocks below {@code olderThanBlock} (they can then no
     * longer be re-anchored from this journal) and rewrites the file without them.
     *
     * @return how many batches were dropped
     */
    public synchronized int prune(long olderThanBlock) {
        if (channel == null || !channel.isOpen()) {
            throw new ChainException("anchor journal " + file + " is closed");
        }
        int before = confirmed.size();
        confirmed.values().removeIf(c -> c.blockNumber() < olderThanBlock);
        int dropped = before - confirmed.size();
        if (dropped > 0) {
            try {
                if (channel != null) {
                    channel.close();
                }
                compact();
                channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new ChainException("cannot rewrite anchor journal " + file + " while pruning: " + e.getMessage(), e);
            }
        }
        return dropped;
    }

    /** Accepted roots not yet in any batch, in acceptance order. */
    public synchronized List<Accepted> unbatched() {
        List<Accepted> out = new ArrayList<>();
        unbatched.forEach((s, r) -> out.add(new Accepted(s, r)));
        return out;
    }

    /** Batches formed but not confirmed, oldest first. */
    public synchronized List<OpenBatch> openBatches() {
        return List.copyOf(open.values());
    }

    /** Roots accepted and not yet confirmed. */
    public synchronized int pendingCount() {
        return unbatched.size() + batchedRoots.size();
    }

    /** Damaged or unterminated last lines skipped when this journal was opened (0 or 1). */
    public synchronized int tornLinesSkipped() {
        return tornLines;
    }

    public Path file() {
        return file;
    }

    private static String confirmedPayload(ConfirmedBatch c) {
        List<String> s = new ArrayList<>(c.seqs().size());
        c.seqs().forEach(x -> s.add(Long.toString(x)));
        List<String> r = new ArrayList<>(c.roots().size());
        c.roots().forEach(x -> r.add(x.hex()));
        return "K " + c.id() + " " + c.batchRoot().hex() + " " + (c.txHash() == null ? "-" : c.txHash()) + " "
                + c.blockNumber() + " " + String.join(",", s) + " " + String.join(",", r);
    }

    private static String batchPayload(OpenBatch b) {
        List<String> s = new ArrayList<>(b.seqs().size());
        b.seqs().forEach(x -> s.add(Long.toString(x)));
        return "B " + b.id() + " " + b.batchRoot().hex() + " " + String.join(",", s);
    }

    private void append(String payload) {
        if (channel == null || !channel.isOpen()) {
            throw new ChainException("anchor journal " + file + " is closed");
        }
        try {
            writeFully(channel, line(payload));
            channel.force(false);
        } catch (IOException e) {
            throw new ChainException("cannot write anchor journal " + file + ": " + e.getMessage()
                    + "; the root was not accepted", e);
        }
    }

    private static String line(String payload) {
        return String.format("%08x %s", crc(payload), payload) + "\n";
    }

    private static long crc(String payload) {
        CRC32C c = new CRC32C();
        c.update(payload.getBytes(StandardCharsets.UTF_8));
        return c.getValue();
    }

    private static void writeFully(FileChannel c, String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    /** Unmodifiable view for tests and tools. */
    synchronized Map<Long, OpenBatch> openView() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(open));
    }

    @Override
    public synchronized void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.warn("closing anchor journal {}: {}", file, e.toString());
            }
        }
        // Closing the channel releases the lock; the lock file stays (see the class comment).
        if (lockChannel != null) {
            try {
                lockChannel.close();
            } catch (IOException e) {
                log.warn("releasing the lock of anchor journal {}: {}", file, e.toString());
            }
            lockChannel = null;
            lock = null;
        }
    }
}
