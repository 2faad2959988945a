package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** opg demo end to end, with a real anvil started through opg-chain's AnvilNode. */
class DemoTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(180)
    void demoRunsEveryStepAndAnchorsOnALocalChain() {
        Cli.Result r = Cli.run("demo", "--work-dir", tmp.toString());
        assertEquals(0, r.code(), r.toString());
        for (String s : new String[] {"prove", "verify", "tamper caught", "dispute", "TorchScript", "Silero VAD", "deploy", "anchor", "check-anchor", "cheat's root",
                "model add", "register", "verify by id", "attest", "check attest.", "forged attest."}) {
            assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+" + java.util.regex.Pattern.quote(s) + "\\s+ok\\s+.*")), s + "\n" + r);
        }
        assertTrue(r.out().contains("demo: every check came out as it must"), r.toString());
        // Silero is proven per graph node (--granularity node), as the README says; the MLP at the default, block granularity
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+Silero VAD\\s+ok\\s+214 ONNX nodes proven; VALID .*")), r.toString());
        assertTrue(r.out().contains("granularity     block: 5 steps"), r.toString());
    }
}
