package dev.opg.chain;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Run in a second JVM by {@link AnchorJournalLockTest}: opens the journal named by {@code args[0]},
 * accepts {@code args[1]} roots, prints {@code OPEN}, and holds it until standard input closes;
 * or prints {@code LOCKED <message>} and exits 3 if the journal is held elsewhere.
 */
public final class JournalHolder {
    private JournalHolder() {}

    public static void main(String[] args) throws IOException {
        AnchorJournal j;
        try {
            j = AnchorJournal.open(Path.of(args[0]));
        } catch (JournalLockedException e) {
            System.out.println("LOCKED " + e.getMessage());
            System.out.flush();
            System.exit(3);
            return;
        }
        try (j) {
            int n = Integer.parseInt(args[1]);
            for (int i = 0; i < n; i++) {
                j.accept(TestChain.root("child/" + i));
            }
            System.out.println("OPEN");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the journal until the parent closes our stdin (or kills us)
            }
        }
    }
}
