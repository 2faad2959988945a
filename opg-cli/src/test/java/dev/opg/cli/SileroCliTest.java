package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.witness.WitnessTensor;
import dev.opg.core.io.Npz;
import dev.opg.core.tensor.DType;
import dev.opg.core.testmodels.TestModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * prove, inspect, verify and tamper on a third-party ONNX model: Silero VAD v5 from npm, per graph
 * node ({@code --granularity node}; the other granularities: {@link GranularityCliTest}).
 */
class SileroCliTest {
    @TempDir
    Path tmp;

    static Path sileroInput(Path file, long seed) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        float[] audio = new float[512];
        for (int i = 0; i < audio.length; i++) {
            audio[i] = (float) (r.nextDouble() - 0.5) * 0.2f;
        }
        Map<String, WitnessTensor> in = new LinkedHashMap<>();
        in.put("input", WitnessTensor.ofFloat32(audio, 1, 512));
        in.put("state", WitnessTensor.ofFloat32(new float[256], 2, 1, 128));
        in.put("sr", new WitnessTensor(DType.INT64, new long[0],
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(16000).array()));
        Npz.write(in, file);
        return file;
    }

    @Test
    void provesAndVerifiesSileroPerNodeAndCatchesATamperedStep() throws Exception {
        Path model = TestModels.sileroVadV5();
        Path x = sileroInput(tmp.resolve("frame.npz"), 5);
        Path t = tmp.resolve("vad.json");
        Cli.Result p = Cli.run("prove", "--model", model.toString(), "--input", x.toString(), "--out", t.toString(),
                "--output-file", tmp.resolve("out.npz").toString(), "--granularity", "node");
        assertEquals(0, p.code(), p.toString());
        assertEquals(2, Npz.read(tmp.resolve("out.npz")).size(), "speech probability and the next state");
        Cli.Result i = Cli.run("inspect", "--json", t.toString());
        assertEquals(0, i.code(), i.toString());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(i.out());
        assertEquals("OnnxRuntime", json.get("profile").get("engine").asText());
        assertEquals("node", json.get("granularity").asText());
        int steps = json.get("stepCount").asInt();
        assertTrue(steps > 50, "one step per graph node: " + steps);
        Cli.Result v = Cli.run("verify", t.toString(), "--model", model.toString(), "--input", x.toString());
        assertEquals(0, v.code(), v.toString());
        assertTrue(v.out().startsWith("VALID " + p.out().strip()), v.toString());

        String tampered = dev.opg.cli.DemoCommand.tamper(Files.readString(t), 7);
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, tampered);
        Cli.Result b = Cli.run("verify", bad.toString(), "--model", model.toString(), "--input", x.toString());
        assertEquals(1, b.code(), b.toString());
        assertTrue(b.out().startsWith("INVALID step[7]"), b.toString());
    }
}
