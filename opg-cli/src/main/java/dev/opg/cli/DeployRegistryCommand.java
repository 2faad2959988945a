package dev.opg.cli;

import dev.opg.chain.ModelRegistryClient;
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

/** {@code opg deploy-registry}: deploys the ModelRegistry contract and prints its address. */
@Command(name = "deploy-registry", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:deployed (the address is printed)", "2:bad usage or unreadable input (the message says which)", "3:chain or RPC error"},
        description = {"Deploy the ModelRegistry contract (the committed, compiled artifact) and print its address.",
                "The signing key comes from --key-file or the environment variable OPG_PRIVATE_KEY."})
public final class DeployRegistryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;

    @Option(names = "--rpc", required = true, paramLabel = "URL", description = "JSON-RPC endpoint.")
    String rpc;

    @Option(names = "--key-file", paramLabel = "FILE", description = "File holding the deployer's private key (hex).")
    Path keyFile;

    /** Where the key comes from when there is no key file. */
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        var credentials = Chain.credentials(keyFile, env);
        try (TransactionSender sender = Chain.connect(rpc, credentials)) {
            ModelRegistryClient c = ModelRegistryClient.deploy(sender);
            out.println(c.address());
            spec.commandLine().getErr().printf("deployed ModelRegistry on chain %d from %s%n", c.chainId(), sender.address());
        }
        out.flush();
        return ExitCodes.OK;
    }
}
