package dev.opg.cli.npy;

import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Reads and writes NumPy's {@code .npz} archives: a zip of {@code .npy} files, one per named
 * array ({@code numpy.savez} and {@code numpy.savez_compressed}). Arrays keep the archive's
 * order, which is the order they were passed to {@code savez}; positional arrays are named
 * {@code arr_0}, {@code arr_1}, ... by NumPy.
 */
public final class Npz {
    /** Most arrays in one archive. */
    public static final int MAX_ARRAYS = 4096;
    // A fixed entry time, so that writing the same arrays gives the same bytes.
    private static final FileTime EPOCH = FileTime.fromMillis(315532800000L);

    private Npz() {}

    /** Reads every array, in archive order, keyed by name (the entry name without {@code .npy}). */
    public static SequencedMap<String, NpyArray> read(Path file) throws IOException {
        String what = file.getFileName().toString();
        SequencedMap<String, NpyArray> out = new LinkedHashMap<>();
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new MalformedInputException(what + " is not a NumPy .npz archive (not a zip file: " + e.getMessage() + ")");
        }
        try (zip) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            for (ZipEntry e : Collections.list(entries)) {
                if (e.isDirectory()) {
                    continue;
                }
                if (out.size() >= MAX_ARRAYS) {
                    throw new LimitExceededException(what + " holds more than " + MAX_ARRAYS + " arrays");
                }
                String name = e.getName();
                if (!name.endsWith(".npy")) {
                    throw new MalformedInputException(what + ": entry '" + name + "' is not a .npy file");
                }
                name = name.substring(0, name.length() - 4);
                if (out.containsKey(name)) {
                    throw new MalformedInputException(what + ": array '" + name + "' appears twice");
                }
                try (InputStream in = zip.getInputStream(e)) {
                    out.put(name, Npy.read(in, what + "[" + name + "]", true));
                } catch (ZipException z) {
                    throw new MalformedInputException(what + ": entry '" + name + "' is corrupt (" + z.getMessage() + ")");
                }
            }
        } catch (ZipException z) {
            throw new MalformedInputException(what + " is a corrupt zip archive (" + z.getMessage() + ")");
        }
        if (out.isEmpty()) {
            throw new MalformedInputException(what + " holds no arrays");
        }
        return out;
    }

    /** Writes the arrays, in the map's order, as an uncompressed archive like {@code numpy.savez}. */
    public static void write(Map<String, NpyArray> arrays, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            write(arrays, out);
        }
    }

    /** Writes the arrays, in the map's order, to {@code out}. */
    public static void write(Map<String, NpyArray> arrays, OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        for (Map.Entry<String, NpyArray> a : arrays.entrySet()) {
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
