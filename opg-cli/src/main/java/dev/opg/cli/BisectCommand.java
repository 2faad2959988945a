package dev.opg.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code opg bisect} (being wired). */
@Command(name = "bisect", mixinStandardHelpOptions = true, description = "(being wired)")
public final class BisectCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        throw CliException.environment("opg bisect is not available yet", null);
    }
}
