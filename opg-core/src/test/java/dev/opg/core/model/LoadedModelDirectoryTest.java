package dev.opg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, class 4: a model directory is read in exactly one way, or refused naming the files
 * found, so the file the commitment covers is the file the engine loads.
 */
class LoadedModelDirectoryTest {
    private static Path dir(Path root, String name, String... files) throws Exception {
        Path d = root.resolve(name);
        Files.createDirectories(d);
        for (String f : files) {
            Files.write(d.resolve(f), new byte[] {1});
        }
        return d;
    }

    @Test
    void honestDirectoriesHaveOneReading(@TempDir Path root) throws Exception {
        assertEquals(LoadedModel.Kind.ONNX, LoadedModel.kindOf(dir(root, "onnx", "m.onnx", "README.md")));
        assertEquals(LoadedModel.Kind.TORCHSCRIPT, LoadedModel.kindOf(dir(root, "pt", "m.pt")));
        assertEquals(LoadedModel.Kind.TORCHSCRIPT, LoadedModel.kindOf(dir(root, "pth", "m.pth")));
        assertEquals(LoadedModel.Kind.DJL_BLOCK, LoadedModel.kindOf(dir(root, "djl", BlockSpec.FILE, "mlp-0000.params")));
    }

    @Test
    void ambiguousDirectoriesAreRefusedNamingEveryCandidate(@TempDir Path root) throws Exception {
        for (List<String> files : List.of(
                List.of("a.onnx", "b.onnx"),
                List.of("m.onnx", "m.pt"),
                List.of("m.pt", "m.torchscript"),
                List.of(BlockSpec.FILE, "mlp-0000.params", "mlp-0001.params"),
                List.of(BlockSpec.FILE, "mlp-0000.params", "m.onnx"),
                List.of(BlockSpec.FILE, "mlp-0000.params", "m.pt"),
                List.of("m.onnx", "mlp-0000.params"),
                List.of(BlockSpec.FILE))) {
            Path d = dir(root, String.join("_", files).replace('.', '_'), files.toArray(String[]::new));
            MalformedInputException e = assertThrows(MalformedInputException.class, () -> LoadedModel.kindOf(d), files.toString());
            for (String f : files) {
                assertTrue(e.getMessage().contains(f), "names " + f + ": " + e.getMessage());
            }
        }
        MalformedInputException none = assertThrows(MalformedInputException.class, () -> LoadedModel.kindOf(dir(root, "empty")));
        assertTrue(none.getMessage().contains("found none"), none.getMessage());
    }

    @Test
    void aModelFileWithAnotherFileOfTheSameStemBesideItIsRefused(@TempDir Path root) throws Exception {
        Path d = dir(root, "stem", "m.pt", "m.pth", "other.onnx");
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> LoadedModel.kindOf(d.resolve("m.pt")));
        assertTrue(e.getMessage().contains("m.pth"), e.getMessage());
        // control: a file whose stem is unique in its directory
        assertEquals(LoadedModel.Kind.ONNX, LoadedModel.kindOf(d.resolve("other.onnx")));
    }
}
