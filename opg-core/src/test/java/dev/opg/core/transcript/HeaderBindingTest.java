package dev.opg.core.transcript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.UnsupportedVersionException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Header version 2 and later (spec 3.2): each input digest is committed with the model input it was bound to. */
class HeaderBindingTest {
    private static final Digest A = Transcripts.d("tensor a");
    private static final Digest B = Transcripts.d("tensor b");

    private static Transcript twoInputs(List<String> names, List<Digest> inputs) {
        var p = Transcripts.profile();
        TranscriptHeader h = TranscriptHeader.of(CommitmentMode.FULL, 0, Transcripts.d("model"), p.digest(), names, inputs,
                List.of(Transcripts.d("out")));
        return new Transcript(h, List.of(Step.full(0, "Add", inputs, List.of(Transcripts.d("out")))), p);
    }

    @Test
    void swappedNamesGiveAnotherHeaderAndRoot() {
        Transcript honest = twoInputs(List.of("x", "y"), List.of(A, B));
        Transcript swapped = twoInputs(List.of("y", "x"), List.of(A, B));
        assertEquals(honest.header().inputs(), swapped.header().inputs());
        assertNotEquals(Hex.encode(honest.header().leafData()), Hex.encode(swapped.header().leafData()));
        assertNotEquals(honest.root(), swapped.root());
    }

    @Test
    void headerLeafIsTheSpecLayout() {
        Transcript t = twoInputs(List.of("x", "é"), List.of(A, B));
        TranscriptHeader h = t.header();
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes("OPG-HEADER".getBytes(StandardCharsets.US_ASCII));
        o.write(3);
        o.write(0);
        o.writeBytes(le(0));
        o.write(0); // granularity: node
        o.writeBytes(le(0)); // scope: empty
        o.writeBytes(le(0)); // no cuts
        o.writeBytes(h.modelId().toByteArray());
        o.writeBytes(h.profileDigest().toByteArray());
        o.writeBytes(le(2));
        o.writeBytes(le(1));
        o.writeBytes("x".getBytes(StandardCharsets.UTF_8));
        o.writeBytes(A.toByteArray());
        o.writeBytes(le(2));
        o.writeBytes(new byte[] {(byte) 0xc3, (byte) 0xa9});
        o.writeBytes(B.toByteArray());
        o.writeBytes(le(1));
        o.writeBytes(h.outputs().get(0).toByteArray());
        assertArrayEquals(o.toByteArray(), h.leafData());
    }

    @Test
    void jsonCarriesNamedInputsAndRoundTrips() {
        Transcript t = twoInputs(List.of("x", "y"), List.of(A, B));
        String json = TranscriptCodec.encodeToString(t);
        assertTrue(json.contains("\"inputs\":[{\"name\":\"x\",\"digest\":\"" + A.hex() + "\"},{\"name\":\"y\",\"digest\":\"" + B.hex() + "\"}]"), json);
        assertEquals(t, TranscriptCodec.decode(json));
        // a name swapped in the JSON (root kept) is not the transcript the root commits to
        String swapped = json.replace("\"name\":\"x\"", "\"name\":\"T\"").replace("\"name\":\"y\"", "\"name\":\"x\"").replace("\"name\":\"T\"", "\"name\":\"y\"");
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(swapped));
        assertTrue(e.getMessage().contains("root"), e.getMessage());
    }

    @Test
    void versionOneIsRejectedWithAdviceToReProve() {
        String json = TranscriptCodec.encodeToString(Transcripts.full(1)).replace("\"version\":3,", "\"version\":1,");
        UnsupportedVersionException e = assertThrows(UnsupportedVersionException.class, () -> TranscriptCodec.decode(json));
        assertTrue(e.getMessage().contains("re-prove"), e.getMessage());
        assertThrows(UnsupportedVersionException.class, () -> new TranscriptHeader(1, CommitmentMode.FULL, 0, A, A,
                List.of("0"), List.of(A), List.of(B)));
    }

    @Test
    void positionalOverloadNamesInputsByDecimalPosition() {
        var p = Transcripts.profile();
        TranscriptHeader h = TranscriptHeader.of(CommitmentMode.FULL, 0, A, p.digest(), List.of(A, B, A), List.of(B));
        assertEquals(List.of("0", "1", "2"), h.inputNames());
    }

    @Test
    void rejectsDuplicateEmptyMissingAndOversizedNames() {
        var p = Transcripts.profile();
        assertThrows(MalformedInputException.class, () -> TranscriptHeader.of(CommitmentMode.FULL, 0, A, p.digest(),
                List.of("x", "x"), List.of(A, B), List.of()));
        assertThrows(MalformedInputException.class, () -> TranscriptHeader.of(CommitmentMode.FULL, 0, A, p.digest(),
                List.of(""), List.of(A), List.of()));
        assertThrows(MalformedInputException.class, () -> TranscriptHeader.of(CommitmentMode.FULL, 0, A, p.digest(),
                List.of("x"), List.of(A, B), List.of()));
        assertThrows(MalformedInputException.class, () -> TranscriptHeader.of(CommitmentMode.FULL, 0, A, p.digest(),
                List.of("\ud800"), List.of(A), List.of()));
        assertThrows(LimitExceededException.class, () -> TranscriptHeader.of(CommitmentMode.FULL, 0, A, p.digest(),
                List.of("n".repeat(TranscriptLimits.MAX_NAME_BYTES + 1)), List.of(A), List.of()));
        String json = TranscriptCodec.encodeToString(twoInputs(List.of("x", "y"), List.of(A, B)));
        String longName = json.replace("\"name\":\"x\"", "\"name\":\"" + "n".repeat(TranscriptLimits.MAX_NAME_BYTES + 1) + "\"");
        assertThrows(LimitExceededException.class, () -> TranscriptCodec.decode(longName));
        String bare = json.replace("{\"name\":\"x\",\"digest\":\"" + A.hex() + "\"}", "\"" + A.hex() + "\"");
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(bare));
    }

    /**
     * Spec 3.8 escapes, pinned on the bytes Jackson writes: {@code \"}, {@code \\}, the short
     * escapes, other control characters as backslash-u-00XX with UPPER-case hex, DEL and everything
     * else in the BMP raw UTF-8, a non-BMP character as its UTF-16 surrogate pair, two escapes in UPPER-case hex.
     */
    @Test
    void jsonEscapesAreExactlyTheSpecs() {
        String name = "q\"b\\\b\f\n\r\t\u0001\u001f\u007f\u00e9/\ud83d\ude00";
        Transcript t = twoInputs(List.of(name, "y"), List.of(A, B));
        byte[] json = TranscriptCodec.encode(t);
        byte[] want = concat("\"name\":\"q\\\"b\\\\\\b\\f\\n\\r\\t\\u0001\\u001F".getBytes(StandardCharsets.US_ASCII),
                concat(new byte[] {0x7f, (byte) 0xc3, (byte) 0xa9, '/'}, "\\uD83D\\uDE00\"".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(indexOf(json, want) >= 0, new String(json, StandardCharsets.UTF_8));
        assertEquals(t, TranscriptCodec.decode(json));
        // the same string written another legal JSON way is not canonical
        String s = new String(json, StandardCharsets.UTF_8);
        for (String other : List.of(s.replace("\\u001F", "\\u001f"), s.replace("\\uD83D\\uDE00", "\\ud83d\\ude00"),
                s.replace("\\uD83D\\uDE00", "\ud83d\ude00"), s.replace("\u00e9", "\\u00E9"), s.replace("\u007f", "\\u007F"),
                s.replace("\\n", "\\u000A"), s.replace("/\\uD83D", "\\/\\uD83D"))) {
            assertNotEquals(s, other);
            assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(other), other);
        }
    }

    /** Spec 3.1: the byte length is multiplied left to right with checked 64-bit arithmetic; an overflowing partial product is refused. */
    @Test
    void shapeOverflowIsCheckedAtEveryPartialProduct() {
        assertThrows(LimitExceededException.class, () -> dev.opg.core.tensor.TensorDigest.byteLength(dev.opg.core.tensor.DType.FLOAT32,
                new long[] {1L << 62, 4, 0}));
        assertEquals(0, dev.opg.core.tensor.TensorDigest.byteLength(dev.opg.core.tensor.DType.FLOAT32, new long[] {0, 1L << 62, 4}));
        assertThrows(MalformedInputException.class, () -> dev.opg.core.tensor.TensorDigest.byteLength(dev.opg.core.tensor.DType.FLOAT32,
                new long[] {-1}));
        // the same rule on a sketch shape read from JSON
        String json = TranscriptCodec.encodeToString(Transcripts.sketched(1, 4));
        String over = json.replace("\"shape\":[1,8]", "\"shape\":[" + (1L << 62) + ",4,0]");
        assertNotEquals(json, over);
        assertThrows(LimitExceededException.class, () -> TranscriptCodec.decode(over));
    }

    /** Spec 3.8: a SKETCH step carries one sketch per output, so a step without outputs is refused in SKETCH mode. */
    @Test
    void sketchStepWithoutOutputsIsRefused() {
        var p = Transcripts.profile();
        TranscriptHeader h = TranscriptHeader.of(CommitmentMode.SKETCH, 4, A, p.digest(), List.of(A), List.of(B));
        MalformedInputException e = assertThrows(MalformedInputException.class,
                () -> new Transcript(h, List.of(Step.sketched(0, "noOutputs", List.of())), p));
        assertTrue(e.getMessage().contains("no sketch"), e.getMessage());
        String json = TranscriptCodec.encodeToString(Transcripts.sketched(1, 4));
        String empty = json.replaceFirst("\"sketches\":\\[\\{.*?\\}\\]", "\"sketches\":[]");
        assertNotEquals(json, empty);
        assertThrows(MalformedInputException.class, () -> TranscriptCodec.decode(empty));
    }

    /** Spec 2: the consistency proof from the empty tree is empty; a non-empty one is malformed. */
    @Test
    void consistencyFromTheEmptyTree() {
        Digest r = dev.opg.core.merkle.MerkleTree.fromLeafData(List.of(new byte[] {1}, new byte[] {2}, new byte[] {3})).root();
        assertTrue(dev.opg.core.merkle.MerkleProofs.verifyConsistency(0, 3, List.of(), A, r));
        assertTrue(dev.opg.core.merkle.MerkleProofs.verifyConsistency(0, 0, List.of(), A, B));
        assertThrows(MalformedInputException.class, () -> dev.opg.core.merkle.MerkleProofs.verifyConsistency(0, 3, List.of(r), A, r));
        assertThrows(MalformedInputException.class, () -> dev.opg.core.merkle.MerkleTree.fromLeafData(List.of(new byte[] {1})).consistencyProof(0));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] o = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, o, a.length, b.length);
        return o;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }
}
