package dev.opg.cli;

import dev.opg.chain.ModelRegistryClient;
import dev.opg.chain.RegistryEntry;
import dev.opg.chain.TransactionSender;
import dev.opg.core.Digest;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code opg models}: the registry's entries, one line each, versions of a name in registration
 * order; filtered by {@code --name}, {@code --publisher}, {@code --model-id}. Entries are read from
 * contract state (publishers and names are found through the contract's events, except with
 * {@code --model-id} or both {@code --publisher} and {@code --name}). Exit 0 if something matched,
 * 1 if nothing did.
 */
@Command(name = "models", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:listed (an empty listing too: it is an answer, not a failed check)", "2:bad usage or unreadable input (the message says which)", "3:chain or RPC error"},
        description = {"List registered model versions: publisher, name@version, index, model id, artifact digest, kind, uri, blocks."})
public final class ModelsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;
    @Mixin
    RegistryOptions registry;

    @Option(names = "--name", paramLabel = "N", description = "Only this model name (of every publisher unless --publisher).")
    String name;

    @Option(names = "--publisher", paramLabel = "ADDR", description = "Only this publisher's entries.")
    String publisher;

    @Option(names = "--model-id", paramLabel = "ID", description = "Only the entries that registered this model id.")
    String modelId;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String pub = publisher == null ? null : Chain.address(publisher, "--publisher");
        Digest id = modelId == null ? null : ModelIdOptions.digest(modelId, "--model-id");
        List<RegistryEntry> entries;
        try (TransactionSender sender = Chain.connect(registry.rpc, Chain.readOnly())) {
            ModelRegistryClient c = RegistryOptions.at(sender, registry.registry);
            entries = id != null ? c.registrationsOf(id) : c.entries(pub, name);
        }
        entries = entries.stream().filter(e -> (pub == null || e.publisher().equals(pub)) && (name == null || e.name().equals(name)))
                .toList();
        for (RegistryEntry e : entries) {
            out.println(line(e));
        }
        if (entries.isEmpty()) {
            out.println("no registered model version matches");
        }
        out.flush();
        return ExitCodes.OK; // a listing with no rows is an answer, not a failed check (exit 1 is for a "no" verdict only)
    }

    /** One entry: publisher, name@version, #index, model id, artifact digest, kind, uri, block[, revoked]. */
    static String line(RegistryEntry e) {
        return e.publisher() + "  " + e.label() + "  #" + e.index() + "  model " + e.modelId().hex() + "  artifact "
                + e.artifactDigest().hex() + "  " + e.kind() + "  " + e.uri() + "  block " + e.registeredBlock()
                + (e.revoked() ? "  REVOKED in block " + e.revokedBlock() : "");
    }
}
