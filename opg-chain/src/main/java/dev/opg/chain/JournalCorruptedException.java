package dev.opg.chain;

/**
 * The anchor journal has a damaged line that is not the last one (a torn last line from a crash
 * is expected and skipped; damage before it is not, since accepted roots may be missing).
 */
public class JournalCorruptedException extends ChainException {
    private static final long serialVersionUID = 1L;

    public JournalCorruptedException(String message) {
        super(message);
    }
}
