package dev.opg.cli;

import dev.opg.chain.ModelRegistryClient;
import dev.opg.chain.RegistryConflictException;
import dev.opg.chain.RegistryEntry;
import dev.opg.chain.RegistryReceipt;
import dev.opg.chain.TransactionSender;
import dev.opg.core.model.ModelIds;
import dev.opg.core.store.ArtifactDigest;
import dev.opg.core.store.ModelIdentity;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code opg register}: computes a model artifact's digest and model id (by loading it as
 * {@code opg verify} will) and registers them as a version of the sending account's model name.
 * Registering exactly the same entry again sends nothing; the same version with anything else is
 * refused (exit 2): registered entries never change.
 */
@Command(name = "register",
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:registered (or already registered with the same content)", "2:bad usage or unreadable input (the message says which)", "3:chain or RPC error (including a revert, which is printed)"},
        description = {"Register a model version in the ModelRegistry under the key's account: its model id and file digest "
                + "(both computed from --model), --uri, --version and the kind.",
                "Names are per publisher: nobody else can add to or change yours."})
public final class RegisterCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;
    @Mixin
    RegistryOptions registry;

    /** Not the standard help mixin: its -V/--version would clash with this command's --version (of the model). */
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "The model artifact: a DJL model directory, an .onnx or .pt file.")
    Path model;

    @Option(names = "--name", required = true, paramLabel = "N", description = "Your model's name (printable ASCII, no spaces, <= 64).")
    String name;

    @Option(names = "--version", required = true, paramLabel = "V", description = "The version string (printable ASCII, no spaces, <= 64), once per name.")
    String version;

    @Option(names = "--uri", required = true, paramLabel = "URI", description = "Where the artifact can be fetched (printable ASCII, <= 512).")
    String uri;

    @Option(names = "--key-file", paramLabel = "FILE", description = "File holding the publisher's private key (hex).")
    Path keyFile;

    /** Where the key comes from when there is no key file. */
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        var credentials = Chain.credentials(keyFile, env);
        try {
            RegistryEntry.checkFields(name, version, uri, "k");
        } catch (dev.opg.core.MalformedInputException e) {
            throw CliException.usage(e.getMessage());
        }
        ArtifactDigest digest = ArtifactDigest.of(model);
        ModelIdentity id = ModelIds.defaults().identify(model);
        try (TransactionSender sender = Chain.connect(registry.rpc, credentials)) {
            ModelRegistryClient c = RegistryOptions.at(sender, registry.registry);
            RegistryReceipt r;
            try {
                r = c.register(name, version, id.modelId(), digest.digest(), uri, id.kind());
            } catch (RegistryConflictException e) {
                throw new CliException(ExitCodes.USAGE, e.getMessage(), e);
            }
            out.println(ModelsCommand.line(r.entry()));
            spec.commandLine().getErr().println(r.fresh()
                    ? "registered in block " + r.blockNumber() + " (tx " + r.transactionHash() + ", " + r.gasUsed() + " gas)"
                    : "already registered exactly so in block " + r.entry().registeredBlock() + "; nothing sent");
        }
        out.flush();
        return ExitCodes.OK;
    }
}
