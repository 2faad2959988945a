package dev.opg.core.attest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.LeafWriter;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.transcript.TranscriptLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * An opg verification statement: an in-toto Statement v1 whose subjects are a transcript's output
 * tensors (by tensor digest) and whose predicate ({@value #PREDICATE_TYPE}) says that the
 * signer verified the transcript and found it VALID, with what it is about (transcript root, model
 * id, profile digest, inputs, granularity, commitment mode) and how it was checked. Written and
 * read byte for byte as section 6.2 of {@code docs/transcript-spec.md} gives it:
 *
 * <pre>
 * {"_type":"https://in-toto.io/Statement/v1",
 *  "subject":[{"name":"output/0","digest":{"opgTensorSha256":"&lt;hex&gt;"}},...],
 *  "predicateType":"https://opg.dev/attestation/verification/v1",
 *  "predicate":{"verdict":"VALID","transcriptRoot":hex,"modelId":hex,"profileDigest":hex,
 *     "granularity":"node|block|output","commitmentMode":"full|sketch",
 *     "verificationMode":"re-execution|spot-check","comparison":"bitwise|tolerant",
 *     "stepsChecked":n,"steps":n,"inputs":[{"name":"...","digest":hex},...]}}
 * </pre>
 *
 * (one line, no whitespace). Reading refuses anything else: other types, unknown or missing
 * fields, duplicate keys, a verdict other than VALID, subjects out of order.
 *
 * @param transcriptRoot the root of the verified transcript
 * @param modelId the header's model id
 * @param profileDigest the header's profile digest
 * @param granularity the header's granularity ({@code node}, {@code block}, {@code output})
 * @param commitmentMode the header's mode ({@code full}, {@code sketch})
 * @param verificationMode {@value #RE_EXECUTION} or {@value #SPOT_CHECK}
 * @param comparison {@value #BITWISE} or {@value #TOLERANT}
 * @param stepsChecked how many steps the verification compared
 * @param steps how many steps the transcript has
 * @param inputNames the model input each input tensor was bound to (the header's)
 * @param inputs the input tensor digests (the header's)
 * @param outputs the output tensor digests (the header's): the statement's subjects
 */
public record VerificationStatement(Digest transcriptRoot, Digest modelId, Digest profileDigest, String granularity,
        String commitmentMode, String verificationMode, String comparison, long stepsChecked, long steps,
        List<String> inputNames, List<Digest> inputs, List<Digest> outputs) {

    /** The in-toto Statement type. */
    public static final String STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
    /** The predicate type of opg verification statements. */
    public static final String PREDICATE_TYPE = "https://opg.dev/attestation/verification/v1";
    /** The subject digest algorithm: the opg tensor digest of spec section 1, lower-case hex. */
    public static final String SUBJECT_DIGEST = "opgTensorSha256";
    /** The only verdict a statement carries. */
    public static final String VALID = "VALID";
    /** Every step re-executed by the verifier. */
    public static final String RE_EXECUTION = "re-execution";
    /** Some steps re-run alone from the prover's witness. */
    public static final String SPOT_CHECK = "spot-check";
    /** Digests compared bit for bit. */
    public static final String BITWISE = "bitwise";
    /** Values compared within a tolerance. */
    public static final String TOLERANT = "tolerant";
    /** The largest statement read. */
    public static final int MAX_STATEMENT_BYTES = DsseEnvelope.MAX_ENVELOPE_BYTES;

    private static final Set<String> GRANULARITIES = Set.of("node", "block", "output");
    private static final Set<String> MODES = Set.of("full", "sketch");
    private static final Set<String> VERIFICATION_MODES = Set.of(RE_EXECUTION, SPOT_CHECK);
    private static final Set<String> COMPARISONS = Set.of(BITWISE, TOLERANT);
    private static final ObjectMapper JSON = StrictJson.mapper(MAX_STATEMENT_BYTES);

    public VerificationStatement {
        Objects.requireNonNull(transcriptRoot, "transcriptRoot");
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(profileDigest, "profileDigest");
        oneOf(granularity, GRANULARITIES, "granularity");
        oneOf(commitmentMode, MODES, "commitmentMode");
        oneOf(verificationMode, VERIFICATION_MODES, "verificationMode");
        oneOf(comparison, COMPARISONS, "comparison");
        if (stepsChecked < 0 || steps < 0 || stepsChecked > steps) {
            throw new MalformedInputException("stepsChecked " + stepsChecked + " and steps " + steps
                    + " must satisfy 0 <= stepsChecked <= steps");
        }
        inputNames = List.copyOf(inputNames);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        if (inputNames.size() != inputs.size()) {
            throw new MalformedInputException(inputNames.size() + " input names for " + inputs.size() + " input digests");
        }
        if (inputs.size() > TranscriptLimits.MAX_TENSORS || outputs.size() > TranscriptLimits.MAX_TENSORS) {
            throw new MalformedInputException("at most " + TranscriptLimits.MAX_TENSORS + " inputs and outputs");
        }
        if (outputs.isEmpty()) {
            throw new MalformedInputException("a statement needs at least one subject (output tensor)");
        }
        for (int i = 0; i < inputNames.size(); i++) {
            String n = inputNames.get(i);
            LeafWriter.utf8(n, TranscriptLimits.MAX_NAME_BYTES, "input name " + i);
            if (n.isEmpty()) {
                throw new MalformedInputException("input name " + i + " is empty");
            }
        }
    }

    /**
     * The statement for a transcript that was verified.
     *
     * @param verificationMode {@value #RE_EXECUTION} or {@value #SPOT_CHECK}
     * @param comparison {@value #BITWISE} or {@value #TOLERANT}
     * @param stepsChecked how many steps the verification compared
     */
    public static VerificationStatement of(Transcript t, String verificationMode, String comparison, long stepsChecked) {
        TranscriptHeader h = t.header();
        return new VerificationStatement(t.root(), h.modelId(), h.profileDigest(), h.granularity().specName(),
                h.mode().specName(), verificationMode, comparison, stepsChecked, t.steps().size(), h.inputNames(), h.inputs(),
                h.outputs());
    }

    /** The statement's bytes: the DSSE payload. */
    public byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024 + 100 * (inputs.size() + outputs.size()));
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("_type", STATEMENT_TYPE);
            g.writeArrayFieldStart("subject");
            for (int i = 0; i < outputs.size(); i++) {
                g.writeStartObject();
                g.writeStringField("name", "output/" + i);
                g.writeObjectFieldStart("digest");
                g.writeStringField(SUBJECT_DIGEST, outputs.get(i).hex());
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("predicateType", PREDICATE_TYPE);
            g.writeObjectFieldStart("predicate");
            g.writeStringField("verdict", VALID);
            g.writeStringField("transcriptRoot", transcriptRoot.hex());
            g.writeStringField("modelId", modelId.hex());
            g.writeStringField("profileDigest", profileDigest.hex());
            g.writeStringField("granularity", granularity);
            g.writeStringField("commitmentMode", commitmentMode);
            g.writeStringField("verificationMode", verificationMode);
            g.writeStringField("comparison", comparison);
            g.writeNumberField("stepsChecked", stepsChecked);
            g.writeNumberField("steps", steps);
            g.writeArrayFieldStart("inputs");
            for (int i = 0; i < inputs.size(); i++) {
                g.writeStartObject();
                g.writeStringField("name", inputNames.get(i));
                g.writeStringField("digest", inputs.get(i).hex());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Reads a statement.
     *
     * @throws MalformedInputException naming the first field that is not as section 6.2 requires
     */
    public static VerificationStatement parse(byte[] json) {
        JsonNode root = StrictJson.read(JSON, json, MAX_STATEMENT_BYTES, "the statement");
        StrictJson.fields(root, "statement", Set.of("_type", "subject", "predicateType", "predicate"), Set.of());
        String type = StrictJson.text(root, "_type", "statement");
        if (!STATEMENT_TYPE.equals(type)) {
            throw new MalformedInputException("statement._type is \"" + StrictJson.abbreviate(type) + "\"; expected " + STATEMENT_TYPE);
        }
        String predicateType = StrictJson.text(root, "predicateType", "statement");
        if (!PREDICATE_TYPE.equals(predicateType)) {
            throw new MalformedInputException("statement.predicateType is \"" + StrictJson.abbreviate(predicateType)
                    + "\"; an opg verification statement has " + PREDICATE_TYPE);
        }
        List<Digest> outputs = new ArrayList<>();
        List<JsonNode> subjects = StrictJson.array(root, "subject", "statement", 1, TranscriptLimits.MAX_TENSORS);
        for (int i = 0; i < subjects.size(); i++) {
            String what = "statement.subject[" + i + "]";
            JsonNode s = subjects.get(i);
            StrictJson.fields(s, what, Set.of("name", "digest"), Set.of());
            String name = StrictJson.text(s, "name", what);
            if (!name.equals("output/" + i)) {
                throw new MalformedInputException(what + ".name is \"" + StrictJson.abbreviate(name) + "\"; expected \"output/" + i + "\"");
            }
            JsonNode d = s.get("digest");
            StrictJson.fields(d, what + ".digest", Set.of(SUBJECT_DIGEST), Set.of());
            outputs.add(StrictJson.hex64(d, SUBJECT_DIGEST, what + ".digest"));
        }
        JsonNode p = root.get("predicate");
        StrictJson.fields(p, "statement.predicate", Set.of("verdict", "transcriptRoot", "modelId", "profileDigest", "granularity",
                "commitmentMode", "verificationMode", "comparison", "stepsChecked", "steps", "inputs"), Set.of());
        String what = "predicate";
        String verdict = StrictJson.text(p, "verdict", what);
        if (!VALID.equals(verdict)) {
            throw new MalformedInputException("predicate.verdict is \"" + StrictJson.abbreviate(verdict) + "\"; an opg statement only ever says VALID");
        }
        List<String> inputNames = new ArrayList<>();
        List<Digest> inputs = new ArrayList<>();
        List<JsonNode> in = StrictJson.array(p, "inputs", what, 0, TranscriptLimits.MAX_TENSORS);
        for (int i = 0; i < in.size(); i++) {
            String w = "predicate.inputs[" + i + "]";
            StrictJson.fields(in.get(i), w, Set.of("name", "digest"), Set.of());
            inputNames.add(StrictJson.text(in.get(i), "name", w));
            inputs.add(StrictJson.hex64(in.get(i), "digest", w));
        }
        VerificationStatement s = new VerificationStatement(StrictJson.hex64(p, "transcriptRoot", what),
                StrictJson.hex64(p, "modelId", what), StrictJson.hex64(p, "profileDigest", what),
                StrictJson.text(p, "granularity", what), StrictJson.text(p, "commitmentMode", what),
                StrictJson.text(p, "verificationMode", what), StrictJson.text(p, "comparison", what),
                StrictJson.nonNegativeLong(p, "stepsChecked", what), StrictJson.nonNegativeLong(p, "steps", what), inputNames,
                inputs, outputs);
        return s;
    }

    /**
     * Where this statement does not describe {@code t}: each field that differs, as
     * {@code field: statement X, transcript Y}; empty if it is about exactly this transcript.
     */
    public List<String> differences(Transcript t) {
        List<String> out = new ArrayList<>();
        TranscriptHeader h = t.header();
        diff(out, "transcriptRoot", transcriptRoot.hex(), t.root().hex());
        diff(out, "modelId", modelId.hex(), h.modelId().hex());
        diff(out, "profileDigest", profileDigest.hex(), h.profileDigest().hex());
        diff(out, "granularity", granularity, h.granularity().specName());
        diff(out, "commitmentMode", commitmentMode, h.mode().specName());
        diff(out, "steps", Long.toString(steps), Integer.toString(t.steps().size()));
        diff(out, "inputs", inputNames + "=" + inputs, h.inputNames() + "=" + h.inputs());
        diff(out, "outputs (subjects)", outputs.toString(), h.outputs().toString());
        return out;
    }

    private static void diff(List<String> out, String field, String statement, String transcript) {
        if (!statement.equals(transcript)) {
            out.add(field + ": statement " + StrictJson.abbreviate(statement) + ", transcript " + StrictJson.abbreviate(transcript));
        }
    }

    private static void oneOf(String v, Set<String> allowed, String what) {
        if (v == null || !allowed.contains(v)) {
            throw new MalformedInputException("predicate." + what + " is " + (v == null ? "missing" : "\"" + StrictJson.abbreviate(v) + "\"")
                    + "; expected one of " + new java.util.TreeSet<>(allowed));
        }
    }
}
