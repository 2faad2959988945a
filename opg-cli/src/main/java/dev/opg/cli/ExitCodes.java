package dev.opg.cli;

/**
 * The exit codes of every {@code opg} command. Scripts can rely on them.
 *
 * <ul>
 *   <li>{@value #OK}: success; for {@code verify}, {@code bisect} and {@code check-anchor}, the
 *       transcript is VALID (or anchored);</li>
 *   <li>{@value #INVALID}: the check ran and the answer is no: the transcript is INVALID, the
 *       transcripts diverge, or the root is not anchored. Nothing else: no exception or error
 *       maps to it;</li>
 *   <li>{@value #USAGE}: bad usage or unreadable input (a missing or malformed file, an unknown
 *       option, a model that cannot be loaded, a size above a cap of the spec's section 3.10 or
 *       above what the heap can hold, checked before allocating);</li>
 *   <li>{@value #ENVIRONMENT}: the environment failed: the chain or RPC endpoint, the engine's
 *       native library, a file that cannot be written, an internal error, or a JVM
 *       {@link Error} such as OutOfMemoryError or StackOverflowError (one line on stderr).</li>
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
