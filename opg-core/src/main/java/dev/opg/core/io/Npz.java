package dev.opg.core.io;

import dev.opg.core.witness.WitnessTensor;

import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Reads and writes NumPy's {@code .npz} archives: a zip of {@code .npy} files, one per named
 * array ({@code numpy.savez} and {@code numpy.savez_compressed}). Arrays keep the archive's
 * order, which is the order they were passed to {@code savez}; positional arrays are named
 * {@code arr_0}, {@code arr_1}, ... by NumPy.
 *
 * <p>Reading is bounded (spec section 3.10): the end-of-central-directory record is read first
 * and the entry count and directory size are checked before the directory is parsed; every
 * member's declared size is checked against the caps, and their sum against
 * {@link #MAX_TOTAL_BYTES}, before anything is inflated. Zip headers are never trusted alone:
 * each member is read through its local header, which must agree with the central directory
 * (name, method, sizes, CRC); inflation stops at the declared size and any byte past it is an
 * error; duplicate names, directories, members that are not {@code .npy}, archive comments,
 * bytes before the first or between members are refused.
 */
public final class Npz {
    /** Most arrays in one archive: the header's cap on input digests (spec section 3.10). */
    public static final int MAX_ARRAYS = 1024;
    /** Largest sum of the members' uncompressed sizes (spec section 3.10). */
    public static final long MAX_TOTAL_BYTES = 1L << 31;
    /** Largest central directory (spec section 3.10): 4 KiB a member at the member cap. */
    public static final long MAX_CENTRAL_DIRECTORY_BYTES = 4L << 20;
    /** Largest member name, UTF-8 bytes (spec section 3.10). */
    public static final int MAX_NAME_BYTES = 1024;
    // A fixed entry time, so that writing the same arrays gives the same bytes.
    private static final FileTime EPOCH = FileTime.fromMillis(315532800000L);
    private static final int EOCD = 0x06054b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_EOCD = 0x06064b50;

    private Npz() {}

    /** Reads every array, in archive order, keyed by name (the entry name without {@code .npy}). */
    public static SequencedMap<String, WitnessTensor> read(Path file) throws IOException {
        String what = file.getFileName().toString();
        long entries = checkDirectory(file, what);
        List<ZipEntry> central = new ArrayList<>();
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new MalformedInputException(what + " is not a NumPy .npz archive (not a zip file: " + e.getMessage() + ")");
        }
        long total = 0;
        Set<String> names = new HashSet<>();
        try (zip) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                String name = e.getName();
                if (e.isDirectory()) {
                    throw new MalformedInputException(what + ": entry '" + name + "' is a directory; an .npz holds only .npy members");
                }
                if (!name.endsWith(".npy")) {
                    throw new MalformedInputException(what + ": entry '" + name + "' is not a .npy file");
                }
                if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                    throw new LimitExceededException(what + ": an entry name has more than " + MAX_NAME_BYTES + " UTF-8 bytes");
                }
                if (!names.add(name)) {
                    throw new MalformedInputException(what + ": array '" + name.substring(0, name.length() - 4) + "' appears twice");
                }
                long size = e.getSize();
                if (size < 0 || e.getCompressedSize() < 0) {
                    throw new MalformedInputException(what + ": entry '" + name + "' has no size in the central directory");
                }
                if (size > Npy.MAX_ARRAY_BYTES + Npy.MAX_HEADER_BYTES + 12) {
                    throw new LimitExceededException(what + ": entry '" + name + "' declares " + size
                            + " bytes; the cap is " + Npy.MAX_ARRAY_BYTES + " data bytes per array");
                }
                total += size;
                if (total > MAX_TOTAL_BYTES) {
                    throw new LimitExceededException(what + ": members declare more than " + MAX_TOTAL_BYTES
                            + " uncompressed bytes in all; the cap is " + MAX_TOTAL_BYTES);
                }
                central.add(e);
            }
        } catch (ZipException z) {
            throw new MalformedInputException(what + " is a corrupt zip archive (" + z.getMessage() + ")");
        }
        if (central.size() != entries) {
            throw new MalformedInputException(what + ": the end record counts " + entries + " entries; the central directory lists "
                    + central.size());
        }
        if (central.isEmpty()) {
            throw new MalformedInputException(what + " holds no arrays");
        }
        return readMembers(file, what, central);
    }

    /** Reads each member through its local header, checked against its central-directory entry. */
    private static SequencedMap<String, WitnessTensor> readMembers(Path file, String what, List<ZipEntry> central) throws IOException {
        SequencedMap<String, WitnessTensor> out = new LinkedHashMap<>();
        try (ZipInputStream zin = new ZipInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            for (ZipEntry c : central) {
                String name = c.getName();
                String member = what + "[" + name.substring(0, name.length() - 4) + "]";
                ZipEntry local = zin.getNextEntry();
                if (local == null) {
                    throw new MalformedInputException(what + ": central directory entry '" + name
                            + "' has no local header where the members should follow each other");
                }
                if (!local.getName().equals(name) || local.getMethod() != c.getMethod()) {
                    throw new MalformedInputException(what + ": local header '" + local.getName() + "' (method " + local.getMethod()
                            + ") disagrees with central directory entry '" + name + "' (method " + c.getMethod() + ")");
                }
                agree(what, name, local, c);
                // Inflation stops at the declared size; one byte more is refused below.
                InputStream bounded = new Bounded(zin, c.getSize());
                out.put(name.substring(0, name.length() - 4), Npy.read(bounded, member, true, c.getSize()));
                if (zin.read() != -1) {
                    throw new MalformedInputException(member + " inflates past its declared size of " + c.getSize() + " bytes");
                }
                // Data-descriptor members learn their sizes and CRC only now.
                agree(what, name, local, c);
            }
            if (zin.getNextEntry() != null) {
                throw new MalformedInputException(what + " holds a local member that the central directory does not list");
            }
        } catch (ZipException z) {
            throw new MalformedInputException(what + " is a corrupt zip archive (" + z.getMessage() + ")");
        }
        return out;
    }

    private static void agree(String what, String name, ZipEntry local, ZipEntry c) {
        if ((local.getSize() >= 0 && local.getSize() != c.getSize())
                || (local.getCompressedSize() >= 0 && local.getCompressedSize() != c.getCompressedSize())
                || (local.getCrc() >= 0 && local.getCrc() != c.getCrc())) {
            throw new MalformedInputException(what + ": entry '" + name + "': the local header says " + local.getSize()
                    + " bytes (" + local.getCompressedSize() + " compressed, CRC " + Long.toHexString(local.getCrc())
                    + "), the central directory " + c.getSize() + " (" + c.getCompressedSize() + ", CRC "
                    + Long.toHexString(c.getCrc()) + "); they must agree");
        }
    }

    /**
     * Reads the end-of-central-directory record (and its zip64 form) and checks the entry count
     * and directory size before any directory is parsed; returns the entry count.
     */
    private static long checkDirectory(Path file, String what) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            if (size < 22) {
                throw new MalformedInputException(what + " is not a NumPy .npz archive (not a zip file: " + size + " bytes)");
            }
            ByteBuffer end = read(ch, size - 22, 22);
            if (end.getInt(0) != EOCD) {
                throw new MalformedInputException(what + " is not a NumPy .npz archive (not a zip file without an archive comment: "
                        + "no end-of-central-directory record in its last 22 bytes)");
            }
            if (end.getShort(4) != 0 || end.getShort(6) != 0) {
                throw new MalformedInputException(what + " is a multi-disk zip archive; expected one file");
            }
            long entries = end.getShort(10) & 0xffff;
            long dirSize = end.getInt(12) & 0xffffffffL;
            long dirOffset = end.getInt(16) & 0xffffffffL;
            long endAt = size - 22;
            if (entries == 0xffff || dirSize == 0xffffffffL || dirOffset == 0xffffffffL) {
                if (endAt < 20) {
                    throw new MalformedInputException(what + ": zip64 archive without a zip64 locator");
                }
                ByteBuffer loc = read(ch, endAt - 20, 20);
                if (loc.getInt(0) != ZIP64_LOCATOR) {
                    throw new MalformedInputException(what + ": zip64 archive without a zip64 locator");
                }
                long at = loc.getLong(8);
                if (at < 0 || at > endAt - 20 - 56) {
                    throw new MalformedInputException(what + ": the zip64 locator points outside the archive");
                }
                ByteBuffer z = read(ch, at, 56);
                if (z.getInt(0) != ZIP64_EOCD) {
                    throw new MalformedInputException(what + ": no zip64 end record where the locator points");
                }
                entries = z.getLong(32);
                dirSize = z.getLong(40);
                dirOffset = z.getLong(48);
                endAt = at;
            }
            if (entries < 0 || entries > MAX_ARRAYS) {
                throw new LimitExceededException(what + " holds " + Long.toUnsignedString(entries) + " members; the cap is " + MAX_ARRAYS);
            }
            if (dirSize < 0 || dirSize > MAX_CENTRAL_DIRECTORY_BYTES) {
                throw new LimitExceededException(what + ": central directory of " + Long.toUnsignedString(dirSize)
                        + " bytes; the cap is " + MAX_CENTRAL_DIRECTORY_BYTES);
            }
            if (dirOffset < 0 || dirOffset + dirSize != endAt) {
                throw new MalformedInputException(what + ": the central directory (" + dirSize + " bytes at " + dirOffset
                        + ") does not end where the end record starts (" + endAt + ")");
            }
            return entries;
        }
    }

    private static ByteBuffer read(FileChannel ch, long at, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new MalformedInputException("zip archive ends early");
            }
        }
        return b;
    }

    /** Passes at most {@code limit} bytes of {@code in} through; never closes it. */
    private static final class Bounded extends InputStream {
        private final InputStream in;
        private long left;

        Bounded(InputStream in, long limit) {
            this.in = in;
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int c = in.read();
            if (c >= 0) {
                left--;
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return len == 0 ? 0 : -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }

    /** Writes the arrays, in the map's order, as an uncompressed archive like {@code numpy.savez}. */
    public static void write(Map<String, WitnessTensor> arrays, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            write(arrays, out);
        }
    }

    /** Writes the arrays, in the map's order, to {@code out}. */
    public static void write(Map<String, WitnessTensor> arrays, OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        for (Map.Entry<String, WitnessTensor> a : arrays.entrySet()) {
            ZipEntry e = new ZipEntry(a.getKey() + ".npy");
            e.setLastModifiedTime(EPOCH);
            zip.putNextEntry(e);
            Npy.write(a.getValue(), zip);
            zip.closeEntry();
        }
        zip.finish();
        zip.flush();
    }
}
