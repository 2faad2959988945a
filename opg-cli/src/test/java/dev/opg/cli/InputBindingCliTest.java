package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.witness.WitnessTensor;
import dev.opg.core.io.Npz;
import dev.opg.core.testmodels.OnnxBytes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code opg prove}/{@code verify} pass .npz member names through to the ONNX binding: the same
 * two arrays under swapped names prove a transcript that does not verify against the unswapped
 * file (exit 1, the header's inputs named), beside the honest control (exit 0).
 */
class InputBindingCliTest {
    @TempDir
    Path tmp;

    private static Path npz(Path file, String first, String second) throws Exception {
        Map<String, WitnessTensor> in = new LinkedHashMap<>();
        in.put(first, WitnessTensor.ofFloat32(new float[] {3f, 1f}, 2));
        in.put(second, WitnessTensor.ofFloat32(new float[] {1f, 5f}, 2));
        Npz.write(in, file);
        return file;
    }

    @Test
    void aTranscriptOfSwappedMemberNamesDoesNotVerifyAgainstTheUnswappedFile() throws Exception {
        Path model = tmp.resolve("sub").resolve("sub.onnx");
        Files.createDirectories(model.getParent());
        Files.write(model, OnnxBytes.subModel());
        Path honestIn = npz(tmp.resolve("xy.npz"), "x", "y");
        Path swappedIn = npz(tmp.resolve("yx.npz"), "y", "x");
        Path honest = tmp.resolve("honest.json");
        Path swapped = tmp.resolve("swapped.json");
        Cli.Result p1 = Cli.run("prove", "--model", model.toString(), "--input", honestIn.toString(), "--out", honest.toString());
        assertEquals(0, p1.code(), p1.toString());
        Cli.Result p2 = Cli.run("prove", "--model", model.toString(), "--input", swappedIn.toString(), "--out", swapped.toString());
        assertEquals(0, p2.code(), p2.toString());
        assertTrue(Files.readString(swapped).contains("\"inputs\":[{\"name\":\"y\","), Files.readString(swapped));

        Cli.Result ok = Cli.run("verify", honest.toString(), "--model", model.toString(), "--input", honestIn.toString());
        assertEquals(0, ok.code(), ok.toString());
        Cli.Result bad = Cli.run("verify", swapped.toString(), "--model", model.toString(), "--input", honestIn.toString());
        assertEquals(1, bad.code(), bad.toString());
        assertTrue(bad.out().startsWith("INVALID"), bad.toString());
        assertTrue(bad.out().contains("y="), bad.toString());
        Cli.Result own = Cli.run("verify", swapped.toString(), "--model", model.toString(), "--input", swappedIn.toString());
        assertEquals(0, own.code(), own.toString());
    }

    /** out = x - y, x and y float32 [2]: a minimal ONNX ModelProto (ir 8, opset 13). */
}
