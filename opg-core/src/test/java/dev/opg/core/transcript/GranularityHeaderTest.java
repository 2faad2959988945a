package dev.opg.core.transcript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.UnsupportedVersionException;
import dev.opg.core.profile.DeterminismProfile;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Header version 3 (spec 3.2, 3.8, 3.9): the step granularity, the descent scope and the block
 * cuts are committed in the header leaf and the JSON, round-trip exactly, and malformed ones are
 * refused with typed exceptions; version 2 is refused with the advice to re-prove.
 */
class GranularityHeaderTest {
    private static final Digest MODEL = Transcripts.d("model");
    private static final Digest IN = Transcripts.d("in");
    private static final Digest OUT = Transcripts.d("out");

    private static TranscriptHeader header(Granularity g, String scope, List<String> cuts) {
        return new TranscriptHeader(TranscriptHeader.VERSION, CommitmentMode.FULL, 0, g, scope, cuts, MODEL,
                Transcripts.profile().digest(), List.of("0"), List.of(IN), List.of(OUT));
    }

    private static Transcript transcript(TranscriptHeader h, String... stepNames) {
        DeterminismProfile p = Transcripts.profile();
        List<Step> steps = new ArrayList<>();
        Digest prev = IN;
        for (int i = 0; i < stepNames.length; i++) {
            Digest o = i == stepNames.length - 1 ? OUT : Transcripts.d("v" + i);
            steps.add(Step.full(i, stepNames[i], List.of(prev), List.of(o)));
            prev = o;
        }
        return new Transcript(h, steps, p);
    }

    private static Transcript block() {
        return transcript(header(Granularity.BLOCK, "", List.of("02LambdaBlock", "03Linear")), "01Linear", "02LambdaBlock", "03Linear");
    }

    @Test
    void versionTwoIsRefusedWithAdviceToReProve() {
        String json = TranscriptCodec.encodeToString(Transcripts.full(1)).replace("\"version\":3,", "\"version\":2,");
        UnsupportedVersionException e = assertThrows(UnsupportedVersionException.class, () -> TranscriptCodec.decode(json));
        assertTrue(e.getMessage().contains("re-prove"), e.getMessage());
        assertTrue(e.getMessage().contains("granularity"), e.getMessage());
        // a version 2 document (no granularity, scope, cuts) is refused for its version, before its header is read
        String v2 = json.replace("\"granularity\":\"node\",\"scope\":\"\",\"cuts\":[],", "");
        assertNotEquals(json, v2);
        UnsupportedVersionException e2 = assertThrows(UnsupportedVersionException.class, () -> TranscriptCodec.decode(v2));
        assertTrue(e2.getMessage().contains("re-prove"), e2.getMessage());
        assertThrows(UnsupportedVersionException.class, () -> new TranscriptHeader(2, CommitmentMode.FULL, 0, MODEL, MODEL,
                List.of("0"), List.of(IN), List.of(OUT)));
    }

    @Test
    void granularityScopeAndCutsRoundTrip() {
        Transcript b = block();
        String json = TranscriptCodec.encodeToString(b);
        assertTrue(json.contains("\"sketchDimension\":0,\"granularity\":\"block\",\"scope\":\"\",\"cuts\":[\"02LambdaBlock\",\"03Linear\"],"
                + "\"modelId\":"), json);
        Transcript back = TranscriptCodec.decode(json);
        assertEquals(b, back);
        assertEquals(Granularity.BLOCK, back.header().granularity());
        assertEquals(List.of("02LambdaBlock", "03Linear"), back.header().cuts());
        assertArrayEquals(TranscriptCodec.encode(b), TranscriptCodec.encode(back));

        Transcript output = transcript(header(Granularity.OUTPUT, "", List.of()), "01Linear .. 03Linear");
        String oj = TranscriptCodec.encodeToString(output);
        assertTrue(oj.contains("\"granularity\":\"output\",\"scope\":\"\",\"cuts\":[]"), oj);
        assertEquals(output, TranscriptCodec.decode(oj));

        String scope = "/encoder/layer.0/attention/self/query/MatMul .. /encoder/layer.0/output/LayerNorm/Add_1 é\u0001";
        Transcript descent = transcript(header(Granularity.NODE, scope, List.of()), "/encoder/layer.0/attention/self/query/MatMul");
        String dj = TranscriptCodec.encodeToString(descent);
        assertTrue(dj.contains("\"granularity\":\"node\",\"scope\":\"/encoder/layer.0/attention/self/query/MatMul .. "
                + "/encoder/layer.0/output/LayerNorm/Add_1 é\\u0001\",\"cuts\":[]"), dj);
        Transcript dback = TranscriptCodec.decode(dj);
        assertEquals(descent, dback);
        assertEquals(scope, dback.header().scope());
    }

    @Test
    void headerLeafCommitsGranularityScopeAndCuts() {
        TranscriptHeader h = header(Granularity.BLOCK, "", List.of("b", "cé"));
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes("OPG-HEADER".getBytes(StandardCharsets.US_ASCII));
        o.write(3);
        o.write(0);
        o.writeBytes(le(0));
        o.write(1); // block
        o.writeBytes(le(0)); // scope ""
        o.writeBytes(le(2));
        o.writeBytes(le(1));
        o.write('b');
        o.writeBytes(le(3));
        o.writeBytes("cé".getBytes(StandardCharsets.UTF_8));
        o.writeBytes(MODEL.toByteArray());
        o.writeBytes(h.profileDigest().toByteArray());
        o.writeBytes(le(1));
        o.writeBytes(le(1));
        o.write('0');
        o.writeBytes(IN.toByteArray());
        o.writeBytes(le(1));
        o.writeBytes(OUT.toByteArray());
        assertArrayEquals(o.toByteArray(), h.leafData());

        // the granularity byte follows the tag (10 bytes), the version, the mode and k (4 bytes)
        assertEquals(1, h.leafData()[16]);
        assertEquals(2, header(Granularity.OUTPUT, "", List.of()).leafData()[16]);
        byte[] node = header(Granularity.NODE, "", List.of()).leafData();
        assertEquals(0, node[16]);
        byte[] leaf = header(Granularity.NODE, "blk", List.of()).leafData();
        assertEquals(0, leaf[16]);
        assertEquals(3, leaf.length - node.length, "the scope adds its 3 bytes");
        assertArrayEquals("blk".getBytes(StandardCharsets.US_ASCII), java.util.Arrays.copyOfRange(leaf, 21, 24));
        assertEquals(Granularity.NODE, Granularity.fromCode(0));
        assertEquals(Granularity.BLOCK, Granularity.fromCode(1));
        assertEquals(Granularity.OUTPUT, Granularity.fromCode(2));
        assertThrows(MalformedInputException.class, () -> Granularity.fromCode(3));
        // every field is bound: another granularity, scope or cut list is another header leaf
        assertNotEquals(new String(node, StandardCharsets.ISO_8859_1),
                new String(header(Granularity.OUTPUT, "", List.of()).leafData(), StandardCharsets.ISO_8859_1));
        assertNotEquals(new String(h.leafData(), StandardCharsets.ISO_8859_1),
                new String(header(Granularity.BLOCK, "", List.of("cé", "b")).leafData(), StandardCharsets.ISO_8859_1));
    }

    @Test
    void malformedGranularityScopeAndCutsAreRefused() {
        String json = TranscriptCodec.encodeToString(block());
        // an unknown granularity name
        String unknown = json.replace("\"granularity\":\"block\"", "\"granularity\":\"layer\"");
        assertNotEquals(json, unknown);
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(unknown));
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(json.replace("\"granularity\":\"block\"", "\"granularity\":\"Block\"")));
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(json.replace("\"granularity\":\"block\"", "\"granularity\":1")));
        assertThrows(MalformedInputException.class, () -> Granularity.fromSpecName("layer"));
        // cuts at node or output granularity
        String nodeCuts = json.replace("\"granularity\":\"block\"", "\"granularity\":\"node\"");
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(nodeCuts));
        assertThrows(MalformedInputException.class, () -> header(Granularity.NODE, "", List.of("03Linear")));
        assertThrows(MalformedInputException.class, () -> header(Granularity.OUTPUT, "", List.of("03Linear")));
        // duplicate cuts
        String dup = json.replace("\"cuts\":[\"02LambdaBlock\",\"03Linear\"]", "\"cuts\":[\"03Linear\",\"03Linear\"]");
        assertNotEquals(json, dup);
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(dup));
        assertThrows(MalformedInputException.class, () -> header(Granularity.BLOCK, "", List.of("a", "b", "a")));
        // a scope at block or output granularity (a descent is at node granularity)
        String scoped = json.replace("\"scope\":\"\"", "\"scope\":\"01Linear\"");
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(scoped));
        assertThrows(MalformedInputException.class, () -> header(Granularity.BLOCK, "01Linear", List.of()));
        assertThrows(MalformedInputException.class, () -> header(Granularity.OUTPUT, "01Linear", List.of()));
        // a cut or a scope above the name cap, a cut that is not valid Unicode, null entries
        String longCut = "c".repeat(TranscriptLimits.MAX_NAME_BYTES + 1);
        assertThrows(LimitExceededException.class, () -> TranscriptCodec.decode(json.replace("\"03Linear\"]", "\"" + longCut + "\"]")));
        assertThrows(LimitExceededException.class, () -> header(Granularity.BLOCK, "", List.of(longCut)));
        assertThrows(LimitExceededException.class, () -> header(Granularity.BLOCK, "", List.of("é".repeat(TranscriptLimits.MAX_NAME_BYTES / 2 + 1))));
        assertThrows(LimitExceededException.class, () -> header(Granularity.NODE, longCut, List.of()));
        String nodeJson = TranscriptCodec.encodeToString(Transcripts.full(1));
        assertThrows(LimitExceededException.class, () -> TranscriptCodec.decode(nodeJson.replace("\"scope\":\"\"", "\"scope\":\"" + longCut + "\"")));
        assertEquals(TranscriptLimits.MAX_NAME_BYTES, header(Granularity.BLOCK, "", List.of("c".repeat(TranscriptLimits.MAX_NAME_BYTES)))
                .cuts().get(0).length());
        assertThrows(MalformedInputException.class, () -> header(Granularity.BLOCK, "", List.of("a\uD800")));
        assertThrows(MalformedInputException.class, () -> header(Granularity.NODE, "a\uD800", List.of()));
        assertThrows(MalformedInputException.class, () -> header(Granularity.BLOCK, "", java.util.Arrays.asList("a", null)));
        assertThrows(MalformedInputException.class, () -> header(Granularity.BLOCK, null, List.of()));
        assertThrows(MalformedInputException.class, () -> header(null, "", List.of()));
        // more cuts than a header list holds
        List<String> many = new ArrayList<>();
        for (int i = 0; i <= TranscriptLimits.MAX_TENSORS; i++) {
            many.add("n" + i);
        }
        assertThrows(LimitExceededException.class, () -> header(Granularity.BLOCK, "", many));
        StringBuilder manyJson = new StringBuilder();
        for (String c : many) {
            manyJson.append(manyJson.length() == 0 ? "" : ",").append('"').append(c).append('"');
        }
        assertThrows(LimitExceededException.class,
                () -> TranscriptCodec.decode(json.replace("\"cuts\":[\"02LambdaBlock\",\"03Linear\"]", "\"cuts\":[" + manyJson + "]")));
        // cuts in the wrong JSON shape, or the three keys out of order or missing
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(json.replace("\"cuts\":[\"02LambdaBlock\",\"03Linear\"]", "\"cuts\":\"03Linear\"")));
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(json.replace("\"cuts\":[\"02LambdaBlock\",", "\"cuts\":[2,")));
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(json.replace("\"granularity\":\"block\",\"scope\":\"\",",
                "\"scope\":\"\",\"granularity\":\"block\",")));
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(json.replace("\"scope\":\"\",", "")));
    }

    @Test
    void granularityScopeAndCutsChangeTheRoot() {
        Transcript b = block();
        Transcript other = transcript(header(Granularity.BLOCK, "", List.of("03Linear", "02LambdaBlock")), "01Linear", "02LambdaBlock", "03Linear");
        assertNotEquals(b.root(), other.root());
        Transcript node = transcript(header(Granularity.NODE, "", List.of()), "01Linear", "02LambdaBlock", "03Linear");
        assertNotEquals(b.root(), node.root());
        Transcript scoped = transcript(header(Granularity.NODE, "x", List.of()), "01Linear", "02LambdaBlock", "03Linear");
        assertNotEquals(node.root(), scoped.root());
        // the same step leaves: only the header leaf differs
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(node.steps().get(i).leafData(), b.steps().get(i).leafData());
        }
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }
}
