package dev.opg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor keeps a model's file digest between tasks, and never past a change to the files:
 * a rewrite of the same size with the modification time put back is still seen (its change time
 * moves), and so is a file added or removed.
 */
class ModelFilesDigestTest {
    @TempDir
    Path dir;

    @Test
    void keptDigestFollowsEveryChangeToTheFiles() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Path params = model.resolve("m-0000.params");
        Files.write(params, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Files.writeString(model.resolve("opg-block.json"), "{\"name\":\"m\"}");
        ModelSource source = ModelSource.of(model);
        String first = source.filesDigest();
        Thread.sleep((ModelSource.SETTLE_SECONDS + 1) * 1000L); // let the files settle, so the digest is kept
        String settled = source.filesDigest();
        assertEquals(first, settled);
        assertEquals(settled, source.filesDigest()); // the kept answer

        // same size, same modification time: only the change time tells
        FileTime mtime = Files.getLastModifiedTime(params);
        Files.write(params, new byte[] {1, 2, 3, 4, 5, 6, 7, 9});
        Files.setLastModifiedTime(params, mtime);
        String rewritten = source.filesDigest();
        assertNotEquals(settled, rewritten);
        assertEquals(fresh(model), rewritten);

        Files.writeString(model.resolve("extra.txt"), "x");
        String added = source.filesDigest();
        assertNotEquals(rewritten, added);
        assertEquals(fresh(model), added);

        Files.delete(model.resolve("extra.txt"));
        assertEquals(rewritten, source.filesDigest());
    }

    @Test
    void filesJustWrittenAreHashedEveryTime() throws IOException {
        Path f = dir.resolve("m.onnx");
        Files.write(f, new byte[] {9, 9, 9});
        ModelSource source = ModelSource.of(f);
        String a = source.filesDigest();
        Files.write(f, new byte[] {9, 9, 8});
        Files.setLastModifiedTime(f, FileTime.from(Instant.now().minusSeconds(3600)));
        assertNotEquals(a, source.filesDigest());
    }

    /** The digest as a JVM that never saw the model computes it (a copy under the same name). */
    private String fresh(Path model) throws IOException {
        Path copyRoot = Files.createTempDirectory(dir, "copy");
        Path copy = Files.createDirectories(copyRoot.resolve(model.getFileName()));
        try (var s = Files.list(model)) {
            for (Path p : s.toList()) {
                Files.copy(p, copy.resolve(p.getFileName()));
            }
        }
        return ModelSource.of(copy).filesDigest();
    }
}
