package dev.opg.core.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes zip archives byte by byte so that tests can make every header say what an attacker
 * wants: the local and central headers of a member can disagree, a member can inflate far past
 * its declared size. The content of a member is a prefix followed by a run of zero bytes, deflated
 * as a stream, so a member that inflates to gigabytes costs a few megabytes and never exists in
 * memory (built here with java.util.zip; nothing of the kind is committed).
 */
public final class ZipBomb {
    /** One member: what it holds and what its headers claim (null: the true value). */
    public record Member(String localName, String centralName, byte[] prefix, long zeros, boolean deflate,
            Long declaredSize, Long declaredCentralSize, Long declaredCrc) {
        public static Member of(String name, byte[] content) {
            return new Member(name, name, content, 0, true, null, null, null);
        }

        public Member withZeros(long n) {
            return new Member(localName, centralName, prefix, n, deflate, declaredSize, declaredCentralSize, declaredCrc);
        }

        /** Both headers claim {@code size} uncompressed bytes. */
        public Member declaring(long size) {
            return new Member(localName, centralName, prefix, zeros, deflate, size, size, declaredCrc);
        }

        public Member centralSize(long size) {
            return new Member(localName, centralName, prefix, zeros, deflate, declaredSize, size, declaredCrc);
        }

        public Member centralName(String name) {
            return new Member(localName, name, prefix, zeros, deflate, declaredSize, declaredCentralSize, declaredCrc);
        }

        public Member crc(long crc) {
            return new Member(localName, centralName, prefix, zeros, deflate, declaredSize, declaredCentralSize, crc);
        }
    }

    private ZipBomb() {}

    /** The archive's bytes. */
    public static byte[] zip(List<Member> members) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        for (Member m : members) {
            long offset = out.size();
            CRC32 crc = new CRC32();
            crc.update(m.prefix);
            byte[] zeroChunk = new byte[1 << 16];
            for (long left = m.zeros; left > 0; left -= Math.min(left, zeroChunk.length)) {
                crc.update(zeroChunk, 0, (int) Math.min(left, zeroChunk.length));
            }
            byte[] data = m.deflate ? deflate(m.prefix, m.zeros) : stored(m.prefix, m.zeros);
            long size = m.prefix.length + m.zeros;
            long localSize = m.declaredSize != null ? m.declaredSize : size;
            long centralSize = m.declaredCentralSize != null ? m.declaredCentralSize : localSize;
            long c = m.declaredCrc != null ? m.declaredCrc : crc.getValue();
            byte[] ln = m.localName.getBytes(StandardCharsets.UTF_8);
            ByteBuffer lh = le(30 + ln.length);
            lh.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) (m.deflate ? 8 : 0))
                    .putShort((short) 0).putShort((short) 0x21).putInt((int) crc.getValue()).putInt(data.length)
                    .putInt((int) localSize).putShort((short) ln.length).putShort((short) 0).put(ln);
            out.writeBytes(lh.array());
            out.writeBytes(data);
            byte[] cn = m.centralName.getBytes(StandardCharsets.UTF_8);
            ByteBuffer ch = le(46 + cn.length);
            ch.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0)
                    .putShort((short) (m.deflate ? 8 : 0)).putShort((short) 0).putShort((short) 0x21).putInt((int) c)
                    .putInt(data.length).putInt((int) centralSize).putShort((short) cn.length).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt((int) offset).put(cn);
            central.writeBytes(ch.array());
        }
        long cdOffset = out.size();
        out.writeBytes(central.toByteArray());
        ByteBuffer end = le(22);
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) members.size())
                .putShort((short) members.size()).putInt(central.size()).putInt((int) cdOffset).putShort((short) 0);
        out.writeBytes(end.array());
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] prefix, long zeros) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        byte[] zeroChunk = new byte[1 << 20];
        d.setInput(prefix);
        drain(d, out, buf);
        for (long left = zeros; left > 0; ) {
            int n = (int) Math.min(left, zeroChunk.length);
            d.setInput(zeroChunk, 0, n);
            drain(d, out, buf);
            left -= n;
        }
        d.finish();
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return out.toByteArray();
    }

    private static void drain(Deflater d, ByteArrayOutputStream out, byte[] buf) {
        while (!d.needsInput()) {
            out.write(buf, 0, d.deflate(buf));
        }
    }

    private static byte[] stored(byte[] prefix, long zeros) {
        byte[] b = new byte[Math.toIntExact(prefix.length + zeros)];
        System.arraycopy(prefix, 0, b, 0, prefix.length);
        return b;
    }

    /** The .npy header (no data) of a C-order little-endian array. */
    public static byte[] npyHeader(String descr, long... shape) {
        StringBuilder t = new StringBuilder();
        for (long d : shape) {
            t.append(d).append(shape.length == 1 ? "," : ", ");
        }
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + t.toString().replaceAll(", $", "") + "), }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] h = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = le(10 + h.length);
        b.put(Npy.MAGIC).put((byte) 1).put((byte) 0).putShort((short) h.length).put(h);
        return b.array();
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Convenience: a list. */
    public static List<Member> list(Member... m) {
        return new ArrayList<>(List.of(m));
    }
}
