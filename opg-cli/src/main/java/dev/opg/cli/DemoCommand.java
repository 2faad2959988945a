package dev.opg.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code opg demo} (being wired). */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "(being wired)")
public final class DemoCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        throw CliException.environment("opg demo is not available yet", null);
    }
}
