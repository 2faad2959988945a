package dev.opg.cli;

import dev.opg.core.io.AnchorReceiptFile;

import dev.opg.chain.AnchorReceipt;
import dev.opg.chain.BatchReceipt;
import dev.opg.chain.BatchRoots;
import dev.opg.chain.RootReceipt;
import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import dev.opg.core.Digest;
import dev.opg.core.merkle.MerkleTree;
import dev.opg.core.transcript.Transcript;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code opg anchor TRANSCRIPT...}: anchors transcript roots on chain as the signing account, one
 * root alone or many in one batch transaction, and writes {@code TRANSCRIPT.anchor.json} beside
 * each transcript. Nothing is sent if this account already anchored the same root (or the same
 * batch); an anchor of the same value by any other account is ignored, since on chain every
 * anchor is its submitter's own claim.
 */
@Command(name = "anchor", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:anchored (the transaction is printed; receipts written)", "2:bad usage or unreadable input (the message says which)", "3:chain or RPC error, or a file that cannot be written"},
        description = {"Anchor transcript roots on an EVM chain (several transcripts go in one batch transaction).",
                "Writes TRANSCRIPT.anchor.json beside each transcript for opg check-anchor.",
                "The signing key comes from --key-file or the environment variable OPG_PRIVATE_KEY."})
public final class AnchorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;
    @Mixin
    ChainOptions chain;

    @Parameters(paramLabel = "TRANSCRIPT", arity = "1..*", description = "Transcript files.")
    List<Path> transcripts;

    @Option(names = "--key-file", paramLabel = "FILE", description = "File holding the sender's private key (hex).")
    Path keyFile;

    /** Where the key comes from when there is no key file (the process environment; tests replace it). */
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        List<Digest> roots = new ArrayList<>();
        for (Path p : transcripts) {
            roots.add(GenerationCli.rootOf(p));
        }
        var credentials = Chain.credentials(keyFile, env);
        Chain.address(chain.contract);
        try (TransactionSender sender = Chain.connect(chain.rpc, credentials)) {
            TranscriptAnchorClient client = Chain.at(sender, chain.contract);
            String me = client.submitter();
            if (roots.size() == 1) {
                // Only this account's own anchor makes a send unnecessary: an anchor by anyone else
                // is that account's claim and never stands in for ours.
                Optional<AnchorReceipt> mine = client.findAnchor(me, roots.get(0), false);
                AnchorReceipt r = mine.orElseGet(() -> client.anchor(roots.get(0)));
                out.printf("anchored %s%n  by %s, tx %s, block %d, %s%n", r.root().hex(), r.submitter(),
                        r.transactionHash(), r.blockNumber(), status(r, mine.isPresent()));
                new AnchorReceiptFile(r.root(), client.chainId(), client.address(), r.submitter(), r.transactionHash(),
                        r.blockNumber(), null, null).write(AnchorReceiptFile.beside(transcripts.get(0)));
            } else {
                MerkleTree tree = BatchRoots.tree(roots);
                Optional<AnchorReceipt> mine = client.findAnchor(me, tree.root(), true)
                        .filter(a -> a.count() == roots.size());
                BatchReceipt b = mine.map(a -> new BatchReceipt(tree.root(), roots, BatchRoots.proofs(tree), a))
                        .orElseGet(() -> client.anchorBatch(roots));
                AnchorReceipt a = b.anchor();
                out.printf("anchored batch root %s over %d transcripts%n  by %s, tx %s, block %d, %s%n",
                        b.batchRoot().hex(), b.size(), a.submitter(), a.transactionHash(), a.blockNumber(),
                        status(a, mine.isPresent()));
                for (int i = 0; i < b.size(); i++) {
                    RootReceipt rr = b.rootReceipt(i);
                    out.printf("  %s  %s  (proof: %d hashes)%n", rr.root().hex(), transcripts.get(i), rr.proof().path().size());
                    new AnchorReceiptFile(rr.root(), client.chainId(), client.address(), a.submitter(), a.transactionHash(),
                            a.blockNumber(), b.batchRoot(), rr.proof()).write(AnchorReceiptFile.beside(transcripts.get(i)));
                }
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static String status(AnchorReceipt r, boolean foundBefore) {
        if (foundBefore) {
            return "already anchored by this account before; nothing sent";
        }
        return r.fresh() ? "gas " + r.gasUsed() : "already anchored by this account (the transaction was a no-op)";
    }
}
