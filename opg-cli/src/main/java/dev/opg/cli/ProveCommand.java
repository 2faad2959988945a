package dev.opg.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code opg prove} (being wired). */
@Command(name = "prove", mixinStandardHelpOptions = true, description = "(being wired)")
public final class ProveCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        throw CliException.environment("opg prove is not available yet", null);
    }
}
