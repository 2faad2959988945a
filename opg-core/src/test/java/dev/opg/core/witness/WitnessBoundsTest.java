package dev.opg.core.witness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Witness files of a party's choosing are read within the caps of spec section 3.10, each length
 * checked from the tensor header before data is allocated, the single file in its one order;
 * beside each attack, the honest witness reads back equal.
 */
class WitnessBoundsTest {
    @TempDir
    Path tmp;

    static WitnessTensor f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return new WitnessTensor(DType.FLOAT32, new long[] {v.length}, b.array());
    }

    static final WitnessTensor A = f32(1, 2, 3);
    static final WitnessTensor B = f32(4, 5);

    static Witness witness() {
        return Witness.of(List.of(A.digest()), List.of(B.digest()),
                List.of(new Witness.StepEntry(0, "step", List.of(A.digest()), List.of(B.digest()))),
                Map.of(A.digest(), A, B.digest(), B));
    }

    static byte[] le(long v, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    /** A single-file witness with the tensors' encodings and length fields as given. */
    static byte[] file(List<byte[]> tensors, List<Long> lengths) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("OPG-WITNESS-FILE".getBytes());
        out.write(1);
        byte[] m = witness().encodeManifest();
        out.writeBytes(le(m.length, 8));
        out.writeBytes(m);
        out.writeBytes(le(tensors.size(), 4));
        for (int i = 0; i < tensors.size(); i++) {
            out.writeBytes(le(lengths.get(i), 8));
            out.writeBytes(tensors.get(i));
        }
        return out.toByteArray();
    }

    List<byte[]> sorted() {
        List<WitnessTensor> ts = new ArrayList<>(List.of(A, B));
        ts.sort((x, y) -> x.digest().compareTo(y.digest()));
        return ts.stream().map(WitnessTensor::encode).toList();
    }

    Path write(byte[] b) throws IOException {
        Path p = tmp.resolve("w" + System.nanoTime() + ".bin");
        Files.write(p, b);
        return p;
    }

    @Test
    void honestWitnessRoundTripsInBothForms() throws IOException {
        Path f = tmp.resolve("w.bin");
        witness().writeFile(f);
        Witness back = Witness.readFile(f);
        assertEquals(A, back.tensor(A.digest()));
        List<byte[]> s = sorted();
        assertTrue(Arrays.equals(Files.readAllBytes(f), file(s, List.of((long) s.get(0).length, (long) s.get(1).length))),
                "the writer writes the one order the spec gives");
        Path d = tmp.resolve("dir");
        witness().writeDirectory(d);
        assertEquals(B, Witness.readDirectory(d).tensor(B.digest()));
    }

    @Test
    void refusesTensorsOutOfOrderOrRepeated() throws IOException {
        List<byte[]> s = sorted();
        List<byte[]> reversed = List.of(s.get(1), s.get(0));
        var e = assertThrows(MalformedInputException.class, () -> Witness.readFile(write(file(reversed,
                List.of((long) reversed.get(0).length, (long) reversed.get(1).length)))));
        assertTrue(e.getMessage().contains("strictly ascending"), e.getMessage());
        List<byte[]> twice = List.of(s.get(0), s.get(0), s.get(1));
        var r = assertThrows(MalformedInputException.class, () -> Witness.readFile(write(file(twice,
                List.of((long) twice.get(0).length, (long) twice.get(1).length, (long) twice.get(2).length)))));
        assertTrue(r.getMessage().contains("strictly ascending"), r.getMessage());
    }

    @Test
    void refusesALengthItsTensorHeaderDoesNotGiveBeforeAllocating() throws IOException {
        // The length field promises 2 GiB; the header says float32[3]: refused after 7 + 8 bytes.
        List<byte[]> s = sorted();
        byte[] bytes = file(s, List.of(Witness.MAX_TENSOR_BYTES, (long) s.get(1).length));
        var e = assertThrows(MalformedInputException.class, () -> Witness.readFile(write(bytes)));
        assertTrue(e.getMessage().contains("data bytes; its header"), e.getMessage());
        var big = assertThrows(LimitExceededException.class,
                () -> Witness.readFile(write(file(s, List.of(Witness.MAX_TENSOR_BYTES + 1, 0L)))));
        assertTrue(big.getMessage().contains("cap of " + Witness.MAX_TENSOR_BYTES), big.getMessage());
    }

    @Test
    void refusesMoreTensorsThanTheCap() throws IOException {
        byte[] good = file(sorted(), List.of((long) sorted().get(0).length, (long) sorted().get(1).length));
        int at = 16 + 1 + 8 + witness().encodeManifest().length;
        System.arraycopy(le(Witness.MAX_TENSORS + 1, 4), 0, good, at, 4);
        var e = assertThrows(LimitExceededException.class, () -> Witness.readFile(write(good)));
        assertTrue(e.getMessage().contains("cap is " + Witness.MAX_TENSORS), e.getMessage());
    }

    @Test
    void directoryFormRefusesLinksMisnamedFilesShortTensorsAndHugeManifests() throws IOException {
        Path d = tmp.resolve("d");
        witness().writeDirectory(d);
        Path tensors = d.resolve("tensors");
        Path a = tensors.resolve(A.digest().hex() + ".tensor");
        byte[] aBytes = Files.readAllBytes(a);

        Files.delete(a);
        Files.createSymbolicLink(a, Path.of("/dev/zero"));
        var link = assertThrows(MalformedInputException.class, () -> Witness.readDirectory(d));
        assertTrue(link.getMessage().contains("not a regular file"), link.getMessage());
        Files.delete(a);

        Path upper = tensors.resolve(A.digest().hex().toUpperCase() + ".tensor");
        Files.write(upper, aBytes);
        assertThrows(MalformedInputException.class, () -> Witness.readDirectory(d));
        Files.delete(upper);

        Files.write(a, Arrays.copyOf(aBytes, aBytes.length - 4));
        var shortT = assertThrows(MalformedInputException.class, () -> Witness.readDirectory(d));
        assertTrue(shortT.getMessage().contains("its header (float32[3]) needs 12"), shortT.getMessage());
        Files.write(a, aBytes);
        assertEquals(A, Witness.readDirectory(d).tensor(A.digest()), "control: the restored witness reads");

        try (RandomAccessFile m = new RandomAccessFile(d.resolve("manifest.bin").toFile(), "rw")) {
            m.setLength(Witness.MAX_MANIFEST_BYTES + 1); // sparse
        }
        var man = assertThrows(LimitExceededException.class, () -> Witness.readDirectory(d));
        assertTrue(man.getMessage().contains("cap of " + Witness.MAX_MANIFEST_BYTES), man.getMessage());
    }

    @Test
    void digestOrderIsUnsignedBytes() {
        Digest lo = Digest.fromHex("7f" + "00".repeat(31));
        Digest hi = Digest.fromHex("80" + "00".repeat(31));
        assertTrue(lo.compareTo(hi) < 0, "0x80 sorts after 0x7f, as the lower-case hex names do");
    }
}
