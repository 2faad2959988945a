package dev.opg.cli;

/**
 * A failure the CLI reports as one line, with the exit code it ends the command with. Commands
 * throw it for conditions they recognise; {@link Opg} prints its message (and the stack trace only
 * with {@code --verbose}).
 */
public class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    /** A failure with the given exit code (one of {@link ExitCodes}). */
    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    /** A failure with the given exit code and cause. */
    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** Bad usage or unreadable input (exit {@value ExitCodes#USAGE}). */
    public static CliException usage(String message) {
        return new CliException(ExitCodes.USAGE, message);
    }

    /** Environment or chain failure (exit {@value ExitCodes#ENVIRONMENT}). */
    public static CliException environment(String message, Throwable cause) {
        return new CliException(ExitCodes.ENVIRONMENT, message, cause);
    }

    /** The exit code this failure ends the command with. */
    public int exitCode() {
        return exitCode;
    }
}
