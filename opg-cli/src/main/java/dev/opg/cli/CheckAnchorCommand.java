package dev.opg.cli;

import dev.opg.core.io.AnchorReceiptFile;

import dev.opg.chain.AnchorRecord;
import dev.opg.chain.ChainException;
import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import dev.opg.core.Digest;
import dev.opg.core.transcript.Transcript;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
 * inclusion proof the contract itself checks, and says who anchored it and in which block.
 *
 * <p>Every anchor on chain is one account's claim. With {@code --submitter ADDRESS} only that
 * account's anchor counts: a root anchored by anyone else alone is NOT ANCHORED (exit 1). Without
 * it, any account's anchor counts and each one found is listed with its submitter. Exit 0 if
 * anchored, 1 if not.
 */
@Command(name = "check-anchor", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:the root is anchored (by --submitter, if given)", "1:it is not anchored, or its inclusion proof does not lead to an anchored batch root", "2:bad usage or unreadable input (the message says which)", "3:chain or RPC error"},
        description = {"Check on chain that a transcript's root is anchored, and by whom.",
                "A root anchored in a batch is checked through TRANSCRIPT.anchor.json (or --receipt).",
                "With --submitter, only that account's anchor counts."})
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

    @Option(names = "--submitter", paramLabel = "ADDR",
            description = "Require the anchor of this account (the one you trust to have anchored it); anchors by anyone else do not count.")
    String submitter;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Digest root = GenerationCli.rootOf(transcript);
        String expected = submitter == null ? null : Chain.address(submitter, "--submitter");
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
            String where = "contract " + client.address() + ", chain " + client.chainId();
            List<String> found = new ArrayList<>();
            List<String> others = new ArrayList<>();

            // Anchored alone.
            if (expected != null) {
                client.anchorOf(expected, root).ifPresent(a -> found.add(alone(a)));
            }
            Optional<List<AnchorRecord>> everyone = everyone(client, root);
            boolean listingFailed = expected == null && everyone.isEmpty();
            for (AnchorRecord a : everyone.orElse(List.of())) {
                if (a.isBatch()) {
                    continue; // the transcript root itself anchored as a batch root proves nothing about it
                }
                if (expected == null) {
                    found.add(alone(a));
                } else if (!a.submitter().equals(expected)) {
                    others.add(alone(a));
                }
            }

            // Inside a batch, through the receipt's proof, which the contract checks.
            String batchProblem = null;
            if (r != null && r.batchRoot() != null) {
                Set<String> candidates = new LinkedHashSet<>();
                Optional<List<AnchorRecord>> listed = everyone(client, r.batchRoot());
                listingFailed |= expected == null && listed.isEmpty();
                List<AnchorRecord> batchAnchors = listed.orElse(List.of());
                if (expected != null) {
                    candidates.add(expected);
                } else {
                    if (r.submitter() != null) {
                        candidates.add(r.submitter());
                    }
                    batchAnchors.stream().filter(AnchorRecord::isBatch).forEach(a -> candidates.add(a.submitter()));
                }
                boolean anyBatch = false;
                List<String> rejected = new ArrayList<>();
                for (String c : candidates) {
                    Optional<AnchorRecord> batch = client.batchAnchorOf(c, r.batchRoot());
                    if (batch.isEmpty()) {
                        continue;
                    }
                    anyBatch = true;
                    rejected.add(c + " (over " + batch.get().count() + " roots)");
                    if (client.verifyInclusion(c, r.batchRoot(), root, r.proof())) {
                        found.add(String.format("by %s in block %d, in batch %s (leaf %d of %d, proof checked by the contract)",
                                c, batch.get().blockNumber(), r.batchRoot().hex(), r.proof().leafIndex(), r.proof().treeSize()));
                    }
                }
                if (expected != null) {
                    for (AnchorRecord a : batchAnchors) {
                        if (a.isBatch() && !a.submitter().equals(expected)) {
                            others.add("by " + a.submitter() + " in block " + a.blockNumber() + ", batch "
                                    + r.batchRoot().hex() + " over " + a.count() + " roots");
                        }
                    }
                }
                if (!anyBatch) {
                    batchProblem = "the receipt's batch root " + r.batchRoot().hex() + " is not anchored on this contract"
                            + (expected != null ? " by " + expected : "");
                } else if (found.isEmpty()) {
                    batchProblem = "the contract rejects the receipt's inclusion proof into batch " + r.batchRoot().hex()
                            + " as anchored by " + String.join(", ", rejected);
                }
            }

            if (!found.isEmpty()) {
                out.printf("ANCHORED %s%n", root.hex());
                found.forEach(f -> out.printf("  %s%n", f));
                out.printf("  %s%n", where);
                if (expected == null) {
                    out.printf("  (any account's anchor counts; pass --submitter ADDR to require the one you trust)%n");
                }
                return ExitCodes.OK;
            }
            if (listingFailed) {
                // Without --submitter the answer rests on the log query; no answer is not "no".
                throw CliException.environment("cannot tell whether " + root.hex() + " is anchored: the node refused "
                        + "to list the contract's anchor events; pass --submitter ADDR to check one account's anchor "
                        + "without them", null);
            }
            out.printf("NOT ANCHORED %s%n", root.hex());
            if (batchProblem != null) {
                out.printf("  %s%n", batchProblem);
            } else {
                out.printf("  no anchor of this root%s on %s%n", expected != null ? " by " + expected : "", where);
            }
            if (!others.isEmpty()) {
                out.printf("  anchored only by other accounts, which do not count:%n");
                others.forEach(o -> out.printf("    %s%n", o));
            }
            return ExitCodes.INVALID;
        } finally {
            out.flush();
        }
    }

    private static String alone(AnchorRecord a) {
        return "by " + a.submitter() + " in block " + a.blockNumber() + " (anchored alone)";
    }

    /**
     * Every account that anchored {@code value}, from the contract's events (each confirmed from
     * state). Empty if the node refuses the log query (some public endpoints limit its range); the
     * check with {@code --submitter} needs no log query.
     */
    private Optional<List<AnchorRecord>> everyone(TranscriptAnchorClient client, Digest value) {
        try {
            return Optional.of(client.anchorsOf(value));
        } catch (ChainException e) {
            spec.commandLine().getErr().printf("note: cannot list who anchored %s (%s)%n", value.hex(), e.getMessage());
            return Optional.empty();
        }
    }
}
