package dev.opg.cli;

import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code opg deploy}: deploys the TranscriptAnchor contract and prints its address. */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:deployed (the address is printed)", "2:bad usage or unreadable input (the message says which)", "3:chain or RPC error"},
        description = {"Deploy the TranscriptAnchor contract (the committed, compiled artifact) and print its address.",
                "The signing key comes from --key-file or the environment variable OPG_PRIVATE_KEY."})
public final class DeployCommand implements Callable<Integer> {
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
            TranscriptAnchorClient c = TranscriptAnchorClient.deploy(sender);
            out.println(c.address());
            spec.commandLine().getErr().printf("deployed TranscriptAnchor on chain %d from %s%n", c.chainId(), sender.address());
        }
        out.flush();
        return ExitCodes.OK;
    }
}
