package dev.opg.core.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** spec/vectors/sampling.json, written by the independent spec/sampling.py: every choice, sketch, exp and KV digest. */
class SamplingVectorsTest {
    private static JsonNode vectors() throws Exception {
        for (Path p : new Path[] {Path.of("../spec/vectors/sampling.json"), Path.of("spec/vectors/sampling.json")}) {
            if (Files.exists(p)) {
                return new ObjectMapper().readTree(p.toFile());
            }
        }
        throw new IllegalStateException("spec/vectors/sampling.json not found");
    }

    private static float[] floats(String hex) {
        ByteBuffer b = ByteBuffer.wrap(HexFormat.of().parseHex(hex)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        for (int i = 0; i < f.length; i++) {
            f[i] = b.getFloat();
        }
        return f;
    }

    private static float bits(String hex) {
        return Float.intBitsToFloat(Integer.parseUnsignedInt(hex, 16));
    }

    @Test
    void everyChoiceRandomNumberAndSketchIsReproduced() throws Exception {
        JsonNode v = vectors();
        int n = 0;
        for (JsonNode c : v.get("cases")) {
            float[] logits = floats(c.get("logits").asText());
            SamplingParams p = new SamplingParams(bits(c.get("temperature").asText()), c.get("topK").asInt(), bits(c.get("topP").asText()),
                    c.get("seed").asLong(), 1, List.of());
            long pos = c.get("position").asLong();
            String what = c.get("description").asText();
            assertEquals(c.get("random64").asText(), String.format("%016x", Sampler.random64(p.seed(), pos)), what);
            Sampler.Choice ch = Sampler.choose(logits, p, pos);
            assertEquals(c.get("token").asInt(), ch.token(), what);
            assertEquals(c.get("kept").asInt(), ch.kept(), what);
            assertEquals(Double.parseDouble(c.get("uniform").asText().replace("0x", "0x")), ch.uniform(), 0.0, what);
            assertEquals(c.get("sketch4").asText(), GenerationCodec.sketchHex(LogitSketch.sketch(logits, 4)), what);
            n++;
        }
        assertEquals(17, n);
    }

    @Test
    void theSpecsExpIsReproducedBitForBit() throws Exception {
        for (JsonNode e : vectors().get("exp")) {
            String x = e.get("x").asText();
            double xv = x.equals("-inf") ? Double.NEGATIVE_INFINITY : Double.parseDouble(x);
            assertEquals(Double.doubleToRawLongBits(Double.parseDouble(e.get("exp").asText())), Double.doubleToRawLongBits(Sampler.exp(xv)), x);
            if (xv > -700) {
                assertEquals(Math.exp(xv), Sampler.exp(xv), Math.ulp(Math.exp(xv)) * 2, "close to the library exp at " + x);
            }
        }
    }

    @Test
    void kvDigestsAreReproduced() throws Exception {
        for (JsonNode k : vectors().get("kv")) {
            long[] shape = new long[4];
            for (int i = 0; i < 4; i++) {
                shape[i] = k.get("shape").get(i).asLong();
            }
            byte[] data = HexFormat.of().parseHex(k.get("data").asText());
            assertEquals(k.get("digest").asText(), KvDigest.of(DType.FLOAT32, shape, ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN)).hex());
        }
    }

    @Test
    void theCacheDigestExtendsByNewPositionsOnly() {
        // kv(concat(P, S)) = extend(kv(P), S): a cache of 3 positions, committed as 2 then 1
        float[] all = new float[2 * 3 * 4];
        for (int i = 0; i < all.length; i++) {
            all[i] = i * 0.25f - 1;
        }
        ByteBuffer full = ByteBuffer.allocate(all.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : all) {
            full.putFloat(f);
        }
        full.flip();
        ByteBuffer first = ByteBuffer.allocate(2 * 2 * 4 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int h = 0; h < 2; h++) {
            for (int p = 0; p < 2; p++) {
                for (int d = 0; d < 4; d++) {
                    first.putFloat(all[(h * 3 + p) * 4 + d]);
                }
            }
        }
        first.flip();
        var prefix = KvDigest.of(DType.FLOAT32, new long[] {1, 2, 2, 4}, first);
        assertEquals(KvDigest.of(DType.FLOAT32, new long[] {1, 2, 3, 4}, full), KvDigest.extend(prefix, DType.FLOAT32, new long[] {1, 2, 3, 4}, full, 2));
    }

    @Test
    void refusesLogitsItCannotSampleFrom() {
        SamplingParams p = new SamplingParams(1f, 0, 1f, 1, 1, List.of());
        assertThrows(GenerationException.class, () -> Sampler.choose(new float[] {1f, Float.NaN}, p, 0));
        assertThrows(GenerationException.class, () -> Sampler.choose(new float[] {1f, Float.POSITIVE_INFINITY}, p, 0));
        assertThrows(GenerationException.class, () -> Sampler.choose(new float[] {Float.NEGATIVE_INFINITY}, p, 0));
        assertThrows(GenerationException.class, () -> Sampler.choose(new float[0], p, 0));
    }
}
