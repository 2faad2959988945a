package dev.opg.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.UnsupportedVersionException;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.PyTorchProfiles;
import dev.opg.core.tensor.DType;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Sketch;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.WitnessTensor;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stored form of a transcript in partition files: the same transcript back (the same root,
 * the same canonical JSON, byte for byte), and no other bytes accepted.
 */
class TranscriptBytesTest {
    @TempDir
    static Path dir;
    /** Transcripts of the MLP on two digits at block (the default), node and output granularity, FULL and SKETCH. */
    static List<Transcript> real = new ArrayList<>();

    @BeforeAll
    static void record() throws Exception {
        Path model = Fixtures.mlp(dir.resolve("mlp"));
        DeterminismProfile profile = PyTorchProfiles.apply(1, 1, 0);
        List<float[]> images = Fixtures.digits(1).subList(0, 2);
        List<RecordingOptions> options = List.of(RecordingOptions.full().at(Granularity.BLOCK), RecordingOptions.full(),
                RecordingOptions.full().at(Granularity.OUTPUT), RecordingOptions.sketch(8).at(Granularity.BLOCK));
        for (RecordingOptions o : options) {
            try (LoadedModel lm = LoadedModel.open(model, profile, o)) {
                for (float[] image : images) {
                    try (NDManager m = lm.model().getNDManager().newSubManager()) {
                        NDList x = new NDList(WitnessTensor.ofFloat32(image, 1, Fixtures.PIXELS).toNDArray(m));
                        real.add(lm.verifiable().predict(x).transcript());
                    }
                }
            }
        }
    }

    /** A transcript with what the MLP's lack: names beyond ASCII, several named inputs, a scope, sketches of rank 2. */
    static List<Transcript> handMade() {
        DeterminismProfile p = new DeterminismProfile("OnnxRuntime", "1.2", "0.3", "lib\u00e9", "linux", "amd64", "avx2", 2, 1, true, true,
                42, DType.FLOAT32);
        Digest a = digest(1);
        Digest b = digest(2);
        Digest c = digest(3);
        TranscriptHeader node = new TranscriptHeader(TranscriptHeader.VERSION, CommitmentMode.FULL, 0, Granularity.NODE, "block \u03b2",
                List.of(), digest(9), p.digest(), List.of("input_ids", "m\u00e4sk"), List.of(a, b), List.of(c));
        Transcript full = new Transcript(node, List.of(Step.full(0, "/l\u00f6/MatMul", List.of(a, b), List.of(c)),
                Step.full(1, "", List.of(), List.of(c))), p);
        TranscriptHeader sk = new TranscriptHeader(TranscriptHeader.VERSION, CommitmentMode.SKETCH, 3, Granularity.BLOCK, "",
                List.of("s1", "s2"), digest(9), p.digest(), List.of("x"), List.of(a), List.of(b, c));
        List<Sketch> ks = List.of(new Sketch(DType.FLOAT32, new long[] {2, 5}, new float[] {1.5f, -0.0f, Float.NaN}),
                new Sketch(DType.FLOAT16, new long[] {}, new float[] {Float.MIN_VALUE, 3, Float.NEGATIVE_INFINITY}));
        Transcript sketched = new Transcript(sk, List.of(Step.sketched(0, "b0", ks), Step.sketched(1, "b1", ks.subList(0, 1)),
                Step.sketched(2, "b2", ks.subList(1, 2))), p);
        return List.of(full, sketched);
    }

    static Digest digest(int seed) {
        byte[] d = new byte[32];
        Arrays.fill(d, (byte) seed);
        d[31] = (byte) (seed * 7);
        return Digest.of(d);
    }

    @Test
    void decodesToTheSameTranscriptRootAndCanonicalJson() {
        List<Transcript> all = new ArrayList<>(real);
        all.addAll(handMade());
        assertEquals(10, all.size());
        for (Transcript t : all) {
            byte[] stored = TranscriptBytes.encode(t);
            Transcript back = TranscriptBytes.decode(stored);
            assertEquals(t, back);
            assertEquals(t.root(), back.root());
            assertArrayEquals(TranscriptCodec.encode(t), TranscriptBytes.toJson(stored), "the JSON a user gets is the canonical JSON");
            // the JSON path and the stored form agree on the root: decoding the canonical JSON gives the same transcript
            assertEquals(TranscriptCodec.decode(TranscriptCodec.encode(t)).root(), back.root());
            assertArrayEquals(stored, TranscriptBytes.encode(back), "one stored form per transcript");
        }
        // the MLP's transcripts: one block per layer at block granularity, the two digits differ
        assertEquals(3, real.get(0).steps().size(), "linear, relu, linear: one block each");
        assertEquals(Granularity.BLOCK, real.get(0).header().granularity());
        assertNotEquals(real.get(0).root(), real.get(1).root());
    }

    @Test
    void everyChangedByteIsRefusedOrGivesAnotherRoot() {
        List<Transcript> all = List.of(real.get(0), real.get(6), handMade().get(0), handMade().get(1));
        for (Transcript t : all) {
            byte[] good = TranscriptBytes.encode(t);
            int refused = 0;
            for (int i = 0; i < good.length; i++) {
                for (int flip : new int[] {0x01, 0x80}) {
                    byte[] bad = good.clone();
                    bad[i] ^= (byte) flip;
                    try {
                        Transcript u = TranscriptBytes.decode(bad);
                        assertNotEquals(t.root(), u.root(), "byte " + i + " changed, the same root");
                        assertNotEquals(t, u);
                    } catch (OpgException e) {
                        assertTrue(e instanceof MalformedInputException, e.toString());
                        refused++;
                    }
                }
            }
            assertTrue(refused > 0);
            for (int cut = 0; cut < good.length; cut++) {
                byte[] shorter = Arrays.copyOf(good, cut);
                assertThrows(MalformedInputException.class, () -> TranscriptBytes.decode(shorter), "truncated at " + cut);
            }
            byte[] longer = Arrays.copyOf(good, good.length + 1);
            var e = assertThrows(MalformedInputException.class, () -> TranscriptBytes.decode(longer));
            assertTrue(e.getMessage().contains("after its last leaf"), e.getMessage());
        }
    }

    @Test
    void lengthsAreCheckedBeforeAnythingIsAllocated() {
        byte[] good = TranscriptBytes.encode(real.get(0));
        int profileLength = ByteBuffer.wrap(good).getInt();
        // a profile length of 2 GiB - 1, a leaf count of 4 billion, a header leaf longer than what is left
        for (int[] change : new int[][] {{0, 0x7fffffff}, {4 + profileLength, -1}, {8 + profileLength, 0x7ffffff0}}) {
            byte[] bad = good.clone();
            ByteBuffer.wrap(bad).putInt(change[0], change[1]);
            var e = assertThrows(LimitExceededException.class, () -> TranscriptBytes.decode(bad));
            assertTrue(e.getMessage().contains("outside") || e.getMessage().contains("expected 1..") || e.getMessage().contains("runs past"),
                    e.getMessage());
        }
        // a leaf count the bytes cannot hold
        byte[] many = good.clone();
        ByteBuffer.wrap(many).putInt(4 + profileLength, 1 << 20);
        var e = assertThrows(LimitExceededException.class, () -> TranscriptBytes.decode(many));
        assertTrue(e.getMessage().contains("remaining bytes"), e.getMessage());
        // a header of another version, and a non-canonical profile (a space in the JSON)
        byte[] v = good.clone();
        v[8 + profileLength + 4 + "OPG-HEADER".length()] = 2;
        assertThrows(UnsupportedVersionException.class, () -> TranscriptBytes.decode(v));
        byte[] spaced = good.clone();
        spaced[4 + 1] = ' ';
        assertThrows(MalformedInputException.class, () -> TranscriptBytes.decode(spaced));
        assertThrows(MalformedInputException.class, () -> TranscriptBytes.decode(null));
    }

    @Test
    void aChangedProfileIsReadAgainNeverTakenFromTheRowBefore() {
        Transcript t = real.get(0);
        byte[] stored = TranscriptBytes.encode(t);
        assertEquals(t, TranscriptBytes.decode(stored));
        // the next row holds the same leaves but another profile (its seed changed): read afresh, refused (the header names the first)
        byte[] other = stored.clone();
        int at = 4 + new String(other, 4, ByteBuffer.wrap(other).getInt(), java.nio.charset.StandardCharsets.UTF_8).indexOf("\"seed\":") + 7;
        other[at] = (byte) (other[at] == '9' ? '8' : other[at] + 1);
        var e = assertThrows(MalformedInputException.class, () -> TranscriptBytes.decode(other));
        assertTrue(e.getMessage().contains("profile's digest"), e.getMessage());
        assertEquals(t, TranscriptBytes.decode(stored), "and the first profile is read again after it");
    }
}
