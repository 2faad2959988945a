package dev.opg.cli;

/**
 * The exit codes of every {@code opg} command. Scripts can rely on them.
 *
 * <ul>
 *   <li>{@value #OK}: success; for {@code verify}, {@code bisect} and {@code check-anchor}, the
 *       transcript is VALID (or anchored);</li>
 *   <li>{@value #INVALID}: the check ran and the answer is no: the transcript is INVALID, the
 *       transcripts diverge, or the root is not anchored;</li>
 *   <li>{@value #USAGE}: bad usage or unreadable input (a missing or malformed file, an unknown
 *       option, a model that cannot be loaded);</li>
 *   <li>{@value #ENVIRONMENT}: the environment failed: the chain or RPC endpoint, the engine's
 *       native library, a file that cannot be written, or an internal error.</li>
 * </ul>
 */
public final class ExitCodes {
    /** Success; VALID. */
    public static final int OK = 0;
    /** The check ran and failed: INVALID, divergent, not anchored. */
    public static final int INVALID = 1;
    /** Bad usage or unreadable input. */
    public static final int USAGE = 2;
    /** Environment, chain or internal failure. */
    public static final int ENVIRONMENT = 3;

    private ExitCodes() {}
}
