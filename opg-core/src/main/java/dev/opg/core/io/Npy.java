package dev.opg.core.io;

import dev.opg.core.witness.WitnessTensor;

import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads and writes NumPy's {@code .npy} format (versions 1.0, 2.0 and 3.0; see
 * numpy/lib/format.py) for the dtypes opg commits to: little-endian float16, float32, float64,
 * int8, uint8, int32, int64 and bool, in C order.
 *
 * <p>Reading fails closed with a {@link MalformedInputException} naming what was found and what
 * was expected: a bad magic string, a truncated file, a Fortran-order, big-endian, structured or
 * object array, an unsupported dtype, or bytes after the data. Writing produces a version 1.0
 * file with the header padded to 64 bytes, as NumPy itself writes it, so
 * {@code numpy.load} reads it back.
 */
public final class Npy {
    /** The six magic bytes that open every .npy file. */
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Largest header we accept (NumPy's own reader caps it at 10000 bytes by default); spec section 3.10. */
    public static final int MAX_HEADER_BYTES = 64 * 1024;
    /** Largest rank we accept: NumPy 2's own NPY_MAXDIMS; spec section 3.10. */
    public static final int MAX_RANK = 64;
    /** Largest array (data bytes; so also its element count) we read; spec section 3.10. */
    public static final long MAX_ARRAY_BYTES = 1L << 30;

    private Npy() {}

    /** Reads one .npy file; its size bounds what the header may declare. */
    public static WitnessTensor read(Path file) throws IOException {
        long size = Files.size(file);
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.getFileName().toString(), true, size);
        }
    }

    /** Reads one .npy file from bytes. */
    public static WitnessTensor read(byte[] bytes, String what) {
        try {
            return read(new java.io.ByteArrayInputStream(bytes), what, true, bytes.length);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Reads one array from {@code in}; {@code what} names the source in messages. If
     * {@code requireEnd}, bytes after the array data are an error. The source's length is not
     * known, so only the caps bound what is allocated.
     */
    public static WitnessTensor read(InputStream in, String what, boolean requireEnd) throws IOException {
        return read(in, what, requireEnd, -1);
    }

    /**
     * Reads one array from {@code in}, which holds {@code available} bytes (or -1 if unknown).
     * Every size is checked from the header before the data is allocated or read: the header
     * length, the rank, the data length against {@link #MAX_ARRAY_BYTES}, against
     * {@code available} and against the memory this JVM can still give.
     *
     * @throws LimitExceededException for a size above a cap, or above what the source holds
     * @throws MalformedInputException for anything that is not a C-order little-endian array of a supported dtype
     */
    public static WitnessTensor read(InputStream in, String what, boolean requireEnd, long available) throws IOException {
        byte[] magic = readN(in, 8, what, "the 8-byte .npy preamble");
        for (int i = 0; i < MAGIC.length; i++) {
            if (magic[i] != MAGIC[i]) {
                throw new MalformedInputException(what + " is not a NumPy .npy file (it does not start with \\x93NUMPY)");
            }
        }
        int major = magic[6] & 0xff;
        int minor = magic[7] & 0xff;
        long headerLen;
        int lengthField;
        if (major == 1 && minor == 0) {
            byte[] l = readN(in, 2, what, "the header length");
            headerLen = (l[0] & 0xff) | (l[1] & 0xff) << 8;
            lengthField = 2;
        } else if ((major == 2 || major == 3) && minor == 0) {
            byte[] l = readN(in, 4, what, "the header length");
            headerLen = ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
            lengthField = 4;
        } else {
            throw new MalformedInputException(what + ": .npy format version " + major + "." + minor
                    + " is not supported; expected 1.0, 2.0 or 3.0");
        }
        if (headerLen > MAX_HEADER_BYTES) {
            throw new LimitExceededException(what + ": .npy header of " + headerLen + " bytes exceeds the cap of "
                    + MAX_HEADER_BYTES + " bytes");
        }
        long prefix = 8 + lengthField + headerLen;
        if (available >= 0 && prefix > available) {
            throw new MalformedInputException(what + " is truncated: its .npy header declares " + headerLen
                    + " bytes but the " + (available) + "-byte source holds only " + Math.max(0, available - 8 - lengthField));
        }
        byte[] h = readN(in, (int) headerLen, what, "the header");
        String header = new String(h, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Header parsed = Header.parse(header, what);
        long length = TensorDigest.byteLength(parsed.dtype, parsed.shape);
        String array = parsed.dtype.specName() + Arrays.toString(parsed.shape);
        if (length > MAX_ARRAY_BYTES) {
            throw new LimitExceededException(what + ": array " + array + " needs " + length
                    + " data bytes; the cap is " + MAX_ARRAY_BYTES + " bytes per array");
        }
        // Checked before the data is read: a header that claims more than the source holds
        // allocates nothing, and one that claims less leaves bytes nobody would hash.
        if (available >= 0 && prefix + length > available) {
            throw new MalformedInputException(what + " is truncated: its header declares " + array + " (" + length
                    + " data bytes) but only " + (available - prefix) + " bytes follow the header");
        }
        if (available >= 0 && requireEnd && prefix + length < available) {
            throw new MalformedInputException(what + " has " + (available - prefix - length) + " bytes after the array data; "
                    + "expected exactly " + length + " data bytes for " + array);
        }
        // Two copies live at once at most: the array read here and the record's defensive copy.
        requireHeap(2 * length, what + ": array " + array + " (" + length + " bytes, read and copied once)");
        byte[] data = new byte[(int) length];
        int got = in.readNBytes(data, 0, data.length);
        if (got != data.length) {
            throw new MalformedInputException(what + " is truncated: the array data (" + length + " bytes for "
                    + array + ") has only " + got + " bytes");
        }
        if (requireEnd && in.read() != -1) {
            throw new MalformedInputException(what + " has bytes after the array data; expected exactly "
                    + length + " data bytes for " + array);
        }
        if (parsed.dtype == DType.BOOLEAN) {
            for (int i = 0; i < data.length; i++) {
                if (data[i] != 0 && data[i] != 1) {
                    throw new MalformedInputException(what + ": bool element " + i + " is " + (data[i] & 0xff) + "; expected 0 or 1");
                }
            }
        }
        return new WitnessTensor(parsed.dtype, parsed.shape, data);
    }

    /**
     * Refuses, before allocating, {@code bytes} that this JVM's heap cannot hold beside what it
     * already holds: a clear exit 2 naming the size instead of an OutOfMemoryError midway.
     *
     * @throws LimitExceededException if {@code bytes} exceed the heap still available
     */
    static void requireHeap(long bytes, String what) {
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (bytes > free) {
            System.gc(); // garbage may hold the room; one collection before refusing
            free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        }
        if (bytes > free) {
            throw new LimitExceededException(what + " needs " + bytes + " bytes of memory; this JVM has " + free
                    + " of its maximum heap " + rt.maxMemory() + " left (raise -Xmx to read it)");
        }
    }

    /** Writes {@code a} as a version 1.0 .npy file. */
    public static void write(WitnessTensor a, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            write(a, out);
        }
    }

    /** The .npy bytes of {@code a}. */
    public static byte[] toBytes(WitnessTensor a) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            write(a, out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Writes {@code a} as a version 1.0 .npy stream. */
    public static void write(WitnessTensor a, OutputStream out) throws IOException {
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr(a.dtype()))
                .append("', 'fortran_order': False, 'shape': (");
        long[] shape = a.shape();
        for (int i = 0; i < shape.length; i++) {
            dict.append(shape[i]);
            if (shape.length == 1 || i < shape.length - 1) {
                dict.append(shape.length == 1 ? "," : ", ");
            }
        }
        dict.append("), }");
        // NumPy pads with spaces so that the data starts on a 64-byte boundary, then ends with \n.
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        dict.append(" ".repeat(pad)).append('\n');
        byte[] header = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (header.length > 0xffff) {
            throw new LimitExceededException("array of rank " + shape.length + " needs a .npy header above 65535 bytes");
        }
        out.write(MAGIC);
        out.write(1);
        out.write(0);
        out.write(header.length & 0xff);
        out.write(header.length >>> 8);
        out.write(header);
        out.write(a.data());
    }

    /** NumPy's descr string for a dtype. */
    static String descr(DType t) {
        return switch (t) {
            case FLOAT16 -> "<f2";
            case FLOAT32 -> "<f4";
            case FLOAT64 -> "<f8";
            case INT8 -> "|i1";
            case UINT8 -> "|u1";
            case INT32 -> "<i4";
            case INT64 -> "<i8";
            case BOOLEAN -> "|b1";
            case BFLOAT16 -> throw new MalformedInputException("NumPy has no bfloat16 dtype; convert the tensor to float32 first");
        };
    }

    static DType fromDescr(String d, String what) {
        if (d.length() < 2) {
            throw new MalformedInputException(what + ": dtype '" + d + "' is not a NumPy type string");
        }
        char order = d.charAt(0);
        String code = d.substring(1);
        boolean singleByte = code.equals("i1") || code.equals("u1") || code.equals("b1");
        if (order == '>' && !singleByte) {
            throw new MalformedInputException(what + ": the array is big-endian ('" + d
                    + "'); opg reads little-endian arrays: save it with arr.astype(arr.dtype.newbyteorder('<'))");
        }
        if (order != '<' && order != '|' && !(order == '>' && singleByte)) {
            throw new MalformedInputException(what + ": dtype '" + d + "' has byte order '" + order
                    + "'; expected '<' (little-endian) or '|'");
        }
        return switch (code) {
            case "f2" -> DType.FLOAT16;
            case "f4" -> DType.FLOAT32;
            case "f8" -> DType.FLOAT64;
            case "i1" -> DType.INT8;
            case "u1" -> DType.UINT8;
            case "i4" -> DType.INT32;
            case "i8" -> DType.INT64;
            case "b1" -> DType.BOOLEAN;
            case "O" -> throw new MalformedInputException(what + ": the array holds Python objects (dtype 'O'); "
                    + "opg reads numeric arrays only and never unpickles");
            default -> throw new MalformedInputException(what + ": dtype '" + d + "' is not supported; expected one of "
                    + "float16, float32, float64, int8, uint8, int32, int64, bool");
        };
    }

    private static byte[] readN(InputStream in, int n, String what, String part) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new MalformedInputException(what + " is truncated: " + part + " needs " + n + " bytes, found " + b.length);
        }
        return b;
    }

    /** The parsed header dictionary: a tiny parser for the Python literal NumPy writes. */
    private record Header(DType dtype, long[] shape) {
        static Header parse(String s, String what) {
            Parser p = new Parser(s.strip(), what);
            p.expect('{');
            String descr = null;
            Boolean fortran = null;
            long[] shape = null;
            while (true) {
                p.skipSpace();
                if (p.peek() == '}') {
                    p.pos++;
                    break;
                }
                String key = p.string();
                p.skipSpace();
                p.expect(':');
                p.skipSpace();
                switch (key) {
                    case "descr" -> {
                        if (p.peek() == '[') {
                            throw new MalformedInputException(what + ": the array has a structured dtype (a record list); "
                                    + "opg reads plain numeric arrays only");
                        }
                        descr = p.string();
                    }
                    case "fortran_order" -> fortran = p.bool();
                    case "shape" -> shape = p.tuple();
                    default -> throw new MalformedInputException(what + ": unexpected key '" + key
                            + "' in the .npy header; expected descr, fortran_order, shape");
                }
                p.skipSpace();
                if (p.peek() == ',') {
                    p.pos++;
                }
            }
            p.skipSpace();
            if (p.pos != p.s.length()) {
                throw new MalformedInputException(what + ": trailing characters after the .npy header dictionary");
            }
            if (descr == null || fortran == null || shape == null) {
                throw new MalformedInputException(what + ": the .npy header lacks "
                        + (descr == null ? "'descr'" : fortran == null ? "'fortran_order'" : "'shape'"));
            }
            DType dtype = fromDescr(descr, what);
            if (fortran && shape.length > 1) {
                throw new MalformedInputException(what + ": the array is in Fortran (column-major) order; opg reads "
                        + "C-order arrays: save np.ascontiguousarray(arr)");
            }
            return new Header(dtype, shape);
        }
    }

    private static final class Parser {
        final String s;
        final String what;
        int pos;

        Parser(String s, String what) {
            this.s = s;
            this.what = what;
        }

        char peek() {
            if (pos >= s.length()) {
                throw fail("ends early");
            }
            return s.charAt(pos);
        }

        void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        void expect(char c) {
            if (peek() != c) {
                throw fail("expected '" + c + "' at character " + pos + ", found '" + peek() + "'");
            }
            pos++;
        }

        String string() {
            char q = peek();
            if (q != '\'' && q != '"') {
                throw fail("expected a quoted string at character " + pos);
            }
            int end = s.indexOf(q, pos + 1);
            if (end < 0) {
                throw fail("unterminated string at character " + pos);
            }
            String v = s.substring(pos + 1, end);
            pos = end + 1;
            return v;
        }

        boolean bool() {
            if (s.startsWith("True", pos)) {
                pos += 4;
                return true;
            }
            if (s.startsWith("False", pos)) {
                pos += 5;
                return false;
            }
            throw fail("expected True or False at character " + pos);
        }

        long[] tuple() {
            expect('(');
            List<Long> dims = new ArrayList<>();
            while (true) {
                skipSpace();
                if (peek() == ')') {
                    pos++;
                    break;
                }
                int start = pos;
                while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                    pos++;
                }
                if (start == pos) {
                    throw fail("expected a dimension at character " + pos);
                }
                // NumPy may write 'L' after a long on Python 2.
                String num = s.substring(start, pos);
                if (pos < s.length() && s.charAt(pos) == 'L') {
                    pos++;
                }
                try {
                    dims.add(Long.parseLong(num));
                } catch (NumberFormatException e) {
                    throw new LimitExceededException(what + ": dimension " + num + " exceeds 2^63-1; the cap per array is "
                            + MAX_ARRAY_BYTES + " bytes");
                }
                if (dims.size() > MAX_RANK) {
                    throw new LimitExceededException(what + ": the .npy shape has more than " + MAX_RANK
                            + " dimensions; the cap is " + MAX_RANK);
                }
                skipSpace();
                if (peek() == ',') {
                    pos++;
                }
            }
            return dims.stream().mapToLong(Long::longValue).toArray();
        }

        MalformedInputException fail(String why) {
            return new MalformedInputException(what + ": cannot parse the .npy header (" + why + ")");
        }
    }
}
