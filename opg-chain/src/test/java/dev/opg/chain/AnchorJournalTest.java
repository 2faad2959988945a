package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnchorJournalTest {
    @TempDir
    Path dir;

    @Test
    void replaysAcceptedBatchedAndConfirmedRoots() {
        Path f = dir.resolve("j.log");
        List<Digest> r = TestChain.roots("j", 5);
        try (AnchorJournal j = AnchorJournal.open(f)) {
            for (Digest d : r) {
                j.accept(d);
            }
            AnchorJournal.OpenBatch b0 = j.beginBatch(BatchRoots.batchRoot(r.subList(0, 2)), List.of(0L, 1L));
            j.beginBatch(BatchRoots.batchRoot(r.subList(2, 4)), List.of(2L, 3L));
            j.confirm(b0.id(), "0xabc", 7);
        }
        try (AnchorJournal j = AnchorJournal.open(f)) {
            assertEquals(3, j.pendingCount());
            assertEquals(List.of(new AnchorJournal.Accepted(4, r.get(4))), j.unbatched());
            assertEquals(1, j.openBatches().size());
            AnchorJournal.OpenBatch b1 = j.openBatches().get(0);
            assertEquals(List.of(r.get(2), r.get(3)), b1.roots());
            assertEquals(BatchRoots.batchRoot(r.subList(2, 4)), b1.batchRoot());
            // new sequence numbers and batch ids never collide with replayed ones
            assertEquals(5, j.accept(TestChain.root("next")));
            assertTrue(j.beginBatch(TestChain.root("x"), List.of(4L)).id() > b1.id());
        }
    }

    @Test
    void compactionKeepsOneLinePerConfirmedBatchUntilPruned() throws Exception {
        Path f = dir.resolve("j.log");
        List<Digest> roots = TestChain.roots("c", 100);
        try (AnchorJournal j = AnchorJournal.open(f)) {
            roots.forEach(j::accept);
            List<Long> seqs = java.util.stream.LongStream.range(0, 100).boxed().toList();
            j.confirm(j.beginBatch(TestChain.root("b"), seqs).id(), "0x1", 7);
        }
        long before = Files.size(f);
        try (AnchorJournal j = AnchorJournal.open(f)) {
            assertEquals(0, j.pendingCount());
            AnchorJournal.ConfirmedBatch c = j.confirmedBatches().get(0);
            assertEquals(roots, c.roots());
            assertEquals(TestChain.root("b"), c.batchRoot());
            assertEquals("0x1", c.txHash());
            assertEquals(7, c.blockNumber());
        }
        assertEquals(1, Files.readAllLines(f).size(), "one line per confirmed batch");
        assertTrue(Files.size(f) < before);
        try (AnchorJournal j = AnchorJournal.open(f)) {
            assertEquals(1, j.confirmedBatches().size(), "kept across opens (no pruning by default)");
            assertEquals(100, j.accept(TestChain.root("next")), "sequence numbers continue after compaction");
            assertEquals(0, j.prune(7));
            assertEquals(1, j.prune(8));
            assertTrue(j.confirmedBatches().isEmpty());
            assertEquals(1, j.pendingCount());
        }
        try (AnchorJournal j = AnchorJournal.open(f)) {
            assertTrue(j.confirmedBatches().isEmpty());
            assertEquals(1, j.pendingCount());
        }
    }

    @Test
    void reopenedConfirmedBatchIsPendingAgainAcrossRestarts() throws Exception {
        Path f = dir.resolve("j.log");
        List<Digest> roots = TestChain.roots("r", 3);
        long id;
        try (AnchorJournal j = AnchorJournal.open(f)) {
            List<Long> seqs = roots.stream().map(j::accept).toList();
            id = j.beginBatch(TestChain.root("rb"), seqs).id();
            j.confirm(id, "0x2", 3);
        }
        try (AnchorJournal j = AnchorJournal.open(f)) { // compacted to a K line
            AnchorJournal.OpenBatch b = j.reopen(id);
            assertEquals(roots, b.roots());
            assertEquals(TestChain.root("rb"), b.batchRoot());
            assertEquals(3, j.pendingCount());
            assertTrue(j.confirmedBatches().isEmpty());
        }
        try (AnchorJournal j = AnchorJournal.open(f)) { // replays K then R
            assertEquals(3, j.pendingCount());
            assertEquals(List.of(id), j.openBatches().stream().map(AnchorJournal.OpenBatch::id).toList());
            j.confirm(id, "0x3", 9);
        }
        try (AnchorJournal j = AnchorJournal.open(f)) {
            assertEquals(0, j.pendingCount());
            assertEquals(9, j.confirmedBatches().get(0).blockNumber());
            assertEquals("0x3", j.confirmedBatches().get(0).txHash());
        }
    }

    @Test
    void ignoresATornLastLineAndKeepsEverythingBefore() throws Exception {
        Path f = dir.resolve("j.log");
        List<Digest> r = TestChain.roots("t", 3);
        try (AnchorJournal j = AnchorJournal.open(f)) {
            r.forEach(j::accept);
        }
        // a crash in the middle of the fourth append: half a line, no newline
        String full = Files.readString(f);
        String fourth = full.lines().toList().get(0).replace(" 0 ", " 3 ");
        Files.writeString(f, fourth.substring(0, 30), StandardOpenOption.APPEND);
        try (AnchorJournal j = AnchorJournal.open(f)) {
            assertEquals(1, j.tornLinesSkipped());
            assertEquals(r, j.unbatched().stream().map(AnchorJournal.Accepted::root).toList());
            j.accept(TestChain.root("after"));
        }
        try (AnchorJournal j = AnchorJournal.open(f)) {
            assertEquals(0, j.tornLinesSkipped(), "the torn tail must be cut off, not glued to the next line");
            assertEquals(4, j.pendingCount());
        }
    }

    @Test
    void ignoresATerminatedLastLineWithABadChecksum() throws Exception {
        Path f = dir.resolve("j.log");
        try (AnchorJournal j = AnchorJournal.open(f)) {
            TestChain.roots("k", 2).forEach(j::accept);
        }
        List<String> lines = Files.readAllLines(f);
        String last = lines.get(1);
        lines.set(1, last.substring(0, last.length() - 1) + (last.endsWith("0") ? "1" : "0"));
        Files.writeString(f, String.join("\n", lines) + "\n");
        try (AnchorJournal j = AnchorJournal.open(f)) {
            assertEquals(1, j.tornLinesSkipped());
            assertEquals(1, j.pendingCount());
        }
    }

    @Test
    void refusesADamagedLineFollowedByGoodOnes() throws Exception {
        Path f = dir.resolve("j.log");
        try (AnchorJournal j = AnchorJournal.open(f)) {
            TestChain.roots("m", 3).forEach(j::accept);
        }
        byte[] b = Files.readAllBytes(f);
        b[20] = (byte) (b[20] == 'a' ? 'b' : 'a'); // inside the first line's root
        Files.write(f, b);
        JournalCorruptedException e = assertThrows(JournalCorruptedException.class, () -> AnchorJournal.open(f));
        assertTrue(e.getMessage().contains("line 1 of 3"), e.getMessage());
    }

    @Test
    void everyLineCarriesItsOwnChecksum() throws Exception {
        Path f = dir.resolve("j.log");
        try (AnchorJournal j = AnchorJournal.open(f)) {
            j.accept(TestChain.root("z"));
        }
        String line = Files.readString(f, StandardCharsets.UTF_8);
        assertTrue(line.matches("[0-9a-f]{8} A 0 [0-9a-f]{64}\n"), line);
    }
}
