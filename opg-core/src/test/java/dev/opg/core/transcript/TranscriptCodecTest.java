package dev.opg.core.transcript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.UnsupportedVersionException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TranscriptCodecTest {
    @Test
    void fullTranscriptRoundTripsBitExactly() {
        Transcript t = Transcripts.full(5);
        byte[] json = TranscriptCodec.encode(t);
        Transcript back = TranscriptCodec.decode(json);
        assertEquals(t, back);
        assertEquals(t.root(), back.root());
        assertArrayEquals(json, TranscriptCodec.encode(back));
    }

    @Test
    void sketchTranscriptRoundTripsNegativeZeroAndNonAscii() {
        Transcript t = Transcripts.sketched(3, 16);
        Transcript back = TranscriptCodec.decode(TranscriptCodec.encode(t));
        assertEquals(t, back);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(back.steps().get(0).sketches().get(0).value(0)));
        assertEquals("node_0 é", back.steps().get(0).name());
    }

    @Test
    void encodingIsCompactWithFixedKeyOrder() {
        String json = TranscriptCodec.encodeToString(Transcripts.full(1));
        assertTrue(json.startsWith("{\"format\":\"opg-transcript\",\"version\":3,\"profile\":{\"engine\":\"PyTorch\""), json);
        assertFalse(json.contains(": ") || json.contains(", ") || json.contains("\n"), json);
        assertFalse(json.endsWith("\n"));
        // header version 3: granularity, scope and cuts between the sketch dimension and the model id
        assertTrue(json.contains("\"header\":{\"mode\":\"full\",\"sketchDimension\":0,\"granularity\":\"node\",\"scope\":\"\",\"cuts\":[],"
                + "\"modelId\":\""), json);
        assertTrue(json.contains("\"root\":\"" + Transcripts.full(1).root().hex() + "\"}"));
    }

    @Test
    void rejectsEveryTruncation() {
        byte[] json = TranscriptCodec.encode(Transcripts.full(2));
        for (int n = 0; n < json.length; n += 7) {
            byte[] cut = Arrays.copyOf(json, n);
            assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(cut), "prefix of " + n);
        }
    }

    @Test
    void rejectsWrongVersionWithTypedError() {
        String json = TranscriptCodec.encodeToString(Transcripts.full(1)).replace("\"version\":3,", "\"version\":4,");
        assertThrows(UnsupportedVersionException.class, () -> TranscriptCodec.decode(json));
    }

    @Test
    void rejectsUpperCaseHex() {
        Transcript t = Transcripts.full(1);
        String json = TranscriptCodec.encodeToString(t);
        String hex = t.header().modelId().hex();
        String upper = json.replace(hex, hex.toUpperCase(java.util.Locale.ROOT));
        assertFalse(upper.equals(json));
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(upper));
        assertTrue(e.getMessage().contains("canonical"), e.getMessage());
    }

    @Test
    void rejectsWhitespace() {
        String json = TranscriptCodec.encodeToString(Transcripts.full(1)).replace("\"version\":3", "\"version\": 3");
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(json));
    }

    @Test
    void rejectsReorderedKeys() {
        String json = TranscriptCodec.encodeToString(Transcripts.full(1));
        String swapped = json.replace("{\"format\":\"opg-transcript\",\"version\":3,", "{\"version\":3,\"format\":\"opg-transcript\",");
        assertFalse(swapped.equals(json));
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(swapped));
    }

    @Test
    void rejectsUnknownAndDuplicateFields() {
        String json = TranscriptCodec.encodeToString(Transcripts.full(1));
        String unknown = json.replace("\"version\":3,", "\"version\":3,\"extra\":0,");
        String dup = json.replace("\"version\":3,", "\"version\":3,\"version\":3,");
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(unknown));
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(dup));
    }

    @Test
    void rejectsAlteredStepWhoseRootNoLongerMatches() {
        Transcript t = Transcripts.full(3);
        String json = TranscriptCodec.encodeToString(t).replace("02Linear", "02Linead");
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(json));
        assertTrue(e.getMessage().contains("root"), e.getMessage());
    }

    @Test
    void aClaimKeepsAlteredContentAndItsClaimedRootApartButIsOtherwiseAsStrict() {
        Transcript t = Transcripts.full(3);
        String json = TranscriptCodec.encodeToString(t).replace("02Linear", "02Linead");
        TranscriptCodec.ClaimedTranscript claim = TranscriptCodec.decodeClaim(json.getBytes(StandardCharsets.UTF_8));
        assertFalse(claim.rootMatches());
        assertEquals(t.root(), claim.claimedRoot());
        assertTrue(claim.transcript().steps().get(2).name().endsWith("02Linead"));
        assertTrue(TranscriptCodec.decodeClaim(TranscriptCodec.encode(t)).rootMatches());
        // Everything but the root check still applies: canonical form, version, caps.
        assertThrows(MalformedInputException.class,
                () -> TranscriptCodec.decodeClaim(json.replace("\"root\":", " \"root\":").getBytes(StandardCharsets.UTF_8)));
        assertThrows(UnsupportedVersionException.class, () -> TranscriptCodec.decodeClaim(
                json.replace("\"version\":3,", "\"version\":4,").getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void rejectsOversizedNameAndCounts() {
        String json = TranscriptCodec.encodeToString(Transcripts.full(1));
        String longName = json.replace("00Linear", "x".repeat(TranscriptLimits.MAX_NAME_BYTES + 1));
        assertThrows(LimitExceededException.class, () -> TranscriptCodec.decode(longName));
        String bigIndex = json.replace("\"index\":0", "\"index\":" + TranscriptLimits.MAX_STEPS);
        assertThrows(LimitExceededException.class, () -> TranscriptCodec.decode(bigIndex));
        String hugeNumber = json.replace("\"index\":0", "\"index\":99999999999999999999");
        assertThrows(LimitExceededException.class, () -> TranscriptCodec.decode(hugeNumber));
        String d = Transcripts.d("x").hex();
        StringBuilder many = new StringBuilder();
        for (int i = 0; i <= TranscriptLimits.MAX_TENSORS; i++) {
            many.append(i == 0 ? "" : ",").append('"').append(d).append('"');
        }
        String manyInputs = json.replace("\"header\":{\"mode\":\"full\",\"sketchDimension\":0,", "\"header\":{\"mode\":\"full\",\"sketchDimension\":0,")
                .replaceFirst("\"inputs\":\\[\"[0-9a-f]{64}\"\\]", "\"inputs\":[" + many + "]");
        assertThrows(LimitExceededException.class, () -> TranscriptCodec.decode(manyInputs));
    }

    @Test
    void rejectsDocumentAboveTheByteCap() throws Exception {
        java.io.InputStream endless = new java.io.InputStream() {
            long left = TranscriptLimits.MAX_JSON_BYTES + 2;

            @Override
            public int read() {
                return left-- > 0 ? ' ' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                Arrays.fill(b, off, off + n, (byte) ' ');
                left -= n;
                return n;
            }
        };
        assertThrows(LimitExceededException.class, () -> TranscriptCodec.decode(endless));
    }

    @Test
    void rejectsGarbageAndTrailingContent() {
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode("not json"));
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode("[]"));
        String json = TranscriptCodec.encodeToString(Transcripts.full(1));
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(json + "{}"));
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(json.getBytes(StandardCharsets.UTF_16)));
    }

    @Test
    void rejectsProfileThatDoesNotMatchHeaderDigest() {
        String json = TranscriptCodec.encodeToString(Transcripts.full(1)).replace("\"seed\":42", "\"seed\":43");
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(json));
        assertTrue(e.getMessage().contains("profile"), e.getMessage());
    }

    @Test
    void profileJsonRoundTrips() {
        var p = Transcripts.profile();
        assertEquals(p, TranscriptCodec.decodeProfile(TranscriptCodec.encodeProfile(p)));
    }
}
