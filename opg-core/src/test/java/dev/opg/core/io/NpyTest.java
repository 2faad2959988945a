package dev.opg.core.io;

import dev.opg.core.witness.WitnessTensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The .npy/.npz codec against files written by real NumPy (opg-core/scripts/make_npy_fixtures.py). */
class NpyTest {
    @TempDir
    Path tmp;

    static Path fixture(String name) {
        try {
            return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    record Expected(String name, DType dtype, long[] shape, byte[] data) {}

    static List<Expected> expected() throws IOException {
        return Files.readAllLines(fixture("expected.txt")).stream().filter(l -> !l.startsWith("#")).map(l -> {
            String[] f = l.split(" ");
            DType t = f[1].equals("bool") ? DType.BOOLEAN : DType.fromSpecName(f[1]);
            long[] shape = f[2].equals("-") ? new long[0] : Arrays.stream(f[2].split(",")).mapToLong(Long::parseLong).toArray();
            return new Expected(f[0], t, shape, f[3].equals("-") ? new byte[0] : Hex.decode(f[3]));
        }).toList();
    }

    @Test
    void readsEveryDtypeNumpyWrote() throws IOException {
        List<Expected> all = expected();
        assertEquals(9, all.size());
        for (Expected e : all) {
            WitnessTensor a = Npy.read(fixture(e.name + ".npy"));
            assertEquals(e.dtype, a.dtype(), e.name);
            assertArrayEquals(e.shape, a.shape(), e.name);
            assertArrayEquals(e.data, a.data(), e.name);
        }
    }

    @Test
    void writesBytesIdenticalToNumpy() throws IOException {
        for (Expected e : expected()) {
            byte[] numpy = Files.readAllBytes(fixture(e.name + ".npy"));
            assertArrayEquals(numpy, Npy.toBytes(new WitnessTensor(e.dtype, e.shape, e.data)), e.name);
        }
    }

    @Test
    void readsVersion2Header() throws IOException {
        assertEquals(Npy.read(fixture("f4_2x3.npy")), Npy.read(fixture("f4_v2.npy")));
    }

    @Test
    void rejectsFortranOrderWithAdvice() {
        var e = assertThrows(MalformedInputException.class, () -> Npy.read(fixture("bad_fortran.npy")));
        assertTrue(e.getMessage().contains("Fortran"), e.getMessage());
    }

    @Test
    void rejectsBigEndian() {
        var e = assertThrows(MalformedInputException.class, () -> Npy.read(fixture("bad_bigendian.npy")));
        assertTrue(e.getMessage().contains("big-endian"), e.getMessage());
    }

    @Test
    void rejectsObjectArraysWithoutUnpickling() {
        var e = assertThrows(MalformedInputException.class, () -> Npy.read(fixture("bad_object.npy")));
        assertTrue(e.getMessage().contains("Python objects"), e.getMessage());
    }

    @Test
    void rejectsUnsupportedDtype() {
        var e = assertThrows(MalformedInputException.class, () -> Npy.read(fixture("bad_complex.npy")));
        assertTrue(e.getMessage().contains("'<c8' is not supported"), e.getMessage());
    }

    @Test
    void rejectsTruncatedAndTrailingAndForeignFiles() throws IOException {
        byte[] good = Files.readAllBytes(fixture("f4_2x3.npy"));
        var t = assertThrows(MalformedInputException.class, () -> Npy.read(Arrays.copyOf(good, good.length - 1), "x.npy"));
        assertTrue(t.getMessage().contains("truncated"), t.getMessage());
        var l = assertThrows(MalformedInputException.class, () -> Npy.read(Arrays.copyOf(good, good.length + 1), "x.npy"));
        assertTrue(l.getMessage().contains("after the array data"), l.getMessage());
        var m = assertThrows(MalformedInputException.class, () -> Npy.read("hello".getBytes(), "x.npy"));
        assertTrue(m.getMessage().contains("truncated") || m.getMessage().contains("not a NumPy"), m.getMessage());
        var n = assertThrows(MalformedInputException.class, () -> Npy.read("hello world, long enough".getBytes(), "x.npy"));
        assertTrue(n.getMessage().contains("not a NumPy"), n.getMessage());
    }

    @Test
    void rejectsBoolByteOtherThanZeroOrOne() throws IOException {
        byte[] b = Files.readAllBytes(fixture("b1_3.npy"));
        b[b.length - 1] = 2;
        var e = assertThrows(MalformedInputException.class, () -> Npy.read(b, "b.npy"));
        assertTrue(e.getMessage().contains("expected 0 or 1"), e.getMessage());
    }

    @Test
    void rejectsHeaderWithUnknownKeyOrMissingShape() {
        for (String dict : List.of("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                "{'descr': '<f4', 'fortran_order': False}", "{'descr': '<f4', 'fortran_order': Maybe, 'shape': ()}")) {
            byte[] h = (dict + "\n").getBytes();
            byte[] f = new byte[10 + h.length + 4];
            System.arraycopy(Npy.MAGIC, 0, f, 0, 6);
            f[6] = 1;
            f[8] = (byte) h.length;
            System.arraycopy(h, 0, f, 10, h.length);
            assertThrows(MalformedInputException.class, () -> Npy.read(f, "h.npy"), dict);
        }
    }

    @Test
    void readsNamedArchiveInSavezOrder() throws IOException {
        SequencedMap<String, WitnessTensor> m = Npz.read(fixture("named.npz"));
        assertEquals(List.of("x", "mask", "ids"), List.copyOf(m.keySet()));
        assertEquals(Npy.read(fixture("f4_2x3.npy")), m.get("x"));
        assertEquals(Npy.read(fixture("b1_3.npy")), m.get("mask"));
        assertEquals(Npy.read(fixture("i8_2x2.npy")), m.get("ids"));
    }

    @Test
    void readsPositionalAndCompressedArchives() throws IOException {
        assertEquals(List.of("arr_0", "arr_1"), List.copyOf(Npz.read(fixture("positional.npz")).keySet()));
        SequencedMap<String, WitnessTensor> c = Npz.read(fixture("compressed.npz"));
        assertEquals(Npy.read(fixture("f8_vec.npy")), c.get("x"));
        assertEquals(Npy.read(fixture("u1_2x2.npy")), c.get("y"));
    }

    @Test
    void archiveRoundTripsAndIsDeterministic() throws IOException {
        Map<String, WitnessTensor> m = new LinkedHashMap<>();
        m.put("b", WitnessTensor.ofFloat32(new float[] {1, 2, 3}, 3));
        m.put("a", WitnessTensor.ofInt64(new long[] {7}, 1, 1));
        Path p1 = tmp.resolve("1.npz");
        Path p2 = tmp.resolve("2.npz");
        Npz.write(m, p1);
        Npz.write(m, p2);
        assertEquals(m, Npz.read(p1));
        assertArrayEquals(Files.readAllBytes(p1), Files.readAllBytes(p2));
    }

    @Test
    void rejectsNonZipAsArchive() throws IOException {
        Path p = tmp.resolve("x.npz");
        Files.writeString(p, "not a zip");
        var e = assertThrows(MalformedInputException.class, () -> Npz.read(p));
        assertTrue(e.getMessage().contains("not a NumPy .npz"), e.getMessage());
    }

    @Test
    void numpyReadsWhatWeWrite() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")));
        Map<String, WitnessTensor> m = new LinkedHashMap<>();
        m.put("x", WitnessTensor.ofFloat32(new float[] {0.5f, -1f, 3f, 4f, 5f, 6f}, 2, 3));
        m.put("n", WitnessTensor.ofInt64(new long[] {-5}));
        Path p = tmp.resolve("ours.npz");
        Npz.write(m, p);
        Process pr = new ProcessBuilder("/usr/bin/python3", "-c",
                "import sys, numpy as np\n"
                        + "try:\n z = np.load(sys.argv[1])\nexcept Exception as e:\n print('noload', e); sys.exit(0)\n"
                        + "print(list(z.keys()), z['x'].dtype, z['x'].shape, z['x'].tolist(), z['n'].shape, int(z['n']))",
                p.toString()).redirectErrorStream(true).start();
        String got = new String(pr.getInputStream().readAllBytes()).strip();
        pr.waitFor();
        org.junit.jupiter.api.Assumptions.assumeFalse(got.contains("No module named"), "numpy not installed");
        assertEquals("['x', 'n'] float32 (2, 3) [[0.5, -1.0, 3.0], [4.0, 5.0, 6.0]] () -5", got);
    }
}
