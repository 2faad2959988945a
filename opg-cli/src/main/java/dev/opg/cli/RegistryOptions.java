package dev.opg.cli;

import dev.opg.chain.ChainException;
import dev.opg.chain.ModelRegistryClient;
import dev.opg.chain.TransactionSender;
import picocli.CommandLine.Option;

/** Where the chain and the ModelRegistry contract are. */
public final class RegistryOptions {
    @Option(names = "--rpc", required = true, paramLabel = "URL", description = "JSON-RPC endpoint, e.g. http://127.0.0.1:8545.")
    String rpc;

    @Option(names = "--registry", required = true, paramLabel = "ADDR",
            description = "Address of the ModelRegistry contract (opg deploy-registry prints it).")
    String registry;

    /** The registry client over {@code sender}; exit 3 if no ModelRegistry is at the address. */
    static ModelRegistryClient at(TransactionSender sender, String registry) {
        String a = Chain.address(registry, "--registry");
        try {
            return ModelRegistryClient.at(sender, a);
        } catch (ChainException e) {
            throw CliException.environment(e.getMessage(), e);
        }
    }
}
