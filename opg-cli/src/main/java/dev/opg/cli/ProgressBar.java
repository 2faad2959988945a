package dev.opg.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * A one-line progress bar for long work (batches of inputs). It draws only when the output is a
 * terminal (or when forced, for tests) and stays silent when piped, so scripts see clean output.
 * Redraws at most every 100 ms; {@link #close()} ends the line.
 */
public final class ProgressBar implements AutoCloseable {
    private static final int WIDTH = 30;
    private final PrintWriter out;
    private final String label;
    private final long total;
    private final boolean enabled;
    private final long startNanos = System.nanoTime();
    private long done;
    private long lastDraw;
    private boolean drawn;

    /**
     * A bar over {@code total} units, writing to {@code out} when {@code enabled}.
     *
     * @see #isTerminal()
     */
    public ProgressBar(PrintWriter out, String label, long total, boolean enabled) {
        this.out = out;
        this.label = label;
        this.total = Math.max(total, 0);
        this.enabled = enabled && total > 1;
    }

    /** Whether this process writes to an interactive terminal (not a pipe or file). */
    public static boolean isTerminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        // JDK 22+ returns a console even when redirected and says so through isTerminal();
        // on JDK 21 a non-null console already means a terminal.
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /** Marks one more unit done. */
    public void step() {
        advanceTo(done + 1);
    }

    /** Marks {@code n} units done. */
    public void advanceTo(long n) {
        done = Math.min(n, total);
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && drawn && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        drawn = true;
        out.print('\r' + render(now));
        out.flush();
    }

    String render(long now) {
        int filled = total == 0 ? WIDTH : (int) (WIDTH * done / total);
        double secs = Duration.ofNanos(now - startNanos).toMillis() / 1000.0;
        return String.format(Locale.ROOT, "%s [%s%s] %d/%d %.1fs", label, "#".repeat(filled),
                "-".repeat(WIDTH - filled), done, total, secs);
    }

    @Override
    public void close() {
        if (enabled && drawn) {
            out.print('\r' + render(System.nanoTime()) + System.lineSeparator());
            out.flush();
        }
    }
}
