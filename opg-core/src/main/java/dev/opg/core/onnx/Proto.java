package dev.opg.core.onnx;

import dev.opg.core.MalformedInputException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A protobuf message as its list of fields, in wire order, each with the exact bytes it was read
 * from: re-encoding a parsed message gives back the same bytes, and fields this code does not know
 * travel unchanged. Only what the ONNX rewriting needs (read fields, drop fields, append fields).
 * Immutable.
 */
final class Proto {
    static final int VARINT = 0;
    static final int I64 = 1;
    static final int LEN = 2;
    static final int I32 = 5;
    private static final int MAX_DEPTH = 64;

    /** One field: number, wire type, the varint/fixed value or the length-delimited payload, and its full encoding. */
    record Field(int number, int wire, long value, byte[] payload, byte[] raw) {}

    private final List<Field> fields;

    private Proto(List<Field> fields) {
        this.fields = List.copyOf(fields);
    }

    static Proto empty() {
        return new Proto(List.of());
    }

    static Proto parse(byte[] data) {
        return parse(data, 0, data.length);
    }

    static Proto parse(byte[] data, int off, int len) {
        List<Field> out = new ArrayList<>();
        int p = off;
        int end = off + len;
        while (p < end) {
            int start = p;
            long[] v = new long[1];
            p = readVarint(data, p, end, v);
            long key = v[0];
            int number = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (number <= 0) {
                throw new MalformedInputException("protobuf field number " + (key >>> 3) + " at byte " + start + " is invalid");
            }
            switch (wire) {
                case VARINT -> {
                    p = readVarint(data, p, end, v);
                    out.add(new Field(number, wire, v[0], null, Arrays.copyOfRange(data, start, p)));
                }
                case I64 -> {
                    need(p, 8, end);
                    long x = ByteBuffer.wrap(data, p, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                    p += 8;
                    out.add(new Field(number, wire, x, null, Arrays.copyOfRange(data, start, p)));
                }
                case I32 -> {
                    need(p, 4, end);
                    long x = ByteBuffer.wrap(data, p, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
                    p += 4;
                    out.add(new Field(number, wire, x, null, Arrays.copyOfRange(data, start, p)));
                }
                case LEN -> {
                    p = readVarint(data, p, end, v);
                    if (v[0] < 0 || v[0] > end - p) {
                        throw new MalformedInputException("protobuf field " + number + " at byte " + start
                                + " claims " + v[0] + " bytes but only " + (end - p) + " remain; the ONNX file is truncated or not ONNX");
                    }
                    int n = (int) v[0];
                    byte[] payload = Arrays.copyOfRange(data, p, p + n);
                    p += n;
                    out.add(new Field(number, wire, n, payload, Arrays.copyOfRange(data, start, p)));
                }
                default -> throw new MalformedInputException("protobuf wire type " + wire + " (field " + number + ", byte "
                        + start + ") is not supported; is this an ONNX model file?");
            }
        }
        return new Proto(out);
    }

    private static void need(int p, int n, int end) {
        if (end - p < n) {
            throw new MalformedInputException("protobuf data ends inside a fixed-width field; the ONNX file is truncated");
        }
    }

    private static int readVarint(byte[] d, int p, int end, long[] out) {
        long x = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (p >= end) {
                throw new MalformedInputException("protobuf data ends inside a varint; the ONNX file is truncated");
            }
            byte b = d[p++];
            x |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                out[0] = x;
                return p;
            }
        }
        throw new MalformedInputException("protobuf varint longer than 10 bytes; the ONNX file is corrupt");
    }

    List<Field> fields() {
        return fields;
    }

    byte[] encode() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (Field f : fields) {
            o.writeBytes(f.raw());
        }
        return o.toByteArray();
    }

    List<Field> all(int number) {
        List<Field> r = new ArrayList<>();
        for (Field f : fields) {
            if (f.number() == number) {
                r.add(f);
            }
        }
        return r;
    }

    boolean has(int number) {
        for (Field f : fields) {
            if (f.number() == number) {
                return true;
            }
        }
        return false;
    }

    /** The last value of a string field, or "" (proto3 default). */
    String string(int number) {
        String s = "";
        for (Field f : fields) {
            if (f.number() == number && f.wire() == LEN) {
                s = new String(f.payload(), StandardCharsets.UTF_8);
            }
        }
        return s;
    }

    List<String> strings(int number) {
        List<String> r = new ArrayList<>();
        for (Field f : fields) {
            if (f.number() == number && f.wire() == LEN) {
                r.add(new String(f.payload(), StandardCharsets.UTF_8));
            }
        }
        return r;
    }

    byte[] bytes(int number) {
        byte[] b = null;
        for (Field f : fields) {
            if (f.number() == number && f.wire() == LEN) {
                b = f.payload();
            }
        }
        return b;
    }

    long varint(int number, long dflt) {
        long v = dflt;
        for (Field f : fields) {
            if (f.number() == number && f.wire() == VARINT) {
                v = f.value();
            }
        }
        return v;
    }

    List<Proto> messages(int number) {
        List<Proto> r = new ArrayList<>();
        for (Field f : fields) {
            if (f.number() == number && f.wire() == LEN) {
                r.add(parse(f.payload()));
            }
        }
        return r;
    }

    /** The last message of a field, or null. */
    Proto message(int number) {
        Proto m = null;
        for (Field f : fields) {
            if (f.number() == number && f.wire() == LEN) {
                m = parse(f.payload());
            }
        }
        return m;
    }

    /** Repeated int64/int32 (packed or not), as longs. */
    long[] varints(int number) {
        long[] r = new long[8];
        int n = 0;
        long[] v = new long[1];
        for (Field f : fields) {
            if (f.number() != number) {
                continue;
            }
            if (f.wire() == VARINT) {
                if (n == r.length) {
                    r = Arrays.copyOf(r, n * 2);
                }
                r[n++] = f.value();
            } else if (f.wire() == LEN) {
                byte[] d = f.payload();
                int p = 0;
                while (p < d.length) {
                    p = readVarint(d, p, d.length, v);
                    if (n == r.length) {
                        r = Arrays.copyOf(r, n * 2);
                    }
                    r[n++] = v[0];
                }
            }
        }
        return Arrays.copyOf(r, n);
    }

    /** Repeated fixed-width values (float: 4 bytes, double: 8), packed or not, as little-endian bytes. */
    byte[] fixed(int number, int width) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (Field f : fields) {
            if (f.number() != number) {
                continue;
            }
            if (f.wire() == LEN) {
                o.writeBytes(f.payload());
            } else if ((width == 4 && f.wire() == I32) || (width == 8 && f.wire() == I64)) {
                b.clear();
                b.putLong(f.value());
                o.write(b.array(), 0, width);
            }
        }
        return o.toByteArray();
    }

    /** A copy without the fields numbered {@code numbers}. */
    Proto without(int... numbers) {
        List<Field> r = new ArrayList<>();
        outer:
        for (Field f : fields) {
            for (int n : numbers) {
                if (f.number() == n) {
                    continue outer;
                }
            }
            r.add(f);
        }
        return new Proto(r);
    }

    /** A copy keeping only the fields numbered {@code numbers}, in their order. */
    Proto only(int... numbers) {
        List<Field> r = new ArrayList<>();
        for (Field f : fields) {
            for (int n : numbers) {
                if (f.number() == n) {
                    r.add(f);
                    break;
                }
            }
        }
        return new Proto(r);
    }

    /** A copy where every length-delimited field {@code number} is replaced by {@code map(payload as message)}. */
    Proto mapMessages(int number, java.util.function.UnaryOperator<Proto> map) {
        List<Field> r = new ArrayList<>(fields.size());
        for (Field f : fields) {
            r.add(f.number() == number && f.wire() == LEN ? lenField(number, map.apply(parse(f.payload())).encode()) : f);
        }
        return new Proto(r);
    }

    Proto plus(Field f) {
        List<Field> r = new ArrayList<>(fields);
        r.add(f);
        return new Proto(r);
    }

    Proto plusAll(List<Field> more) {
        List<Field> r = new ArrayList<>(fields);
        r.addAll(more);
        return new Proto(r);
    }

    static Proto of(List<Field> fields) {
        return new Proto(fields);
    }

    static Field lenField(int number, byte[] payload) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(payload.length + 8);
        writeVarint(o, ((long) number << 3) | LEN);
        writeVarint(o, payload.length);
        o.writeBytes(payload);
        return new Field(number, LEN, payload.length, payload, o.toByteArray());
    }

    static Field stringField(int number, String s) {
        return lenField(number, s.getBytes(StandardCharsets.UTF_8));
    }

    static Field messageField(int number, Proto m) {
        return lenField(number, m.encode());
    }

    static Field varintField(int number, long value) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(12);
        writeVarint(o, ((long) number << 3) | VARINT);
        writeVarint(o, value);
        return new Field(number, VARINT, value, null, o.toByteArray());
    }

    private static void writeVarint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7fL) != 0) {
            o.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    static int maxDepth() {
        return MAX_DEPTH;
    }
}
