package dev.opg.chain;

import java.nio.file.Path;

/**
 * Another {@link AnchorJournal} (in this process or another one) holds the journal open. Two
 * writers of one journal would each compact it from their own memory and overwrite the other's
 * accepted roots, so the second opener is refused. Close the other one first, or give each
 * process its own journal file.
 */
public class JournalLockedException extends ChainException {
    private static final long serialVersionUID = 1L;

    private final transient Path journal;
    private final transient Path lockFile;

    public JournalLockedException(Path journal, Path lockFile, String message) {
        super(message);
        this.journal = journal;
        this.lockFile = lockFile;
    }

    /** The journal that is held open. */
    public Path journal() {
        return journal;
    }

    /** The lock file whose lock the other opener holds. */
    public Path lockFile() {
        return lockFile;
    }
}
