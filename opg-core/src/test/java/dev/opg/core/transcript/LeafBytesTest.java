package dev.opg.core.transcript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Leaf encodings written into a buffer sized up front (exact for ASCII names) are the spec's bytes
 * whatever the names hold, and a handed-out encoding never changes afterwards.
 */
class LeafBytesTest {
    static Digest d(int b) {
        byte[] x = new byte[32];
        java.util.Arrays.fill(x, (byte) b);
        return Digest.of(x);
    }

    /** The spec's encoding written field by field, the slow obvious way. */
    static final class Naive {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Naive(String tag, int version) {
            out.writeBytes(tag.getBytes(StandardCharsets.US_ASCII));
            out.write(version);
        }

        Naive u8(int v) {
            out.write(v);
            return this;
        }

        Naive u32(long v) {
            for (int i = 0; i < 4; i++) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Naive u64(long v) {
            for (int i = 0; i < 8; i++) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Naive string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u32(b.length);
            out.writeBytes(b);
            return this;
        }

        Naive digests(List<Digest> ds) {
            u32(ds.size());
            ds.forEach(x -> out.writeBytes(x.toByteArray()));
            return this;
        }
    }

    @Test
    void stepLeavesOfAsciiAndNonAsciiNamesAreTheSpecsBytes() {
        for (String name : List.of("", "02Linear", "block/01Conv2d", "schritt-ß", "步骤-😀", "x".repeat(300))) {
            for (int n = 0; n <= 3; n++) {
                List<Digest> in = new ArrayList<>();
                List<Digest> out = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    in.add(d(i));
                    out.add(d(100 + i));
                }
                Step s = Step.full(5, name, in, out);
                byte[] expected = new Naive("OPG-STEP", 1).u64(5).string(name).digests(in).digests(out).u32(0).out.toByteArray();
                assertArrayEquals(expected, s.leafData(), name + " with " + n + " digests");
            }
        }
    }

    @Test
    void headerLeavesOfNonAsciiNamesAreTheSpecsBytes() {
        List<String> names = List.of("eingabe-ä", "input_ids", "入力");
        List<Digest> ins = List.of(d(1), d(2), d(3));
        List<Digest> outs = List.of(d(9));
        TranscriptHeader h = new TranscriptHeader(TranscriptHeader.VERSION, CommitmentMode.FULL, 0, Granularity.BLOCK, "",
                List.of("schnitt-ü", "cut2"), d(7), d(8), names, ins, outs);
        Naive w = new Naive("OPG-HEADER", TranscriptHeader.VERSION).u8(CommitmentMode.FULL.code()).u32(0).u8(Granularity.BLOCK.code())
                .string("").u32(2).string("schnitt-ü").string("cut2");
        w.out.writeBytes(d(7).toByteArray());
        w.out.writeBytes(d(8).toByteArray());
        w.u32(3);
        for (int i = 0; i < 3; i++) {
            w.string(names.get(i));
            w.out.writeBytes(ins.get(i).toByteArray());
        }
        w.digests(outs);
        assertArrayEquals(w.out.toByteArray(), h.leafData());
        TranscriptHeader scoped = new TranscriptHeader(TranscriptHeader.VERSION, CommitmentMode.FULL, 0, Granularity.NODE, "bloc-é",
                List.of(), d(7), d(8), names, ins, outs);
        byte[] leaf = scoped.leafData();
        byte[] scope = "bloc-é".getBytes(StandardCharsets.UTF_8);
        assertEquals(scope.length, leaf[17] & 0xff, "the scope's UTF-8 length, after tag, version, mode, dimension and granularity");
    }

    @Test
    void anEncodingHandedOutDoesNotChangeWhenTheWriterGoesOn() {
        LeafWriter w = new LeafWriter("T", 1, 6).u32(7);
        byte[] first = w.toByteArray();
        byte[] copy = first.clone();
        w.u8(9).u64(-1);
        byte[] second = w.toByteArray();
        assertArrayEquals(copy, first);
        assertEquals(first.length + 9, second.length);
        byte[] third = w.toByteArray();
        assertArrayEquals(second, third);
        third[0] = 0;
        assertEquals('T', w.toByteArray()[0], "two encodings of one writer never share an array");
    }

    @Test
    void repeatedHeaderNamesAreFoundAtTheSamePositionInShortAndLongLists() {
        for (int size : new int[] {3, 16, 17, 40}) {
            List<String> names = new ArrayList<>();
            List<Digest> ins = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                names.add("in" + i);
                ins.add(d(i));
            }
            names.set(size - 1, "in1");
            MalformedInputException e = assertThrows(MalformedInputException.class, () -> new TranscriptHeader(TranscriptHeader.VERSION,
                    CommitmentMode.FULL, 0, Granularity.NODE, "", List.of(), d(1), d(2), names, ins, List.of()));
            assertEquals("header input name 'in1' appears twice; a model input is bound once", e.getMessage());
            List<String> cuts = new ArrayList<>(names);
            MalformedInputException c = assertThrows(MalformedInputException.class, () -> new TranscriptHeader(TranscriptHeader.VERSION,
                    CommitmentMode.FULL, 0, Granularity.BLOCK, "", cuts, d(1), d(2), List.of(), List.of(), List.of()));
            assertEquals("header cut 'in1' appears twice; a block starts at a node once", c.getMessage());
        }
    }

    @Test
    void positionalNamesAreTheDecimalPositions() {
        for (int n = 0; n < 20; n++) {
            List<String> p = TranscriptHeader.positionalNames(n);
            assertEquals(n, p.size());
            for (int i = 0; i < n; i++) {
                assertEquals(Integer.toString(i), p.get(i));
            }
            assertThrows(UnsupportedOperationException.class, () -> p.add("x"));
        }
    }
}
