package dev.opg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.DType;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Sketch;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A second, forgiving reading of a transcript file that the strict codec rejected, for
 * {@code opg verify} only: it ignores the {@code root} field and whitespace, so that a file whose
 * content was altered (and whose root field therefore no longer matches) can still be compared
 * step by step with a re-execution and the first altered step named. What it returns is never
 * trusted: it is the claim under test, and the verdict for such a file is always INVALID.
 *
 * @param transcript the content as parsed
 * @param claimedRoot the file's root field
 */
record LenientTranscript(Transcript transcript, Digest claimedRoot) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Parses the file; empty result never: throws MalformedInputException if even this fails. */
    static LenientTranscript read(Path file) throws IOException {
        JsonNode o;
        try {
            o = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new MalformedInputException("not JSON: " + e.getOriginalMessage());
        }
        if (o == null || !TranscriptCodec.FORMAT.equals(o.path("format").asText())) {
            throw new MalformedInputException("not an opg transcript (format field)");
        }
        DeterminismProfile profile = TranscriptCodec.decodeProfile(JSON.writeValueAsBytes(o.path("profile")));
        JsonNode h = o.path("header");
        TranscriptHeader header = new TranscriptHeader(o.path("version").asInt(),
                CommitmentMode.fromSpecName(h.path("mode").asText()), h.path("sketchDimension").asInt(),
                digest(h.path("modelId")), digest(h.path("profileDigest")), digests(h.path("inputs")), digests(h.path("outputs")));
        List<Step> steps = new ArrayList<>();
        for (JsonNode s : o.path("steps")) {
            List<Sketch> sketches = new ArrayList<>();
            for (JsonNode k : s.path("sketches")) {
                long[] shape = new long[k.path("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = k.path("shape").get(i).asLong();
                }
                ByteBuffer b = ByteBuffer.wrap(Hex.decode(k.path("values").asText())).order(ByteOrder.LITTLE_ENDIAN);
                float[] v = new float[b.remaining() / 4];
                b.asFloatBuffer().get(v);
                sketches.add(new Sketch(DType.fromSpecName(k.path("dtype").asText()), shape, v));
            }
            steps.add(new Step(s.path("index").asLong(), s.path("name").asText(), digests(s.path("inputs")),
                    digests(s.path("outputs")), sketches));
        }
        Transcript t = new Transcript(header, steps, profile);
        return new LenientTranscript(t, digest(o.path("root")));
    }

    private static Digest digest(JsonNode n) {
        if (!n.isTextual()) {
            throw new MalformedInputException("a digest field is missing");
        }
        return Digest.fromHex(n.asText());
    }

    private static List<Digest> digests(JsonNode a) {
        List<Digest> out = new ArrayList<>();
        for (JsonNode n : a) {
            out.add(digest(n));
        }
        return out;
    }
}
