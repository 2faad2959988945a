package dev.opg.core.attest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.MalformedInputException;
import dev.opg.core.RepoFiles;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The in-toto statement of a verified transcript: its exact bytes, and strict reading. */
class VerificationStatementTest {

    static Transcript vectorTranscript(int i) throws Exception {
        JsonNode v = new ObjectMapper().readTree(RepoFiles.resolve("spec/vectors/transcript.json").toFile());
        return TranscriptCodec.decode(v.get("cases").get(i).get("transcript").asText());
    }

    @Test
    void statementOfATranscriptCarriesItsHeaderAndRoundTrips() throws Exception {
        Transcript t = vectorTranscript(0);
        VerificationStatement s = VerificationStatement.of(t, VerificationStatement.RE_EXECUTION, VerificationStatement.BITWISE,
                t.steps().size());
        String json = new String(s.toJson(), StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"output/0\",\"digest\":{\"opgTensorSha256\":\""
                + t.header().outputs().get(0).hex() + "\"}}],\"predicateType\":\"https://opg.dev/attestation/verification/v1\","
                + "\"predicate\":{\"verdict\":\"VALID\",\"transcriptRoot\":\"" + t.root().hex() + "\",\"modelId\":\""
                + t.header().modelId().hex() + "\""), json);
        assertEquals(s, VerificationStatement.parse(s.toJson()));
        assertEquals(List.of(), s.differences(t));
        Transcript other = vectorTranscript(1);
        List<String> d = s.differences(other);
        assertTrue(d.stream().anyMatch(x -> x.startsWith("transcriptRoot")), d.toString());
        assertTrue(d.stream().anyMatch(x -> x.startsWith("granularity")), d.toString());
    }

    @Test
    void anythingButAnOpgValidStatementIsRefused() throws Exception {
        Transcript t = vectorTranscript(0);
        String ok = new String(VerificationStatement.of(t, VerificationStatement.RE_EXECUTION, VerificationStatement.BITWISE,
                t.steps().size()).toJson(), StandardCharsets.UTF_8);
        VerificationStatement.parse(ok.getBytes(StandardCharsets.UTF_8));
        refused(ok.replace("\"verdict\":\"VALID\"", "\"verdict\":\"INVALID\""), "only ever says VALID");
        refused(ok.replace("Statement/v1", "Statement/v0.1"), "_type");
        refused(ok.replace("verification/v1", "verification/v2"), "predicateType");
        refused(ok.replace("\"output/0\"", "\"output/1\""), "expected \"output/0\"");
        refused(ok.replace("opgTensorSha256", "sha256"), "unknown field");
        refused(ok.replace("\"granularity\":\"node\"", "\"granularity\":\"layer\""), "granularity");
        refused(ok.replace("\"steps\":", "\"extra\":1,\"steps\":"), "unknown field");
        refused(ok.replace("\"modelId\":\"" + t.header().modelId().hex(), "\"modelId\":\"" + t.header().modelId().hex().toUpperCase()),
                "lower-case hex");
        refused(ok.replace("\"stepsChecked\":" + t.steps().size(), "\"stepsChecked\":" + (t.steps().size() + 1)), "stepsChecked");
        refused(ok.replace("\"verificationMode\":\"re-execution\"", "\"verificationMode\":\"trust-me\""), "verificationMode");
        refused(ok.replace("{\"_type\"", "{\"_type\":\"x\",\"_type\""), "Duplicate");
    }

    private static void refused(String json, String why) {
        MalformedInputException e = assertThrows(MalformedInputException.class,
                () -> VerificationStatement.parse(json.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains(why), "expected '" + why + "' in: " + e.getMessage());
    }
}
