package dev.opg.core.transcript;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.UnsupportedVersionException;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Transcripts to and from their canonical JSON form ({@code docs/transcript-spec.md}, "JSON form").
 *
 * <p>Canonical means one transcript has exactly one byte string: keys in the spec's fixed order,
 * no whitespace, lower-case hex, integers without sign, fraction or exponent, sketch values as
 * hex of float32 little-endian bits, UTF-8. Decoding is strict and fails closed:
 * <ul>
 *   <li>a {@code version} other than {@value TranscriptHeader#VERSION} gives
 *       {@link UnsupportedVersionException};</li>
 *   <li>a document, count or string above a {@link TranscriptLimits cap} gives
 *       {@link LimitExceededException};</li>
 *   <li>anything else that is not the canonical encoding of a valid transcript (truncation,
 *       unknown, missing, duplicate or re-ordered keys, whitespace, upper-case hex, a root that is
 *       not the transcript's root) gives {@link MalformedInputException}.</li>
 * </ul>
 * Decoding re-encodes the parsed transcript and compares bytes, so whatever is accepted
 * round-trips bit-exactly. Thread-safe.
 */
public final class TranscriptCodec {
    /** Value of the {@code format} field. */
    public static final String FORMAT = "opg-transcript";

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(16)
                    .maxNumberLength(20)
                    .maxStringLength(8 * 1024 * 1024)
                    .maxDocumentLength(TranscriptLimits.MAX_JSON_BYTES)
                    .build())
            .build();

    private TranscriptCodec() {}

    /** The canonical JSON bytes (UTF-8, no trailing newline). */
    public static byte[] encode(Transcript t) {
        return encode(t, t.root());
    }

    /** The canonical layout with {@code root} written in the root field (equal to {@code t.root()} except for a claim under test). */
    private static byte[] encode(Transcript t, Digest root) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024 + 256 * t.steps().size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeNumberField("version", t.header().version());
            g.writeFieldName("profile");
            writeProfile(g, t.profile());
            TranscriptHeader h = t.header();
            g.writeFieldName("header");
            g.writeStartObject();
            g.writeStringField("mode", h.mode().specName());
            g.writeNumberField("sketchDimension", h.sketchDimension());
            g.writeStringField("granularity", h.granularity().specName());
            g.writeStringField("scope", h.scope());
            g.writeArrayFieldStart("cuts");
            for (String c : h.cuts()) {
                g.writeString(c);
            }
            g.writeEndArray();
            g.writeStringField("modelId", h.modelId().hex());
            g.writeStringField("profileDigest", h.profileDigest().hex());
            g.writeArrayFieldStart("inputs");
            for (int i = 0; i < h.inputs().size(); i++) {
                g.writeStartObject();
                g.writeStringField("name", h.inputNames().get(i));
                g.writeStringField("digest", h.inputs().get(i).hex());
                g.writeEndObject();
            }
            g.writeEndArray();
            writeDigests(g, "outputs", h.outputs());
            g.writeEndObject();
            g.writeArrayFieldStart("steps");
            for (Step s : t.steps()) {
                g.writeStartObject();
                g.writeNumberField("index", s.index());
                g.writeStringField("name", s.name());
                writeDigests(g, "inputs", s.inputs());
                writeDigests(g, "outputs", s.outputs());
                g.writeArrayFieldStart("sketches");
                for (Sketch k : s.sketches()) {
                    g.writeStartObject();
                    g.writeStringField("dtype", k.dtype().specName());
                    g.writeArrayFieldStart("shape");
                    for (long d : k.shape()) {
                        g.writeNumber(d);
                    }
                    g.writeEndArray();
                    ByteBuffer b = ByteBuffer.allocate(4 * k.dimension()).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < k.dimension(); i++) {
                        b.putInt(Float.floatToRawIntBits(k.value(i)));
                    }
                    g.writeStringField("values", Hex.encode(b.array()));
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("root", root.hex());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** {@link #encode} as a string. */
    public static String encodeToString(Transcript t) {
        return new String(encode(t), StandardCharsets.UTF_8);
    }

    /** The canonical JSON of a profile alone (the {@code profile} member of a transcript). */
    public static byte[] encodeProfile(DeterminismProfile p) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            writeProfile(g, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Parses a profile written by {@link #encodeProfile}, with the same strictness as {@link #decode(byte[])}. */
    public static DeterminismProfile decodeProfile(byte[] json) {
        DeterminismProfile p;
        try (JsonParser parser = JSON.createParser(json)) {
            Reader r = new Reader(parser);
            r.next();
            p = r.profile();
            r.end();
        } catch (JsonProcessingException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!Arrays.equals(json, encodeProfile(p))) {
            throw new MalformedInputException("profile JSON is not in canonical form");
        }
        return p;
    }

    public static void write(Transcript t, Path file) throws IOException {
        Files.write(file, encode(t));
    }

    public static Transcript read(Path file) throws IOException {
        return decode(readCapped(file));
    }

    /**
     * The file's bytes, refused above {@link TranscriptLimits#MAX_JSON_BYTES} before they are read
     * and never more than the cap + 1 read: a file that grows, or a device or pipe whose size
     * says nothing, cannot make this allocate more.
     */
    private static byte[] readCapped(Path file) throws IOException {
        long size = Files.size(file);
        if (size > TranscriptLimits.MAX_JSON_BYTES) {
            throw new LimitExceededException("transcript file " + file + " has " + size + " bytes; the cap is " + TranscriptLimits.MAX_JSON_BYTES);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes((int) TranscriptLimits.MAX_JSON_BYTES + 1);
            if (b.length > TranscriptLimits.MAX_JSON_BYTES) {
                throw new LimitExceededException("transcript file " + file + " exceeds the cap of " + TranscriptLimits.MAX_JSON_BYTES + " bytes");
            }
            return b;
        }
    }

    /** Reads at most {@link TranscriptLimits#MAX_JSON_BYTES} + 1 bytes and decodes them. */
    public static Transcript decode(InputStream in) throws IOException {
        byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, TranscriptLimits.MAX_JSON_BYTES + 1));
        if (b.length > TranscriptLimits.MAX_JSON_BYTES) {
            throw new LimitExceededException("transcript JSON exceeds the cap of " + TranscriptLimits.MAX_JSON_BYTES + " bytes");
        }
        return decode(b);
    }

    public static Transcript decode(String json) {
        return decode(json.getBytes(StandardCharsets.UTF_8));
    }

    /** Parses canonical JSON; see the class comment for what is rejected and how. */
    public static Transcript decode(byte[] json) {
        ClaimedTranscript claim = decodeClaim(json);
        if (!claim.rootMatches()) {
            throw new MalformedInputException("the root field " + claim.claimedRoot().hex() + " is not the transcript's root "
                    + claim.transcript().root().hex() + "; the transcript was altered or its root miscomputed");
        }
        return claim.transcript();
    }

    /**
     * Parses a transcript exactly as strictly as {@link #decode(byte[])} (canonical form, caps,
     * version, field order) but does not require its root field to match its content: the
     * content and the claimed root come back separately. For verifiers that must say WHERE an
     * altered transcript differs from a re-execution, not only that its root is wrong; never
     * treat the result as a valid transcript unless {@link ClaimedTranscript#rootMatches()}.
     */
    public static ClaimedTranscript decodeClaim(byte[] json) {
        if (json.length > TranscriptLimits.MAX_JSON_BYTES) {
            throw new LimitExceededException("transcript JSON has " + json.length + " bytes; the cap is " + TranscriptLimits.MAX_JSON_BYTES);
        }
        ClaimedTranscript claim;
        try (JsonParser parser = JSON.createParser(json)) {
            claim = new Reader(parser).transcript();
        } catch (JsonProcessingException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!Arrays.equals(json, encode(claim.transcript(), claim.claimedRoot()))) {
            throw new MalformedInputException("transcript JSON is not in canonical form (whitespace, key order, "
                    + "upper-case hex, escapes or number form differ from the spec's encoding); re-encode it with TranscriptCodec.encode");
        }
        return claim;
    }

    /** {@link #decodeClaim(byte[])} of a file, with the same size cap as {@link #read(Path)}. */
    public static ClaimedTranscript readClaim(Path file) throws IOException {
        return decodeClaim(readCapped(file));
    }

    /** A transcript's content and the root its file claims, not yet checked against each other. */
    public record ClaimedTranscript(Transcript transcript, Digest claimedRoot) {
        /** True when the claimed root is the content's RFC 9162 root. */
        public boolean rootMatches() {
            return transcript.root().equals(claimedRoot);
        }
    }

    private static OpgException malformed(JsonProcessingException e) {
        String msg = e.getOriginalMessage();
        if (e instanceof com.fasterxml.jackson.core.exc.StreamConstraintsException) {
            return new LimitExceededException("transcript JSON exceeds a parser cap: " + msg);
        }
        return new MalformedInputException("transcript JSON is malformed at " + location(e) + ": " + msg, e);
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? "an unknown position" : "byte " + e.getLocation().getByteOffset();
    }

    private static void writeProfile(JsonGenerator g, DeterminismProfile p) throws IOException {
        g.writeStartObject();
        g.writeStringField("engine", p.engine());
        g.writeStringField("engineVersion", p.engineVersion());
        g.writeStringField("djlVersion", p.djlVersion());
        g.writeStringField("nativeLibrary", p.nativeLibrary());
        g.writeStringField("os", p.os());
        g.writeStringField("arch", p.arch());
        g.writeStringField("cpuCapability", p.cpuCapability());
        g.writeNumberField("intraOpThreads", p.intraOpThreads());
        g.writeNumberField("interOpThreads", p.interOpThreads());
        g.writeBooleanField("graphOptimizer", p.graphOptimizer());
        g.writeBooleanField("deterministicAlgorithms", p.deterministicAlgorithms());
        g.writeNumberField("seed", p.seed());
        g.writeStringField("dtype", p.dtype().specName());
        g.writeEndObject();
    }

    private static void writeDigests(JsonGenerator g, String field, List<Digest> ds) throws IOException {
        g.writeArrayFieldStart(field);
        for (Digest d : ds) {
            g.writeString(d.hex());
        }
        g.writeEndArray();
    }

    /** A strict pull reader that expects the canonical key order. */
    private static final class Reader {
        private final JsonParser p;

        Reader(JsonParser p) {
            this.p = p;
        }

        ClaimedTranscript transcript() throws IOException {
            next();
            expect(JsonToken.START_OBJECT, "the transcript object");
            field("format");
            String format = string("format");
            if (!FORMAT.equals(format)) {
                throw new MalformedInputException("format is '" + format + "'; expected '" + FORMAT + "'");
            }
            field("version");
            long version = integer("version", Long.MAX_VALUE);
            if (version != TranscriptHeader.VERSION) {
                throw TranscriptHeader.unsupported(version);
            }
            field("profile");
            next();
            DeterminismProfile profile = profile();
            field("header");
            next();
            expect(JsonToken.START_OBJECT, "header");
            field("mode");
            CommitmentMode mode = CommitmentMode.fromSpecName(string("mode"));
            field("sketchDimension");
            int k = (int) integer("sketchDimension", TranscriptLimits.MAX_SKETCH_DIMENSION);
            field("granularity");
            Granularity granularity = Granularity.fromSpecName(string("granularity"));
            field("scope");
            String scope = checkedName(string("header scope"), "header scope");
            field("cuts");
            next();
            expect(JsonToken.START_ARRAY, "header cuts");
            List<String> cuts = new ArrayList<>();
            while (next() != JsonToken.END_ARRAY) {
                if (cuts.size() >= TranscriptLimits.MAX_STEPS) {
                    throw new LimitExceededException("header cuts has more than " + TranscriptLimits.MAX_STEPS + " entries");
                }
                expect(JsonToken.VALUE_STRING, "a header cut");
                cuts.add(checkedName(p.getText(), "header cut"));
            }
            field("modelId");
            Digest modelId = digest("modelId");
            field("profileDigest");
            Digest profileDigest = digest("profileDigest");
            field("inputs");
            List<String> inputNames = new ArrayList<>();
            List<Digest> inputs = new ArrayList<>();
            boundInputs(inputNames, inputs);
            field("outputs");
            List<Digest> outputs = digests("header outputs");
            endObject("header");
            TranscriptHeader header = new TranscriptHeader((int) version, mode, k, granularity, scope, cuts, modelId, profileDigest,
                    inputNames, inputs, outputs);
            field("steps");
            next();
            expect(JsonToken.START_ARRAY, "steps");
            List<Step> steps = new ArrayList<>();
            while (next() != JsonToken.END_ARRAY) {
                if (steps.size() >= TranscriptLimits.MAX_STEPS) {
                    throw new LimitExceededException("transcript has more than " + TranscriptLimits.MAX_STEPS + " steps");
                }
                steps.add(step());
            }
            field("root");
            Digest root = digest("root");
            endObject("transcript");
            end();
            return new ClaimedTranscript(new Transcript(header, steps, profile), root);
        }

        DeterminismProfile profile() throws IOException {
            expect(JsonToken.START_OBJECT, "profile");
            String[] s = new String[7];
            String[] names = {"engine", "engineVersion", "djlVersion", "nativeLibrary", "os", "arch", "cpuCapability"};
            for (int i = 0; i < names.length; i++) {
                field(names[i]);
                s[i] = string(names[i]);
                if (s[i].length() > TranscriptLimits.MAX_PROFILE_STRING_BYTES) {
                    throw new LimitExceededException("profile " + names[i] + " has " + s[i].length()
                            + " characters; the cap is " + TranscriptLimits.MAX_PROFILE_STRING_BYTES + " UTF-8 bytes");
                }
            }
            field("intraOpThreads");
            int intra = (int) integer("intraOpThreads", 4096);
            field("interOpThreads");
            int inter = (int) integer("interOpThreads", 4096);
            field("graphOptimizer");
            boolean graph = bool("graphOptimizer");
            field("deterministicAlgorithms");
            boolean det = bool("deterministicAlgorithms");
            field("seed");
            long seed = integer("seed", DeterminismProfile.MAX_SEED);
            field("dtype");
            DType dtype = DType.fromSpecName(string("dtype"));
            endObject("profile");
            return new DeterminismProfile(s[0], s[1], s[2], s[3], s[4], s[5], s[6], intra, inter, graph, det, seed, dtype);
        }

        /** The header's {@code "inputs":[{"name":s,"digest":hex}...]} (version 2). */
        void boundInputs(List<String> names, List<Digest> digests) throws IOException {
            next();
            expect(JsonToken.START_ARRAY, "header inputs");
            while (next() != JsonToken.END_ARRAY) {
                if (digests.size() >= TranscriptLimits.MAX_TENSORS) {
                    throw new LimitExceededException("header inputs has more than " + TranscriptLimits.MAX_TENSORS + " entries");
                }
                expect(JsonToken.START_OBJECT, "a header input");
                field("name");
                String name = string("header input name");
                if (name.length() > TranscriptLimits.MAX_NAME_BYTES) {
                    throw new LimitExceededException("header input name has " + name.length()
                            + " characters; the cap is " + TranscriptLimits.MAX_NAME_BYTES + " UTF-8 bytes");
                }
                field("digest");
                Digest d = digest("header input digest");
                endObject("header input");
                names.add(name);
                digests.add(d);
            }
        }

        Step step() throws IOException {
            expect(JsonToken.START_OBJECT, "step");
            field("index");
            long index = integer("step index", TranscriptLimits.MAX_STEPS - 1);
            field("name");
            String name = string("step name");
            if (name.length() > TranscriptLimits.MAX_NAME_BYTES) {
                throw new LimitExceededException("step " + index + " name has " + name.length()
                        + " characters; the cap is " + TranscriptLimits.MAX_NAME_BYTES + " UTF-8 bytes");
            }
            field("inputs");
            List<Digest> inputs = digests("step " + index + " inputs");
            field("outputs");
            List<Digest> outputs = digests("step " + index + " outputs");
            field("sketches");
            next();
            expect(JsonToken.START_ARRAY, "sketches");
            List<Sketch> sketches = new ArrayList<>();
            while (next() != JsonToken.END_ARRAY) {
                if (sketches.size() >= TranscriptLimits.MAX_TENSORS) {
                    throw new LimitExceededException("step " + index + " has more than " + TranscriptLimits.MAX_TENSORS + " sketches");
                }
                sketches.add(sketch());
            }
            endObject("step");
            return new Step(index, name, inputs, outputs, sketches);
        }

        Sketch sketch() throws IOException {
            expect(JsonToken.START_OBJECT, "sketch");
            field("dtype");
            DType dtype = DType.fromSpecName(string("dtype"));
            field("shape");
            next();
            expect(JsonToken.START_ARRAY, "shape");
            List<Long> dims = new ArrayList<>();
            while (next() != JsonToken.END_ARRAY) {
                if (dims.size() >= TranscriptLimits.MAX_RANK) {
                    throw new LimitExceededException("a sketch shape has more than " + TranscriptLimits.MAX_RANK + " dimensions");
                }
                dims.add(integerHere("shape dimension", Long.MAX_VALUE));
            }
            field("values");
            String hex = string("values");
            if (hex.length() > 8L * TranscriptLimits.MAX_SKETCH_DIMENSION) {
                throw new LimitExceededException("sketch values hold " + hex.length() / 8 + " floats; the cap is "
                        + TranscriptLimits.MAX_SKETCH_DIMENSION);
            }
            byte[] raw = Hex.decode(hex);
            if (raw.length % 4 != 0) {
                throw new MalformedInputException("sketch values hold " + raw.length + " bytes; expected a multiple of 4 (float32)");
            }
            ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            float[] values = new float[raw.length / 4];
            for (int i = 0; i < values.length; i++) {
                values[i] = Float.intBitsToFloat(b.getInt());
            }
            endObject("sketch");
            return new Sketch(dtype, dims.stream().mapToLong(Long::longValue).toArray(), values);
        }

        JsonToken next() throws IOException {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new MalformedInputException("transcript JSON ends early (truncated) at byte "
                        + p.currentLocation().getByteOffset());
            }
            return t;
        }

        void expect(JsonToken t, String what) {
            if (p.currentToken() != t) {
                throw new MalformedInputException("expected " + describe(t) + " for " + what + " at byte "
                        + p.currentLocation().getByteOffset() + "; found " + p.currentToken());
            }
        }

        void field(String name) throws IOException {
            JsonToken t = next();
            if (t != JsonToken.FIELD_NAME) {
                throw new MalformedInputException("expected field '" + name + "' at byte "
                        + p.currentLocation().getByteOffset() + "; found " + t);
            }
            String found = p.currentName();
            if (!name.equals(found)) {
                throw new MalformedInputException("expected field '" + name + "' at byte "
                        + p.currentLocation().getByteOffset() + "; found '" + found
                        + "' (unknown, duplicate or out of the spec's order)");
            }
        }

        void endObject(String what) throws IOException {
            JsonToken t = next();
            if (t != JsonToken.END_OBJECT) {
                throw new MalformedInputException("unexpected " + (t == JsonToken.FIELD_NAME ? "field '" + p.currentName() + "'" : t)
                        + " at the end of " + what + " (byte " + p.currentLocation().getByteOffset() + ")");
            }
        }

        void end() throws IOException {
            JsonToken t = p.nextToken();
            if (t != null) {
                throw new MalformedInputException("trailing content after the JSON document: " + t);
            }
        }

        /** A name-like string (scope, cut) within {@link TranscriptLimits#MAX_NAME_BYTES}. */
        static String checkedName(String s, String what) {
            if (s.length() > TranscriptLimits.MAX_NAME_BYTES) {
                throw new LimitExceededException(what + " has " + s.length() + " characters; the cap is "
                        + TranscriptLimits.MAX_NAME_BYTES + " UTF-8 bytes");
            }
            return s;
        }

        String string(String what) throws IOException {
            next();
            expect(JsonToken.VALUE_STRING, what);
            return p.getText();
        }

        boolean bool(String what) throws IOException {
            JsonToken t = next();
            if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
                throw new MalformedInputException("expected true or false for " + what + "; found " + t);
            }
            return t == JsonToken.VALUE_TRUE;
        }

        long integer(String what, long max) throws IOException {
            next();
            return integerHere(what, max);
        }

        long integerHere(String what, long max) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
                throw new MalformedInputException("expected an integer for " + what + " at byte "
                        + p.currentLocation().getByteOffset() + "; found " + p.currentToken());
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw new LimitExceededException(what + " " + p.getText() + " exceeds the cap " + max);
            }
            long v = p.getLongValue();
            if (v < 0) {
                throw new MalformedInputException(what + " is negative (" + v + ")");
            }
            if (v > max) {
                throw new LimitExceededException(what + " " + v + " exceeds the cap " + max);
            }
            return v;
        }

        Digest digest(String what) throws IOException {
            String hex = string(what);
            if (hex.length() != 2 * Digest.SIZE) {
                throw new MalformedInputException(what + " has " + hex.length() + " hex digits; a digest has " + 2 * Digest.SIZE);
            }
            return Digest.fromHex(hex);
        }

        List<Digest> digests(String what) throws IOException {
            next();
            expect(JsonToken.START_ARRAY, what);
            List<Digest> out = new ArrayList<>();
            while (next() != JsonToken.END_ARRAY) {
                if (out.size() >= TranscriptLimits.MAX_TENSORS) {
                    throw new LimitExceededException(what + " has more than " + TranscriptLimits.MAX_TENSORS + " digests");
                }
                expect(JsonToken.VALUE_STRING, what);
                String hex = p.getText();
                if (hex.length() != 2 * Digest.SIZE) {
                    throw new MalformedInputException("a digest in " + what + " has " + hex.length() + " hex digits; expected " + 2 * Digest.SIZE);
                }
                out.add(Digest.fromHex(hex));
            }
            return out;
        }

        private static String describe(JsonToken t) {
            return switch (t) {
                case START_OBJECT -> "an object";
                case START_ARRAY -> "an array";
                case VALUE_STRING -> "a string";
                default -> t.toString();
            };
        }
    }
}
