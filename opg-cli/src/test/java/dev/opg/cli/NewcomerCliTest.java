package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.testmodels.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a new user meets first: messages in the command's terms, exit codes as documented, nothing left behind. */
class NewcomerCliTest {
    @TempDir
    static Path tmp;
    static Path mlp;
    static Path x;
    static Path transcript;

    @BeforeAll
    static void proveOnce() throws Exception {
        mlp = TestFixtures.saveModel(tmp.resolve("mlp"), "mlp", 7);
        x = TestFixtures.saveInput(tmp.resolve("x.npz"), "mlp", 11);
        transcript = tmp.resolve("t.json");
        Cli.Result r = Cli.run("prove", "--model", mlp.toString(), "--input", x.toString(), "--out", transcript.toString());
        assertEquals(0, r.code(), r.toString());
    }

    @Test
    void proveIntoAMissingDirectoryIsBadUsageAndCreatesNothing() {
        Path missing = tmp.resolve("no-such-dir");
        for (String[] extra : new String[][] {
                {"--out", missing.resolve("t.json").toString()},
                {"--out", tmp.resolve("ok.json").toString(), "--witness", missing.resolve("w").toString()},
                {"--out", tmp.resolve("ok.json").toString(), "--output-file", missing.resolve("y.npz").toString()}}) {
            String[] all = new String[5 + extra.length];
            all[0] = "prove";
            all[1] = "--model";
            all[2] = mlp.toString();
            all[3] = "--input";
            all[4] = x.toString();
            System.arraycopy(extra, 0, all, 5, extra.length);
            Cli.Result r = Cli.run(all);
            assertEquals(ExitCodes.USAGE, r.code(), r.toString());
            assertTrue(r.err().contains(missing + " does not exist; create it first"), r.toString());
            assertFalse(Files.exists(missing), "nothing is created: " + r);
            assertFalse(Files.exists(tmp.resolve("ok.json")), "refused before any work: " + r);
        }
    }

    @Test
    void aTranscriptCheckedAgainstAModelOfAnotherEngineIsToldSoInTheCommandsTerms() throws Exception {
        Path onnx = TestModels.sileroVadV5();
        Cli.Result r = Cli.run("verify", transcript.toString(), "--model", onnx.toString(), "--input", x.toString());
        assertEquals(ExitCodes.USAGE, r.code(), r.toString());
        assertTrue(r.err().contains("was proven on PyTorch, but --model " + onnx + " is an ONNX model, which runs on OnnxRuntime;"
                + " pass the model the transcript was proven with (a DJL model directory or a TorchScript file"), r.toString());
        assertFalse(r.err().contains("OnnxProfiles"), "no Java API names in a command's message: " + r);
        // the same file against its own model stays VALID
        Cli.Result ok = Cli.run("verify", transcript.toString(), "--model", mlp.toString(), "--input", x.toString());
        assertEquals(ExitCodes.OK, ok.code(), ok.toString());
    }

    @Test
    void aMissingKeyFileSaysNoSuchFile() {
        Path none = tmp.resolve("no-key.txt");
        Cli.Result r = Cli.run("deploy", "--rpc", "http://127.0.0.1:9", "--key-file", none.toString());
        assertEquals(ExitCodes.USAGE, r.code(), r.toString());
        assertTrue(r.err().contains("--key-file " + none + ": no such file"), r.toString());
    }

    @Test
    void everyCommandsHelpListsItsExitCodes() {
        Cli.Result v = Cli.run("verify", "--help");
        assertEquals(0, v.code(), v.toString());
        for (String code : new String[] {"0   VALID", "1   INVALID", "2   bad usage", "3   INCONCLUSIVE"}) {
            assertTrue(v.out().contains(code), code + "\n" + v);
        }
        for (String c : new String[] {"prove", "generate", "inspect", "bisect", "anchor", "check-anchor", "deploy", "demo",
                "deploy-registry", "register", "models", "revoke", "attest", "check-attestation"}) {
            Cli.Result h = Cli.run(c, "--help");
            assertTrue(h.out().contains("Exit codes:") && h.out().contains("  0   "), c + "\n" + h);
        }
        Cli.Result none = Cli.run();
        assertEquals(ExitCodes.USAGE, none.code(), none.toString());
    }

    @Test
    @Timeout(120)
    void theDemoRemovesItsTemporaryWorkDirectory() {
        Cli.Result r = Cli.run("demo", "--no-chain");
        assertEquals(0, r.code(), r.toString());
        Matcher m = Pattern.compile("work dir (\\S+), removed at the end").matcher(r.out());
        assertTrue(m.find(), r.toString());
        assertFalse(Files.exists(Path.of(m.group(1))), "the demo's temporary directory is gone: " + r);
    }

    @Test
    void aWrongInputShapeNamesWhatTheModelDeclaresOrTheEnginesReason() throws Exception {
        Path wrong = tmp.resolve("wrong.npz");
        dev.opg.core.io.Npz.write(java.util.Map.of("x", dev.opg.core.witness.WitnessTensor.ofFloat32(new float[100], 1, 100)), wrong);
        Cli.Result r = Cli.run("prove", "--model", mlp.toString(), "--input", wrong.toString(), "--out", tmp.resolve("w.json").toString());
        assertEquals(ExitCodes.USAGE, r.code(), r.toString());
        assertTrue(r.err().contains("cannot run on the given input (float32(1, 100)); it declares ") && r.err().contains("(1, 784)"), r.toString());

        Path ts = TestModels.torchScriptFixture();
        Path five = tmp.resolve("five.npz");
        dev.opg.core.io.Npz.write(java.util.Map.of("x", dev.opg.core.witness.WitnessTensor.ofFloat32(new float[75], 1, 3, 5, 5)), five);
        Cli.Result t = Cli.run("prove", "--model", ts.toString(), "--input", five.toString(), "--out", tmp.resolve("t5.json").toString());
        assertEquals(ExitCodes.USAGE, t.code(), t.toString());
        // a TorchScript module declares no shapes: the engine's own reason, not the traceback's first line
        assertTrue(t.err().contains("(float32(1, 3, 5, 5)): RuntimeError: Expected 2D (unbatched) or 3D (batched) input"), t.toString());
    }
}
