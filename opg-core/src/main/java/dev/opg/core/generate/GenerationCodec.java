package dev.opg.core.generate;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;

/**
 * The canonical JSON form of a generation transcript (spec section 3.16): UTF-8, no whitespace, keys
 * in the order below, lower-case hex, floats as the hex of their float32 bits. A reader parses,
 * rebuilds the transcript (recomputing a FULL transcript's root), re-encodes it and refuses
 * anything that is not byte for byte that encoding, and a FULL transcript whose root or leaf count
 * is not the recomputed one.
 *
 * <pre>
 * {"format":"opg-generation","version":1,"commitment":"full"|"compact","profile":{...},
 *  "header":{"granularity":s,"cuts":[s...],"modelId":hex,"profileDigest":hex,"tokenizer":hex,"prompt":s,
 *            "promptTokens":[n...],"sampling":{"temperature":hex8,"topK":n,"topP":hex8,"seed":n,
 *            "maxNewTokens":n,"stopTokens":[n...]},"sketchDimension":n},
 *  "tokens":[n...],"sketches":[hex...],
 *  "segments":[{"inputs":[{"name":s,"digest":hex}...],"outputs":[...],"steps":[{"name":s,"inputs":[hex...],"outputs":[hex...]}...]}...],
 *  "stop":"stop-token"|"length"|"context","text":s,"leafCount":n,"root":hex}
 * </pre>
 *
 * {@code segments} is present in FULL transcripts only.
 */
public final class GenerationCodec {
    public static final String FORMAT = "opg-generation";
    public static final int VERSION = 1;
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(16)
                    .maxNumberLength(20)
                    .maxStringLength(8 * 1024 * 1024)
                    .maxDocumentLength(TranscriptLimits.MAX_JSON_BYTES)
                    .build())
            .build();
    private static final ObjectMapper MAPPER = new ObjectMapper(JSON);
    private static final HexFormat HEX = HexFormat.of();

    private GenerationCodec() {}

    public static byte[] encode(GenerationTranscript t) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeNumberField("version", VERSION);
            g.writeStringField("commitment", t.commitment().specName());
            g.writeFieldName("profile");
            g.writeRawValue(new String(TranscriptCodec.encodeProfile(t.profile()), StandardCharsets.UTF_8));
            GenerationHeader h = t.header();
            g.writeObjectFieldStart("header");
            g.writeStringField("granularity", h.granularity().specName());
            g.writeArrayFieldStart("cuts");
            for (String c : h.cuts()) {
                g.writeString(c);
            }
            g.writeEndArray();
            g.writeStringField("modelId", h.modelId().hex());
            g.writeStringField("profileDigest", h.profileDigest().hex());
            g.writeStringField("tokenizer", h.tokenizer().hex());
            g.writeStringField("prompt", h.promptText());
            ints(g, "promptTokens", h.promptTokens());
            SamplingParams s = h.sampling();
            g.writeObjectFieldStart("sampling");
            g.writeStringField("temperature", f32(s.temperature()));
            g.writeNumberField("topK", s.topK());
            g.writeStringField("topP", f32(s.topP()));
            g.writeNumberField("seed", s.seed());
            g.writeNumberField("maxNewTokens", s.maxNewTokens());
            ints(g, "stopTokens", s.stopTokens());
            g.writeEndObject();
            g.writeNumberField("sketchDimension", h.sketchDimension());
            g.writeEndObject();
            ints(g, "tokens", t.tokens());
            g.writeArrayFieldStart("sketches");
            for (int i = 0; i < t.tokens().size(); i++) {
                g.writeString(sketchHex(t.sketch(i)));
            }
            g.writeEndArray();
            if (t.commitment() == Commitment.FULL) {
                g.writeArrayFieldStart("segments");
                for (Segment seg : t.segments()) {
                    g.writeStartObject();
                    named(g, "inputs", seg.record().inputs());
                    named(g, "outputs", seg.record().outputs());
                    g.writeArrayFieldStart("steps");
                    for (Step st : seg.steps()) {
                        g.writeStartObject();
                        g.writeStringField("name", st.name());
                        digests(g, "inputs", st.inputs());
                        digests(g, "outputs", st.outputs());
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeStringField("stop", t.end().reason().specName());
            g.writeStringField("text", t.end().text());
            g.writeNumberField("leafCount", t.leafCount());
            g.writeStringField("root", t.root().hex());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static void write(GenerationTranscript t, Path file) throws IOException {
        Files.write(file, encode(t));
    }

    public static GenerationTranscript read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > TranscriptLimits.MAX_JSON_BYTES) {
            throw new LimitExceededException("generation transcript " + file + " has " + size + " bytes; the cap is "
                    + TranscriptLimits.MAX_JSON_BYTES);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes((int) TranscriptLimits.MAX_JSON_BYTES + 1);
            if (b.length > TranscriptLimits.MAX_JSON_BYTES) {
                throw new LimitExceededException("generation transcript " + file + " exceeds " + TranscriptLimits.MAX_JSON_BYTES + " bytes");
            }
            return decode(b);
        }
    }

    /** Whether {@code json} starts as a generation transcript does (for a CLI that reads both kinds). */
    public static boolean isGeneration(byte[] json) {
        byte[] prefix = ("{\"format\":\"" + FORMAT + "\"").getBytes(StandardCharsets.UTF_8);
        return json.length >= prefix.length && Arrays.equals(Arrays.copyOf(json, prefix.length), prefix);
    }

    /** Whether the file at {@code file} is a generation transcript (reads its first bytes only). */
    public static boolean isGeneration(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return isGeneration(in.readNBytes(64));
        }
    }

    /**
     * Parses and checks {@code json}.
     *
     * @throws MalformedInputException for anything but the canonical encoding of a valid transcript, a wrong root or leaf count
     * @throws LimitExceededException above a cap
     */
    public static GenerationTranscript decode(byte[] json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            if (e.getMessage() != null && e.getMessage().contains("exceeds")) {
                throw new LimitExceededException("generation transcript: " + e.getOriginalMessage());
            }
            throw new MalformedInputException("generation transcript is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (root == null || !root.isObject()) {
            throw new MalformedInputException("generation transcript is not a JSON object");
        }
        if (!FORMAT.equals(text(root, "format"))) {
            throw new MalformedInputException("format is '" + text(root, "format") + "'; a generation transcript has '" + FORMAT + "'");
        }
        long version = integer(root, "version", 0, Integer.MAX_VALUE);
        if (version != VERSION) {
            throw new dev.opg.core.UnsupportedVersionException("generation transcript version " + version
                    + " is not supported; this implementation reads version " + VERSION);
        }
        Commitment commitment = Commitment.fromSpecName(text(root, "commitment"));
        DeterminismProfile profile;
        try {
            profile = TranscriptCodec.decodeProfile(MAPPER.writeValueAsBytes(field(root, "profile")));
        } catch (JsonProcessingException e) {
            throw new MalformedInputException("profile: " + e.getOriginalMessage(), e);
        }
        JsonNode h = field(root, "header");
        JsonNode s = field(h, "sampling");
        SamplingParams sampling = new SamplingParams(f32(text(s, "temperature"), "temperature"), (int) integer(s, "topK", 0, Integer.MAX_VALUE),
                f32(text(s, "topP"), "topP"), integer(s, "seed", 0, Long.MAX_VALUE),
                (int) integer(s, "maxNewTokens", 1, SamplingParams.MAX_NEW_TOKENS), ints(s, "stopTokens", SamplingParams.MAX_STOP_TOKENS));
        GenerationHeader header = new GenerationHeader(Granularity.fromSpecName(text(h, "granularity")),
                strings(h, "cuts", TranscriptLimits.MAX_TENSORS), digest(h, "modelId"), digest(h, "profileDigest"), digest(h, "tokenizer"),
                text(h, "prompt"), ints(h, "promptTokens", GenerationHeader.MAX_PROMPT), sampling,
                (int) integer(h, "sketchDimension", 0, LogitSketch.MAX_DIMENSION));
        List<Integer> tokens = ints(root, "tokens", SamplingParams.MAX_NEW_TOKENS);
        JsonNode sk = array(field(root, "sketches"), "sketches", SamplingParams.MAX_NEW_TOKENS);
        List<short[]> sketches = new ArrayList<>();
        for (JsonNode n : sk) {
            sketches.add(sketch(n));
        }
        StopReason reason = StopReason.fromSpecName(text(root, "stop"));
        GenerationEnd end = new GenerationEnd(tokens.size(), reason, text(root, "text"));
        long leafCount = integer(root, "leafCount", 0, TranscriptLimits.MAX_STEPS);
        Digest claimed = digest(root, "root");
        GenerationTranscript t;
        if (commitment == Commitment.FULL) {
            JsonNode segs = array(field(root, "segments"), "segments", SamplingParams.MAX_NEW_TOKENS);
            if (segs.size() != tokens.size() || sketches.size() != tokens.size()) {
                throw new MalformedInputException("the transcript has " + tokens.size() + " tokens, " + sketches.size() + " sketches and "
                        + segs.size() + " segments; each token has one of each");
            }
            List<Segment> segments = new ArrayList<>();
            long steps = 0;
            for (int i = 0; i < segs.size(); i++) {
                JsonNode seg = segs.get(i);
                JsonNode st = array(field(seg, "steps"), "segment " + i + " steps", TranscriptLimits.MAX_STEPS);
                steps += st.size() + 1;
                if (steps > TranscriptLimits.MAX_STEPS) {
                    throw new LimitExceededException("the transcript has more than " + TranscriptLimits.MAX_STEPS + " leaves");
                }
                List<Step> list = new ArrayList<>();
                for (int j = 0; j < st.size(); j++) {
                    JsonNode x = st.get(j);
                    list.add(Step.full(j, text(x, "name"), digests(x, "inputs"), digests(x, "outputs")));
                }
                TokenRecord r = new TokenRecord(i, header.position(i), list.size(), named(seg, "inputs"), named(seg, "outputs"),
                        tokens.get(i), sketches.get(i));
                segments.add(new Segment(list, r));
            }
            t = GenerationTranscript.full(header, profile, segments, end);
            if (!t.root().equals(claimed) || t.leafCount() != leafCount) {
                throw new MalformedInputException("the transcript's root " + claimed.hex() + " over " + leafCount
                        + " leaves is not the root of its leaves, " + t.root().hex() + " over " + t.leafCount());
            }
        } else {
            t = GenerationTranscript.compact(header, profile, tokens, sketches, end, claimed, leafCount);
        }
        if (!Arrays.equals(json, encode(t))) {
            throw new MalformedInputException("generation transcript is not in canonical form (key order, whitespace, hex case, "
                    + "an unknown or missing key)");
        }
        return t;
    }

    // ---- writing helpers

    private static void ints(JsonGenerator g, String name, List<Integer> l) throws IOException {
        g.writeArrayFieldStart(name);
        for (int v : l) {
            g.writeNumber(v);
        }
        g.writeEndArray();
    }

    private static void digests(JsonGenerator g, String name, List<Digest> l) throws IOException {
        g.writeArrayFieldStart(name);
        for (Digest d : l) {
            g.writeString(d.hex());
        }
        g.writeEndArray();
    }

    private static void named(JsonGenerator g, String name, List<NamedDigest> l) throws IOException {
        g.writeArrayFieldStart(name);
        for (NamedDigest n : l) {
            g.writeStartObject();
            g.writeStringField("name", n.name());
            g.writeStringField("digest", n.digest().hex());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    static String f32(float f) {
        return String.format("%08x", Float.floatToRawIntBits(f));
    }

    public static String sketchHex(short[] s) {
        byte[] b = new byte[2 * s.length];
        for (int i = 0; i < s.length; i++) {
            b[2 * i] = (byte) s[i];
            b[2 * i + 1] = (byte) (s[i] >> 8);
        }
        return HEX.formatHex(b);
    }

    // ---- reading helpers

    private static JsonNode field(JsonNode o, String name) {
        if (o == null || !o.isObject()) {
            throw new MalformedInputException("expected an object holding '" + name + "'");
        }
        JsonNode n = o.get(name);
        if (n == null) {
            throw new MalformedInputException("missing key '" + name + "'");
        }
        return n;
    }

    private static String text(JsonNode o, String name) {
        JsonNode n = field(o, name);
        if (!n.isTextual()) {
            throw new MalformedInputException("'" + name + "' must be a string; got " + n.getNodeType());
        }
        return n.textValue();
    }

    private static long integer(JsonNode o, String name, long min, long max) {
        JsonNode n = field(o, name);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new MalformedInputException("'" + name + "' must be an integer; got " + n);
        }
        long v = n.longValue();
        if (v < min || v > max) {
            throw (v > max ? new LimitExceededException("'" + name + "' is " + v + "; the cap is " + max)
                    : new MalformedInputException("'" + name + "' is " + v + "; it must be in " + min + ".." + max));
        }
        return v;
    }

    private static JsonNode array(JsonNode n, String what, int cap) {
        if (!n.isArray()) {
            throw new MalformedInputException("'" + what + "' must be an array");
        }
        if (n.size() > cap) {
            throw new LimitExceededException("'" + what + "' has " + n.size() + " entries; the cap is " + cap);
        }
        return n;
    }

    private static List<Integer> ints(JsonNode o, String name, int cap) {
        List<Integer> l = new ArrayList<>();
        for (JsonNode n : array(field(o, name), name, cap)) {
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0) {
                throw new MalformedInputException("'" + name + "' holds " + n + "; token ids are integers 0..2^31-1");
            }
            l.add(n.intValue());
        }
        return l;
    }

    private static List<String> strings(JsonNode o, String name, int cap) {
        List<String> l = new ArrayList<>();
        for (JsonNode n : array(field(o, name), name, cap)) {
            if (!n.isTextual()) {
                throw new MalformedInputException("'" + name + "' holds " + n + "; expected strings");
            }
            l.add(n.textValue());
        }
        return l;
    }

    private static Digest digest(JsonNode o, String name) {
        return hexDigest(text(o, name), name);
    }

    private static Digest hexDigest(String s, String what) {
        if (s.length() != 2 * Digest.SIZE || !s.equals(s.toLowerCase(java.util.Locale.ROOT))) {
            throw new MalformedInputException("'" + what + "' must be 64 lower-case hex digits; got '" + s + "'");
        }
        try {
            return Digest.fromHex(s);
        } catch (RuntimeException e) {
            throw new MalformedInputException("'" + what + "' is not hex: '" + s + "'");
        }
    }

    private static List<Digest> digests(JsonNode o, String name) {
        List<Digest> l = new ArrayList<>();
        for (JsonNode n : array(field(o, name), name, TranscriptLimits.MAX_TENSORS)) {
            if (!n.isTextual()) {
                throw new MalformedInputException("'" + name + "' holds " + n + "; expected hex digests");
            }
            l.add(hexDigest(n.textValue(), name));
        }
        return l;
    }

    private static List<NamedDigest> named(JsonNode o, String name) {
        List<NamedDigest> l = new ArrayList<>();
        for (JsonNode n : array(field(o, name), name, TranscriptLimits.MAX_TENSORS)) {
            l.add(new NamedDigest(text(n, "name"), digest(n, "digest")));
        }
        return l;
    }

    private static float f32(String hex, String what) {
        if (hex.length() != 8 || !hex.equals(hex.toLowerCase(java.util.Locale.ROOT))) {
            throw new MalformedInputException("'" + what + "' must be the 8 lower-case hex digits of a float32; got '" + hex + "'");
        }
        try {
            return Float.intBitsToFloat(Integer.parseUnsignedInt(hex, 16));
        } catch (NumberFormatException e) {
            throw new MalformedInputException("'" + what + "' is not hex: '" + hex + "'");
        }
    }

    private static short[] sketch(JsonNode n) {
        if (!n.isTextual() || n.textValue().length() % 4 != 0 || n.textValue().length() > 4 * LogitSketch.MAX_DIMENSION) {
            throw new MalformedInputException("a sketch is the hex of float16 values (4 digits each); got " + n);
        }
        byte[] b;
        try {
            b = HEX.parseHex(n.textValue());
        } catch (IllegalArgumentException e) {
            throw new MalformedInputException("a sketch is not hex: " + n);
        }
        short[] s = new short[b.length / 2];
        for (int i = 0; i < s.length; i++) {
            s[i] = (short) ((b[2 * i] & 0xff) | (b[2 * i + 1] & 0xff) << 8);
        }
        return s;
    }

    @SuppressWarnings("unused")
    private static Iterator<String> keys(JsonNode n) {
        return n.fieldNames();
    }
}
