package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.TranscriptCodec;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seeded CNN through a model directory, and SKETCH-mode transcripts with a tolerance. */
class CnnAndSketchTest {
    @TempDir
    Path tmp;

    @Test
    void cnnDirectoryLoadsWithTheSameModelIdAsTheModelInMemoryAndProvesAndVerifies() throws Exception {
        Path dir = TestFixtures.saveModel(tmp.resolve("cnn"), "cnn", 9);
        var profile = TestModels.pytorchProfile();
        String inMemory;
        try (Model m = TestModels.cnn(9); VerifiableModel vm = VerifiableModel.wrap(m, profile)) {
            inMemory = vm.modelId().hex();
        }
        try (LoadedModel lm = LoadedModel.open(dir, profile, dev.opg.core.djl.RecordingOptions.full())) {
            assertEquals(LoadedModel.Kind.DJL_BLOCK, lm.kind());
            assertEquals(inMemory, lm.verifiable().modelId().hex(), "saving and loading keep every parameter byte");
        }
        Path x = TestFixtures.saveInput(tmp.resolve("x.npz"), "cnn", 3);
        Path t = tmp.resolve("cnn.json");
        Cli.Result p = Cli.run("prove", "--model", dir.toString(), "--input", x.toString(), "--out", t.toString());
        assertEquals(0, p.code(), p.toString());
        assertEquals(inMemory, TranscriptCodec.read(t).header().modelId().hex());
        Cli.Result v = Cli.run("verify", t.toString(), "--model", dir.toString(), "--input", x.toString());
        assertEquals(0, v.code(), v.toString());
    }

    @Test
    void sketchModeTranscriptVerifiesBitwiseAndWithinATolerance() throws Exception {
        Path dir = TestFixtures.saveModel(tmp.resolve("mlp"), "mlp", 5);
        Path x = TestFixtures.saveInput(tmp.resolve("x.npz"), "mlp", 6);
        Path t = tmp.resolve("sketch.json");
        Cli.Result p = Cli.run("prove", "--model", dir.toString(), "--input", x.toString(), "--out", t.toString(),
                "--mode", "sketch", "--sketch-dim", "8");
        assertEquals(0, p.code(), p.toString());
        Cli.Result i = Cli.run("inspect", t.toString());
        assertTrue(i.out().contains("sketch (k=8)"), i.toString());
        Cli.Result v = Cli.run("verify", t.toString(), "--model", dir.toString(), "--input", x.toString());
        assertEquals(0, v.code(), v.toString());
        Cli.Result tol = Cli.run("verify", t.toString(), "--model", dir.toString(), "--input", x.toString(), "--tolerance", "abs=1e-5,rel=1e-4");
        assertEquals(0, tol.code(), tol.toString());
        assertTrue(tol.out().contains("tolerant"), tol.toString());
        Cli.Result bad = Cli.run("verify", t.toString(), "--model", dir.toString(), "--input", x.toString(), "--tolerance", "abs=x");
        assertEquals(2, bad.code(), bad.toString());
    }
}
