package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.Digest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One journal, one opener: a second opener, in another JVM or in this one, is refused with
 * {@link JournalLockedException} before it can compact the file over the first one's roots; the
 * lock goes with the holder (closed or killed), and no accepted root is lost either way.
 */
@Timeout(60)
class AnchorJournalLockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondOpenerInThisProcessIsRefusedAndTheFirstKeepsEveryRoot() {
        Path f = dir.resolve("j.log");
        List<Digest> roots = TestChain.roots("lock/in-process", 20);
        try (AnchorJournal first = AnchorJournal.open(f)) {
            roots.subList(0, 10).forEach(first::accept);
            JournalLockedException e = assertThrows(JournalLockedException.class, () -> AnchorJournal.open(f));
            assertEquals(f, e.journal());
            assertEquals(AnchorJournal.lockFileOf(f), e.lockFile());
            assertTrue(e.getMessage().contains("already open"), e.getMessage());
            roots.subList(10, 20).forEach(first::accept); // the refused opener changed nothing
        }
        try (AnchorJournal again = AnchorJournal.open(f)) { // released by close
            assertEquals(roots, again.unbatched().stream().map(AnchorJournal.Accepted::root).toList());
        }
    }

    @Test
    void aSecondJvmIsRefusedWhileThisOneHoldsTheJournal() throws Exception {
        Path f = dir.resolve("j.log");
        try (AnchorJournal held = AnchorJournal.open(f)) {
            held.accept(TestChain.root("lock/parent"));
            Process child = holder(f, 5);
            String line = firstLine(child);
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            assertEquals(3, child.exitValue(), line);
            assertTrue(line.startsWith("LOCKED ") && line.contains(f.toString()), line);
            assertEquals(1, held.pendingCount());
        }
        try (AnchorJournal j = AnchorJournal.open(f)) {
            assertEquals(List.of(TestChain.root("lock/parent")),
                    j.unbatched().stream().map(AnchorJournal.Accepted::root).toList(), "the refused child wrote nothing");
        }
    }

    @Test
    void thisJvmIsRefusedWhileAnotherHoldsItAndGetsItOnceThatOneCloses() throws Exception {
        Path f = dir.resolve("j.log");
        Process child = holder(f, 7);
        try {
            assertEquals("OPEN", firstLine(child));
            JournalLockedException e = assertThrows(JournalLockedException.class, () -> AnchorJournal.open(f));
            assertTrue(e.getMessage().contains("another process"), e.getMessage());
            child.getOutputStream().close(); // the child closes its journal and exits
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue());
        } finally {
            child.destroyForcibly();
        }
        try (AnchorJournal j = AnchorJournal.open(f)) {
            assertEquals(TestChain.roots("child", 7), j.unbatched().stream().map(AnchorJournal.Accepted::root).toList());
        }
    }

    @Test
    void aKilledHolderLeavesNoStaleLock() throws Exception {
        Path f = dir.resolve("j.log");
        Process child = holder(f, 3);
        assertEquals("OPEN", firstLine(child));
        child.destroyForcibly(); // SIGKILL: the operating system drops the lock with the process
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Files.exists(AnchorJournal.lockFileOf(f)), "the lock file stays; only the lock went");
        try (AnchorJournal j = AnchorJournal.open(f)) {
            assertEquals(3, j.pendingCount(), "the killed holder's accepted roots were on disk");
        }
    }

    @Test
    void aSecondBatchAnchorerOnTheSameJournalIsRefusedAndTheFirstAnchorsEveryRoot() throws Exception {
        Path f = dir.resolve("j.log");
        List<Digest> roots = TestChain.roots("lock/anchorer", 9);
        try (AnvilNode node = AnvilNode.start();
                TransactionSender s = TransactionSender.connect(TestChain.config(node), TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
            try (BatchAnchorer first = BatchAnchorer.builder(client, f).background(false).open()) {
                roots.subList(0, 5).forEach(first::submit);
                assertThrows(JournalLockedException.class,
                        () -> BatchAnchorer.builder(client, f).background(false).open());
                roots.subList(5, 9).forEach(first::submit);
                BatchReceipt b = first.flush().get(0);
                assertEquals(roots, b.roots(), "none of the first anchorer's roots was lost");
                for (int i = 0; i < roots.size(); i++) {
                    assertTrue(client.verifyInclusion(b.rootReceipt(i)));
                }
            }
        }
    }

    private static Process holder(Path journal, int roots) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", JournalHolder.class.getName(), journal.toString(),
                Integer.toString(roots)));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static String firstLine(Process p) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        return line == null ? "(no output, exit " + (p.isAlive() ? "running" : p.exitValue()) + ")" : line;
    }
}
