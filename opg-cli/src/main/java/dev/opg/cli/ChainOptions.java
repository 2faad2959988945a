package dev.opg.cli;

import picocli.CommandLine.Option;

/** Where the chain and the contract are. */
public final class ChainOptions {
    /** JSON-RPC endpoint. */
    @Option(names = "--rpc", required = true, paramLabel = "URL", description = "JSON-RPC endpoint, e.g. http://127.0.0.1:8545.")
    public String rpc;

    /** The TranscriptAnchor contract. */
    @Option(names = "--contract", required = true, paramLabel = "ADDR", description = "Address of the TranscriptAnchor contract (opg deploy prints it).")
    public String contract;
}
