package dev.opg.cli;

import dev.opg.chain.ModelRegistryClient;
import dev.opg.chain.ModelResolutionException;
import dev.opg.chain.RegistryReceipt;
import dev.opg.chain.TransactionSender;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code opg revoke}: marks a version of the key's own model name revoked (the entry stays readable). */
@Command(name = "revoke",
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:revoked (or already revoked)", "2:bad usage or unreadable input (the message says which)", "3:chain or RPC error (including a revert, which is printed)"},
        description = {"Mark a version of your model revoked in the ModelRegistry; opg verify --model-id then refuses it.",
                "Only the publisher of a version can revoke it; revoking twice changes nothing."})
public final class RevokeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;
    @Mixin
    RegistryOptions registry;

    /** Not the standard help mixin: its -V/--version would clash with this command's --version (of the model). */
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--name", required = true, paramLabel = "N", description = "Your model's name.")
    String name;

    @Option(names = "--version", required = true, paramLabel = "V", description = "The version to revoke.")
    String version;

    @Option(names = "--key-file", paramLabel = "FILE", description = "File holding the publisher's private key (hex).")
    Path keyFile;

    /** Where the key comes from when there is no key file. */
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        var credentials = Chain.credentials(keyFile, env);
        try (TransactionSender sender = Chain.connect(registry.rpc, credentials)) {
            ModelRegistryClient c = RegistryOptions.at(sender, registry.registry);
            RegistryReceipt r;
            try {
                r = c.revoke(name, version);
            } catch (ModelResolutionException e) {
                throw new CliException(ExitCodes.USAGE, e.getMessage(), e);
            }
            out.println(ModelsCommand.line(r.entry()));
            spec.commandLine().getErr().println(r.fresh() ? "revoked in block " + r.blockNumber() + " (tx " + r.transactionHash() + ")"
                    : "already revoked in block " + r.entry().revokedBlock() + "; nothing sent");
        }
        out.flush();
        return ExitCodes.OK;
    }
}
