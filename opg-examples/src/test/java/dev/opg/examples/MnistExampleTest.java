package dev.opg.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The MNIST example: trains on real digits, proves, verifies and anchors on a real anvil. */
class MnistExampleTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(180)
    void trainsProvesVerifiesAndAnchors() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        MnistExample.Result r = MnistExample.run(MnistDigits.repoRoot(), tmp, 200, 20, 4, true,
                new PrintStream(log, true, StandardCharsets.UTF_8));
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(r.accuracy() > 0.7, "accuracy " + r.accuracy() + "\n" + text);
        assertEquals(4, r.proven(), text);
        assertEquals(4, r.valid(), text);
        assertNotNull(r.batchRoot(), text);
        assertTrue(text.contains("the contract accepts 4 of 4 inclusion proofs"), text);
    }

    @Test
    void readsTheDigitsNpmShips() throws Exception {
        float[][] zeros = MnistDigits.read(MnistDigits.folder(MnistDigits.repoRoot()), 0, 0, 2);
        assertEquals(2, zeros.length);
        float max = 0;
        for (float v : zeros[1]) {
            assertTrue(v >= 0 && v <= 1);
            max = Math.max(max, v);
        }
        assertTrue(max > 0.5f);
    }
}
