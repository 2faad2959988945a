package dev.opg.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The Silero VAD example: per-node transcripts over generated audio, the recurrent state chained. */
class SileroVadExampleTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(180)
    void provesEveryFrameChainsTheStateAndHearsTheVoicedStretch() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        SileroVadExample.Result r = SileroVadExample.run(MnistDigits.repoRoot(), tmp, 1.5, 5, new PrintStream(log, true, StandardCharsets.UTF_8));
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(46, r.frames(), text);
        assertEquals(214, r.stepsPerFrame(), "one step per ONNX node of Silero v5 at 16 kHz: " + text);
        assertTrue(r.stateChained(), text);
        assertEquals(r.verified(), r.valid(), text);
        int third = r.frames() / 3;
        float quiet = (float) r.speechProbabilities().subList(2, third - 2).stream().mapToDouble(Float::doubleValue).max().orElse(1);
        float voiced = (float) r.speechProbabilities().subList(third + 3, 2 * third - 2).stream().mapToDouble(Float::doubleValue).max().orElse(0);
        assertTrue(voiced > quiet, "the voiced stretch scores higher than the noise: " + r.speechProbabilities());
    }
}
