package dev.opg.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.cli.Opg;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code opg-examples/run.sh torchscript} runs: the TorchScript fixture proven, inspected and verified by the CLI. */
class TorchScriptExampleTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run opg(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Opg.run(new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8), args);
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void provesAndVerifiesTheTorchScriptFixtureFromTheCli() {
        Path root = MnistDigits.repoRoot();
        String model = root.resolve("opg-core/src/test/resources/torchscript/tiny_convnet.pt").toString();
        String input = root.resolve("opg-examples/data/convnet-input.npy").toString();
        String t = tmp.resolve("ts.json").toString();
        Run p = opg("prove", "--model", model, "--input", input, "--out", t, "--output-file", tmp.resolve("y.npz").toString());
        assertEquals(0, p.code(), p.toString());
        Run i = opg("inspect", t);
        assertEquals(0, i.code(), i.toString());
        assertTrue(i.out().contains("steps           1"), i.toString());
        assertTrue(i.out().contains("forward"), i.toString());
        Run v = opg("verify", t, "--model", model, "--input", input);
        assertEquals(0, v.code(), v.toString());
        assertTrue(v.out().startsWith("VALID " + p.out().strip()), v.toString());
    }
}
