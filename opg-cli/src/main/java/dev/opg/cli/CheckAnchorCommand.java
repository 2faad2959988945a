package dev.opg.cli;

import dev.opg.chain.AnchorRecord;
import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import dev.opg.core.Digest;
import dev.opg.core.transcript.Transcript;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code opg check-anchor TRANSCRIPT}: asks the contract whether the transcript's root is
 * anchored, alone or (with the receipt {@code opg anchor} wrote) inside an anchored batch, whose
 * inclusion proof the contract itself checks. Exit 0 if anchored, 1 if not.
 */
@Command(name = "check-anchor", mixinStandardHelpOptions = true,
        description = {"Check on chain that a transcript's root is anchored (exit 0) or not (exit 1).",
                "A root anchored in a batch is checked through TRANSCRIPT.anchor.json (or --receipt)."})
public final class CheckAnchorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;
    @Mixin
    ChainOptions chain;

    @Parameters(index = "0", paramLabel = "TRANSCRIPT", description = "The transcript file.")
    Path transcript;

    @Option(names = "--receipt", paramLabel = "FILE", description = "Anchor receipt (default: TRANSCRIPT.anchor.json if present).")
    Path receipt;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Transcript t = Transcripts.read(transcript);
        Digest root = t.root();
        Path rf = receipt != null ? receipt : AnchorReceiptFile.beside(transcript);
        AnchorReceiptFile r = null;
        if (receipt != null || Files.isRegularFile(rf)) {
            r = AnchorReceiptFile.read(rf);
            if (!r.root().equals(root)) {
                throw CliException.usage("receipt " + rf + " is for root " + r.root().hex() + ", not this transcript's " + root.hex());
            }
        }
        Chain.address(chain.contract);
        try (TransactionSender sender = Chain.connect(chain.rpc, Chain.readOnly())) {
            TranscriptAnchorClient client = Chain.at(sender, chain.contract);
            Optional<AnchorRecord> alone = client.anchorOf(root);
            if (alone.isPresent()) {
                out.printf("ANCHORED %s%n  block %d, by %s, contract %s, chain %d%n", root.hex(), alone.get().blockNumber(),
                        alone.get().submitter(), client.address(), client.chainId());
                return ExitCodes.OK;
            }
            if (r != null && r.batchRoot() != null) {
                Optional<AnchorRecord> batch = client.anchorOf(r.batchRoot());
                boolean included = batch.isPresent() && client.verifyInclusion(r.batchRoot(), root, r.proof());
                if (included) {
                    out.printf("ANCHORED %s%n  in batch %s (leaf %d of %d, proof checked by the contract), block %d, by %s, chain %d%n",
                            root.hex(), r.batchRoot().hex(), r.proof().leafIndex(), r.proof().treeSize(),
                            batch.get().blockNumber(), batch.get().submitter(), client.chainId());
                    return ExitCodes.OK;
                }
                out.printf("NOT ANCHORED %s%n  %s%n", root.hex(), batch.isEmpty()
                        ? "the receipt's batch root " + r.batchRoot().hex() + " is not anchored on this contract"
                        : "the contract rejects the receipt's inclusion proof into batch " + r.batchRoot().hex());
                return ExitCodes.INVALID;
            }
            out.printf("NOT ANCHORED %s%n  the contract at %s on chain %d has no anchor for this root%n",
                    root.hex(), client.address(), client.chainId());
            return ExitCodes.INVALID;
        } finally {
            out.flush();
        }
    }
}
