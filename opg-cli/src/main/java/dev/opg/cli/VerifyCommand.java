package dev.opg.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code opg verify} (being wired). */
@Command(name = "verify", mixinStandardHelpOptions = true, description = "(being wired)")
public final class VerifyCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        throw CliException.environment("opg verify is not available yet", null);
    }
}
