package dev.opg.cli;

import picocli.CommandLine.Option;

/** Options every subcommand takes. */
public final class CommonOptions {
    /** Print stack traces with errors and log at debug level. */
    @Option(names = "--verbose", description = "Print stack traces with errors and log at debug level.")
    public boolean verbose;
}
