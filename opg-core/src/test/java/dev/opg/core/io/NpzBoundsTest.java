package dev.opg.core.io;

import dev.opg.core.witness.WitnessTensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crafted .npy and .npz files (headers that lie, deflate bombs) are refused from their headers,
 * before their data is allocated or inflated; each attack sits beside an honest archive built the
 * same way that still reads.
 */
class NpzBoundsTest {
    @TempDir
    Path tmp;

    static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    static byte[] npy(float... v) {
        byte[] h = ZipBomb.npyHeader("<f4", v.length);
        byte[] d = f32(v);
        byte[] out = Arrays.copyOf(h, h.length + d.length);
        System.arraycopy(d, 0, out, h.length, d.length);
        return out;
    }

    Path write(List<ZipBomb.Member> members) throws IOException {
        Path p = tmp.resolve("x" + System.nanoTime() + ".npz");
        Files.write(p, ZipBomb.zip(members));
        return p;
    }

    @Test
    void honestHandBuiltArchiveReads() throws IOException {
        SequencedMap<String, WitnessTensor> m = Npz.read(write(ZipBomb.list(
                ZipBomb.Member.of("a.npy", npy(1, 2, 3)), ZipBomb.Member.of("b.npy", npy(4)))));
        assertEquals(List.of("a", "b"), List.copyOf(m.keySet()));
        assertEquals(WitnessTensor.ofFloat32(new float[] {1, 2, 3}, 3), m.get("a"));
    }

    @Test
    void stopsInflatingAtTheDeclaredSize() throws IOException {
        // Declares the 28 bytes of a 3-float array but inflates to 256 MiB more: refused after one byte past.
        byte[] good = npy(1, 2, 3);
        Path bomb = write(ZipBomb.list(ZipBomb.Member.of("a.npy", good).withZeros(256L << 20).declaring(good.length)));
        long t0 = System.nanoTime();
        var e = assertThrows(MalformedInputException.class, () -> Npz.read(bomb));
        assertTrue(e.getMessage().contains("inflates past its declared size of " + good.length), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "refused without inflating the bomb");
    }

    @Test
    void refusesMemberShorterThanItsHeaderDeclaresBeforeAllocating() throws IOException {
        // The .npy header declares 2^28 floats (1 GiB, at the cap) but the member holds 12 bytes of data.
        byte[] h = ZipBomb.npyHeader("<f4", 1L << 28);
        byte[] content = Arrays.copyOf(h, h.length + 12);
        var e = assertThrows(MalformedInputException.class, () -> Npz.read(write(ZipBomb.list(ZipBomb.Member.of("a.npy", content)))));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("only 12 bytes follow"), e.getMessage());
    }

    @Test
    void refusesArrayAboveTheCapFromItsHeader() {
        byte[] h = ZipBomb.npyHeader("<f8", 1L << 28); // 2 GiB
        var e = assertThrows(LimitExceededException.class, () -> Npy.read(h, "big.npy"));
        assertTrue(e.getMessage().contains("cap is " + Npy.MAX_ARRAY_BYTES), e.getMessage());
        byte[] rank = ZipBomb.npyHeader("<f4", new long[Npy.MAX_RANK + 1]);
        var r = assertThrows(LimitExceededException.class, () -> Npy.read(rank, "rank.npy"));
        assertTrue(r.getMessage().contains("more than " + Npy.MAX_RANK + " dimensions"), r.getMessage());
        // Control: rank at the cap, with no elements, reads.
        long[] ok = new long[Npy.MAX_RANK];
        ok[0] = 0;
        assertEquals(Npy.MAX_RANK, Npy.read(ZipBomb.npyHeader("<f4", ok), "ok.npy").shape().length);
    }

    @Test
    void refusesHeaderLengthAboveTheCap() {
        byte[] f = new byte[12 + 16];
        System.arraycopy(Npy.MAGIC, 0, f, 0, 6);
        f[6] = 2;
        ByteBuffer.wrap(f, 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(Integer.MAX_VALUE);
        var e = assertThrows(LimitExceededException.class, () -> Npy.read(f, "h.npy"));
        assertTrue(e.getMessage().contains("cap of " + Npy.MAX_HEADER_BYTES), e.getMessage());
    }

    @Test
    void refusesMoreMembersThanTheCap() throws IOException {
        List<ZipBomb.Member> many = new ArrayList<>();
        for (int i = 0; i <= Npz.MAX_ARRAYS; i++) {
            many.add(ZipBomb.Member.of("arr_" + i + ".npy", npy(i)));
        }
        var e = assertThrows(LimitExceededException.class, () -> Npz.read(write(many)));
        assertTrue(e.getMessage().contains((Npz.MAX_ARRAYS + 1) + " members; the cap is " + Npz.MAX_ARRAYS), e.getMessage());
        assertEquals(Npz.MAX_ARRAYS, Npz.read(write(many.subList(0, Npz.MAX_ARRAYS))).size());
    }

    @Test
    void refusesDeclaredTotalAboveTheCapBeforeInflating() throws IOException {
        // Three members each declaring 1 GiB in both headers: the sum passes the cap; nothing is inflated.
        long each = Npy.MAX_ARRAY_BYTES;
        List<ZipBomb.Member> m = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            m.add(ZipBomb.Member.of("m" + i + ".npy", npy(1)).declaring(each));
        }
        var e = assertThrows(LimitExceededException.class, () -> Npz.read(write(m)));
        assertTrue(e.getMessage().contains("cap is " + Npz.MAX_TOTAL_BYTES), e.getMessage());
    }

    @Test
    void refusesLocalAndCentralHeadersThatDisagree() throws IOException {
        byte[] good = npy(1, 2);
        var size = assertThrows(MalformedInputException.class,
                () -> Npz.read(write(ZipBomb.list(ZipBomb.Member.of("a.npy", good).centralSize(good.length + 8)))));
        assertTrue(size.getMessage().contains("must agree") || size.getMessage().contains("truncated"), size.getMessage());
        var name = assertThrows(MalformedInputException.class,
                () -> Npz.read(write(ZipBomb.list(ZipBomb.Member.of("a.npy", good).centralName("b.npy")))));
        assertTrue(name.getMessage().contains("disagrees with central directory entry 'b.npy'"), name.getMessage());
        var crc = assertThrows(MalformedInputException.class,
                () -> Npz.read(write(ZipBomb.list(ZipBomb.Member.of("a.npy", good).crc(12345)))));
        assertTrue(crc.getMessage().contains("must agree"), crc.getMessage());
    }

    @Test
    void refusesDuplicateMemberNames() throws IOException {
        var e = assertThrows(MalformedInputException.class, () -> Npz.read(write(ZipBomb.list(
                ZipBomb.Member.of("x.npy", npy(1)), ZipBomb.Member.of("x.npy", npy(2))))));
        assertTrue(e.getMessage().contains("'x' appears twice"), e.getMessage());
    }

    @Test
    void refusesBytesAfterTheArrayInsideAMember() throws IOException {
        byte[] good = npy(1, 2);
        byte[] longer = Arrays.copyOf(good, good.length + 4);
        var e = assertThrows(MalformedInputException.class, () -> Npz.read(write(ZipBomb.list(ZipBomb.Member.of("a.npy", longer)))));
        assertTrue(e.getMessage().contains("bytes after the array data"), e.getMessage());
    }

    @Test
    void refusesAnArchiveCommentOrTrailingBytes() throws IOException {
        byte[] z = ZipBomb.zip(ZipBomb.list(ZipBomb.Member.of("a.npy", npy(1))));
        Path p = tmp.resolve("t.npz");
        Files.write(p, Arrays.copyOf(z, z.length + 3));
        var e = assertThrows(MalformedInputException.class, () -> Npz.read(p));
        assertTrue(e.getMessage().contains("end-of-central-directory"), e.getMessage());
        Files.write(p, z);
        assertEquals(DType.FLOAT32, Npz.read(p).get("a").dtype());
    }
}
