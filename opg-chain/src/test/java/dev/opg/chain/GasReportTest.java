package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.chain.anvil.AnvilNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Gas read from real receipts: one {@code anchor}, and one {@code anchorBatch} transaction per
 * batch of 1, 16, 256 and 1024 roots. Goals: at most 60,000 gas per batch whatever its size, so
 * under 100 gas per root at 1024. Run: {@code mvn -pl opg-chain test -Dtest=GasReportTest}.
 * The rows also go to {@code opg-chain/target/gas-report.json}, which {@code benchmarks/run.sh}
 * puts into the results table.
 */
@Timeout(60)
class GasReportTest {
    @Test
    void anchorBatchCostsTheSameWhateverTheBatchSize() throws IOException {
        try (AnvilNode node = AnvilNode.start();
                TransactionSender s = TransactionSender.connect(TestChain.config(node), TestChain.DEV0)) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(s);
            List<String> rows = new ArrayList<>();
            List<String> json = new ArrayList<>();
            rows.add(String.format("%-22s %8s %12s %14s", "call", "roots", "gas used", "gas per root"));
            AnchorReceipt single = client.anchor(TestChain.root("gas/single"));
            rows.add(String.format("%-22s %8d %12d %14d", "anchor", 1, single.gasUsed(), single.gasUsed()));
            assertTrue(single.fresh());
            json.add(gasRow("anchor", 1, single.gasUsed()));
            for (int n : new int[] {1, 16, 256, 1024}) {
                long before = s.blockNumber();
                BatchReceipt b = client.anchorBatch(TestChain.roots("gas/" + n, n));
                assertEquals(before + 1, b.anchor().blockNumber(), "one transaction, one block, per batch");
                assertTrue(b.anchor().fresh());
                long gas = b.anchor().gasUsed();
                rows.add(String.format("%-22s %8d %12d %14.1f", "anchorBatch", n, gas, gas / (double) n));
                json.add(gasRow("anchorBatch " + n, n, gas));
                assertTrue(gas <= 60_000, "anchorBatch of " + n + " used " + gas + " gas; goal <= 60,000");
                if (n == 1024) {
                    assertTrue(gas / 1024.0 < 100, "per-root gas at 1024 is " + gas / 1024.0 + "; goal < 100");
                }
                assertTrue(client.verifyInclusion(b.batchRoot(), b.roots().get(n - 1), b.proofs().get(n - 1)));
            }
            AnchorReceipt again = client.anchor(TestChain.root("gas/single"));
            rows.add(String.format("%-22s %8d %12d %14s", "anchor (already there)", 1, again.gasUsed(), "-"));
            // The report is the point of this test: print it whatever the log level.
            System.out.println("gas used, solc " + ContractArtifact.transcriptAnchor().compilerVersion() + ":\n"
                    + String.join("\n", rows));
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target", "gas-report.json"), "[\n" + String.join(",\n", json) + "\n]\n",
                    StandardCharsets.UTF_8);
        }
    }

    private static String gasRow(String operation, int roots, long gas) {
        return "{\"operation\":\"" + operation + "\",\"roots\":" + roots + ",\"gas\":" + gas + "}";
    }
}
