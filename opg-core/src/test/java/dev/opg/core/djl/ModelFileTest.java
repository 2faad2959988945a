package dev.opg.core.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.BaseModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which file of a model directory the runner commits to: the one the engine loads, or none when that is ambiguous. */
class ModelFileTest {
    /** A model that only knows its directory and name, as DJL's models do after loading. */
    private static final class At extends BaseModel {
        At(Path dir, String name) {
            super(name);
            this.modelDir = dir;
        }

        @Override
        public void load(Path modelPath, String prefix, Map<String, ?> options) {}
    }

    @Test
    void theFileNamedForTheModelIsTheOneCommitted(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("net.pt"), new byte[] {1});
        Files.write(dir.resolve("other.pt"), new byte[] {2});
        assertEquals(dir.resolve("net.pt"), dev.opg.core.engine.ModelFiles.find(new At(dir, "net"), ".pt"));
    }

    @Test
    void withoutItOneUnambiguousModelFileIsAcceptedAndSeveralAreRefusedByName(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("a.pt"), new byte[] {1});
        assertEquals(dir.resolve("a.pt"), dev.opg.core.engine.ModelFiles.find(new At(dir, "net"), ".pt"));
        Files.write(dir.resolve("b.pth"), new byte[] {2});
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> dev.opg.core.engine.ModelFiles.find(new At(dir, "net"), ".pt"));
        assertTrue(e.getMessage().contains("[a.pt, b.pth]"), e.getMessage());
    }
}
