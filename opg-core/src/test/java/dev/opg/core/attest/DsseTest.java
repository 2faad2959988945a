package dev.opg.core.attest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import dev.opg.core.RepoFiles;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The DSSE pre-authentication encoding against the DSSE specification's vector and ours, and the envelope's JSON form. */
class DsseTest {

    @Test
    void paeOfTheDsseSpecificationsTestVector() {
        // DSSE protocol.md, "Test Vectors": PAYLOAD_TYPE http://example.com/HelloWorld, SERIALIZED_BODY "hello world".
        byte[] pae = Dsse.pae("http://example.com/HelloWorld", "hello world".getBytes(StandardCharsets.UTF_8));
        assertEquals("DSSEv1 29 http://example.com/HelloWorld 11 hello world", new String(pae, StandardCharsets.US_ASCII));
    }

    @Test
    void paeLengthsAreBytesNotCharacters() {
        // "é" is two UTF-8 bytes, "😀" four: LEN counts bytes.
        byte[] pae = Dsse.pae("t/é", "😀".getBytes(StandardCharsets.UTF_8));
        assertEquals("DSSEv1 4 t/é 4 😀", new String(pae, StandardCharsets.UTF_8));
        assertEquals("DSSEv1 0  0 ", new String(Dsse.pae("", new byte[0]), StandardCharsets.US_ASCII));
    }

    @Test
    void paeVectorsOfTheSpec() throws Exception {
        JsonNode v = new ObjectMapper().readTree(RepoFiles.resolve("spec/vectors/attestation.json").toFile());
        assertTrue(v.get("pae").size() >= 4);
        for (JsonNode c : v.get("pae")) {
            byte[] body = Hex.decode(c.get("payloadHex").asText());
            byte[] pae = Dsse.pae(c.get("payloadType").asText(), body);
            assertEquals(c.get("paeHex").asText(), Hex.encode(pae), c.get("description").asText());
        }
    }

    @Test
    void envelopeRoundTripsAndReadsBothBase64Alphabets() {
        byte[] payload = new byte[] {(byte) 0xfb, (byte) 0xff, 0x3e, 0x00};
        DsseEnvelope e = new DsseEnvelope("application/x", payload, List.of(new DsseSignature("k1", new byte[] {(byte) 0xfe, (byte) 0xff})));
        String json = new String(e.toJson(), StandardCharsets.UTF_8);
        assertEquals("{\"payloadType\":\"application/x\",\"payload\":\"+/8+AA==\",\"signatures\":[{\"keyid\":\"k1\",\"sig\":\"/v8=\"}]}", json);
        assertEquals(e, DsseEnvelope.parse(e.toJson()));
        String urlSafe = "{\"payloadType\":\"application/x\",\"payload\":\"-_8-AA\",\"signatures\":[{\"keyid\":\"k1\",\"sig\":\"_v8\"}]}";
        assertEquals(e, DsseEnvelope.parse(urlSafe.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void malformedEnvelopesAreRefusedWithTheReason() {
        String ok = "{\"payloadType\":\"t\",\"payload\":\"AA==\",\"signatures\":[{\"sig\":\"AA==\"}]}";
        DsseEnvelope.parse(ok.getBytes(StandardCharsets.UTF_8));
        assertRefused("{\"payloadType\":\"t\",\"payloadType\":\"u\",\"payload\":\"AA==\",\"signatures\":[{\"sig\":\"AA==\"}]}", "Duplicate");
        assertRefused("{\"payloadType\":\"t\",\"payload\":\"AA==\",\"signatures\":[{\"sig\":\"AA==\"}],\"x\":1}", "unknown field");
        assertRefused("{\"payloadType\":\"t\",\"payload\":\"AA==\",\"signatures\":[]}", "0 entries");
        assertRefused("{\"payloadType\":\"\",\"payload\":\"AA==\",\"signatures\":[{\"sig\":\"AA==\"}]}", "payload type");
        assertRefused("{\"payloadType\":\"t\",\"payload\":\"A+_A\",\"signatures\":[{\"sig\":\"AA==\"}]}", "mixes");
        assertRefused("{\"payloadType\":\"t\",\"payload\":\"*\",\"signatures\":[{\"sig\":\"AA==\"}]}", "not base64");
        assertRefused("{\"payloadType\":\"t\",\"payload\":\"AA==\",\"signatures\":[{\"sig\":\"AA==\",\"cert\":\"x\"}]}", "unknown field");
        assertRefused("[]", "not a JSON object");
        StringBuilder many = new StringBuilder("{\"payloadType\":\"t\",\"payload\":\"AA==\",\"signatures\":[");
        for (int i = 0; i < DsseEnvelope.MAX_SIGNATURES + 1; i++) {
            many.append(i == 0 ? "" : ",").append("{\"sig\":\"AA==\"}");
        }
        assertRefused(many + "]}", "entries");
        byte[] huge = new byte[DsseEnvelope.MAX_ENVELOPE_BYTES + 1];
        java.util.Arrays.fill(huge, (byte) ' ');
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> DsseEnvelope.parse(huge));
        assertTrue(e.getMessage().contains("at most"), e.getMessage());
    }

    @Test
    void signingSignsThePaeNotThePayload() {
        byte[][] seen = new byte[1][];
        EnvelopeSigner recordPae = new EnvelopeSigner() {
            @Override
            public String keyId() {
                return "me";
            }

            @Override
            public byte[] sign(byte[] pae) {
                seen[0] = pae;
                return new byte[] {1};
            }
        };
        DsseEnvelope e = DsseEnvelope.sign("application/vnd.in-toto+json", "{}".getBytes(StandardCharsets.UTF_8), recordPae);
        assertArrayEquals("DSSEv1 28 application/vnd.in-toto+json 2 {}".getBytes(StandardCharsets.US_ASCII), seen[0]);
        assertArrayEquals(seen[0], e.pae());
        assertEquals("me", e.signatures().get(0).keyid());
        assertEquals("AQ==", Base64.getEncoder().encodeToString(e.signatures().get(0).sig()));
    }

    private static void assertRefused(String json, String why) {
        MalformedInputException e = assertThrows(MalformedInputException.class,
                () -> DsseEnvelope.parse(json.getBytes(StandardCharsets.UTF_8)), json);
        assertTrue(e.getMessage().contains(why), "expected '" + why + "' in: " + e.getMessage());
    }
}
