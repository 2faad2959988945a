package dev.opg.core.transcript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Hex;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.MerkleTree;
import dev.opg.core.merkle.Rfc9162;
import dev.opg.core.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TranscriptTest {
    @Test
    void rootIsRfc9162RootOverHeaderThenSteps() {
        Transcript t = Transcripts.full(4);
        List<byte[]> leaves = new ArrayList<>();
        leaves.add(t.header().leafData());
        t.steps().forEach(s -> leaves.add(s.leafData()));
        assertEquals(MerkleTree.fromLeafData(leaves).root(), t.root());
    }

    @Test
    void everyStepInclusionProofVerifies() {
        Transcript t = Transcripts.full(7);
        for (int i = 0; i < 7; i++) {
            assertTrue(t.inclusionProof(i).verify(Rfc9162.leafHash(t.steps().get(i).leafData()), t.root()));
            assertEquals(i + 1, t.inclusionProof(i).leafIndex());
        }
        assertTrue(t.headerInclusionProof().verify(Rfc9162.leafHash(t.header().leafData()), t.root()));
        assertThrows(MalformedInputException.class, () -> t.inclusionProof(7));
    }

    @Test
    void headerLeafHasSpecLayout() {
        Transcript t = Transcripts.full(1);
        byte[] leaf = t.header().leafData();
        String hex = Hex.encode(leaf);
        // version 3: mode, sketch dimension, granularity 0 (node), empty scope, no cuts, then as in version 2
        assertTrue(hex.startsWith(Hex.encode("OPG-HEADER".getBytes()) + "03" + "00" + "00000000" + "00" + "00000000" + "00000000"
                + Transcripts.d("model").hex() + t.profile().digest().hex() + "01000000" + "01000000" + "30"
                + Transcripts.d("input").hex() + "01000000"), hex);
        assertEquals(10 + 1 + 1 + 4 + 1 + 4 + 4 + 32 + 32 + 4 + (4 + 1 + 32) + 4 + 32, leaf.length);
    }

    @Test
    void stepLeafHasSpecLayout() {
        Step s = Step.full(258, "ab", List.of(Transcripts.d("i")), List.of(Transcripts.d("o")));
        String hex = Hex.encode(s.leafData());
        assertEquals(Hex.encode("OPG-STEP".getBytes()) + "01" + "0201000000000000" + "02000000" + "6162"
                + "01000000" + Transcripts.d("i").hex() + "01000000" + Transcripts.d("o").hex() + "00000000", hex);
        Step k = Step.sketched(0, "", List.of(new Sketch(DType.FLOAT32, new long[] {2}, new float[] {1.0f})));
        assertEquals(Hex.encode("OPG-STEP".getBytes()) + "01" + "0000000000000000" + "00000000" + "00000000" + "00000000"
                + "01000000" + "00" + "01" + "0200000000000000" + "01000000" + "0000803f", Hex.encode(k.leafData()));
    }

    @Test
    void anyChangeToAStepChangesTheRoot() {
        Transcript t = Transcripts.full(3);
        List<Step> steps = new ArrayList<>(t.steps());
        Step s = steps.get(1);
        steps.set(1, Step.full(1, s.name(), s.inputs(), List.of(Transcripts.d("other"))));
        assertNotEquals(t.root(), new Transcript(t.header(), steps, t.profile()).root());
    }

    @Test
    void rejectsStepsOutOfOrderOrMixedModes() {
        Transcript t = Transcripts.full(2);
        List<Step> swapped = List.of(t.steps().get(1), t.steps().get(0));
        assertThrows(MalformedInputException.class, () -> new Transcript(t.header(), swapped, t.profile()));
        Transcript k = Transcripts.sketched(1, 4);
        assertThrows(MalformedInputException.class, () -> new Transcript(k.header(), List.of(t.steps().get(0)), k.profile()));
        assertThrows(MalformedInputException.class,
                () -> new Transcript(k.header(), List.of(Step.sketched(0, "x", List.of(new Sketch(DType.FLOAT32, new long[] {1}, new float[3])))), k.profile()));
    }

    @Test
    void rejectsLoneSurrogateAndOverlongNames() {
        assertThrows(MalformedInputException.class, () -> Step.full(0, "a\uD800b", List.of(), List.of()));
        assertThrows(LimitExceededException.class, () -> Step.full(0, "é".repeat(TranscriptLimits.MAX_NAME_BYTES / 2 + 1), List.of(), List.of()));
    }

    @Test
    void sketchIsImmutableAndComparedByBits() {
        float[] v = {0.0f};
        Sketch a = new Sketch(DType.FLOAT32, new long[] {1}, v);
        v[0] = 5;
        assertEquals(0.0f, a.value(0));
        assertNotEquals(a, new Sketch(DType.FLOAT32, new long[] {1}, new float[] {-0.0f}));
        assertEquals(a, new Sketch(DType.FLOAT32, new long[] {1}, new float[] {0.0f}));
    }
}
