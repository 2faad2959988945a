package dev.opg.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.MalformedInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artifact digests against independent implementations: coreutils' {@code sha256sum} for a file, and
 * the in-toto {@code dirHash} reference pipeline
 * ({@code find . -type f | cut -c3- | LC_ALL=C sort | xargs -r sha256sum | sha256sum}) for a directory.
 */
class ArtifactDigestTest {
    @TempDir
    Path tmp;

    @Test
    void fileDigestIsSha256sum() throws Exception {
        Path f = tmp.resolve("model.onnx");
        Files.write(f, bytes(100_003));
        ArtifactDigest d = ArtifactDigest.of(f);
        assertEquals(ArtifactLayout.FILE, d.layout());
        assertEquals(sh(tmp, "sha256sum model.onnx | cut -c1-64"), d.digest().hex());
        assertEquals("sha256:" + d.digest().hex(), d.toString());
    }

    @Test
    void directoryDigestIsTheInTotoDirHash() throws Exception {
        Path dir = tree();
        ArtifactDigest d = ArtifactDigest.of(dir);
        assertEquals(ArtifactLayout.DIRECTORY, d.layout());
        String ref = sh(dir, "find . -type f | cut -c3- | LC_ALL=C sort | xargs -r sha256sum | sha256sum | cut -c1-64");
        assertEquals(ref, d.digest().hex());
        assertEquals(List.of(".hidden", "B.txt", "a.onnx", "sub/c.bin", "sub/deep/d", "é.txt"), ArtifactDigest.files(dir));
    }

    @Test
    void aChangedByteOrANameChangesTheDigest() throws Exception {
        Path dir = tree();
        var before = ArtifactDigest.of(dir).digest();
        Files.move(dir.resolve("B.txt"), dir.resolve("C.txt"));
        var renamed = ArtifactDigest.of(dir).digest();
        assertNotEquals(before, renamed);
        byte[] b = Files.readAllBytes(dir.resolve("sub/c.bin"));
        b[7] ^= 1;
        Files.write(dir.resolve("sub/c.bin"), b);
        assertNotEquals(renamed, ArtifactDigest.of(dir).digest());
    }

    @Test
    void linksSpecialFilesNewlinesAndEmptyDirectoriesAreRefused() throws Exception {
        Path dir = tree();
        Files.createSymbolicLink(tmp.resolve("link.onnx"), dir.resolve("a.onnx"));
        refused(tmp.resolve("link.onnx"), "symbolic link");
        Files.createSymbolicLink(dir.resolve("sub/l"), Path.of("/etc/hostname"));
        refused(dir, "symbolic link");
        Files.delete(dir.resolve("sub/l"));
        sh(dir, "mkfifo pipe");
        refused(dir, "not a regular file");
        Files.delete(dir.resolve("pipe"));
        Files.write(dir.resolve("bad\nname"), new byte[] {1});
        refused(dir, "line feed");
        Files.delete(dir.resolve("bad\nname"));
        ArtifactDigest.of(dir);
        Path empty = Files.createDirectories(tmp.resolve("empty/sub"));
        refused(empty.getParent(), "holds no files");
        refused(tmp.resolve("nothing-here"), "");
    }

    private Path tree() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Files.write(dir.resolve("a.onnx"), bytes(5000));
        Files.write(dir.resolve("B.txt"), "upper case sorts first\n".getBytes(StandardCharsets.UTF_8));
        Files.write(dir.resolve(".hidden"), new byte[0]);
        Files.write(dir.resolve("é.txt"), "non-ASCII name, sorted by its UTF-8 bytes".getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(dir.resolve("sub/deep"));
        Files.write(dir.resolve("sub/c.bin"), bytes(70_000));
        Files.write(dir.resolve("sub/deep/d"), bytes(1));
        return dir;
    }

    private static void refused(Path p, String why) {
        Exception e = assertThrows(Exception.class, () -> ArtifactDigest.of(p));
        assertTrue(e instanceof MalformedInputException || e instanceof IOException, e.toString());
        assertTrue(e.getMessage().contains(why), "expected '" + why + "' in: " + e.getMessage());
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 131 + (i >> 8));
        }
        return b;
    }

    private static String sh(Path dir, String command) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), command);
        assertEquals(0, p.exitValue(), command + ": " + out);
        return out;
    }
}
