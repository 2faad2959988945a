package dev.opg.spark;

import dev.opg.core.MalformedInputException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;

/**
 * The key bytes of a row (spec section 3.15): the bytes whose unsigned lexicographic order orders
 * a job's rows.
 *
 * <ul>
 *   <li>string: its UTF-8 bytes;</li>
 *   <li>byte, short, int, long: the value as a 64-bit two's complement integer, big-endian, with the
 *       sign bit flipped (so that byte order is numeric order: -1 sorts before 0);</li>
 *   <li>binary: the bytes themselves.</li>
 * </ul>
 * Any other key type, and a null key, is refused: the order would not be defined byte for byte.
 */
public final class KeyBytes {
    private KeyBytes() {}

    /** Whether {@code t} can be a key column's type. */
    public static boolean supported(DataType t) {
        return t instanceof StringType || t instanceof BinaryType || integral(t);
    }

    private static boolean integral(DataType t) {
        return t instanceof ByteType || t instanceof ShortType || t instanceof IntegerType || t instanceof LongType;
    }

    /**
     * The key bytes of {@code value}, a value of a column of type {@code t}.
     *
     * @throws MalformedInputException for a null key or an unsupported type
     */
    public static byte[] of(Object value, DataType t, String column) {
        if (value == null) {
            throw new MalformedInputException("key column '" + column + "' holds a null; every row needs a key (spec section 3.15)");
        }
        if (t instanceof StringType) {
            return value.toString().getBytes(StandardCharsets.UTF_8);
        }
        if (t instanceof BinaryType) {
            return ((byte[]) value).clone();
        }
        if (integral(t)) {
            return ofLong(((Number) value).longValue());
        }
        throw new MalformedInputException("key column '" + column + "' has type " + t.simpleString()
                + "; a key must be a string, binary, byte, short, int or long column (spec section 3.15)");
    }

    /** The key bytes of an integer key. */
    public static byte[] ofLong(long v) {
        return ByteBuffer.allocate(8).putLong(v ^ Long.MIN_VALUE).array();
    }

    /** The key value back from its bytes, as a value of type {@code t}. */
    public static Object decode(byte[] key, DataType t) {
        if (t instanceof StringType) {
            return new String(key, StandardCharsets.UTF_8);
        }
        if (t instanceof BinaryType) {
            return key.clone();
        }
        if (key.length != 8) {
            throw new MalformedInputException("an integer key has 8 key bytes; got " + key.length);
        }
        long v = ByteBuffer.wrap(key).getLong() ^ Long.MIN_VALUE;
        if (t instanceof LongType) {
            return v;
        }
        if (t instanceof IntegerType) {
            return (int) v;
        }
        if (t instanceof ShortType) {
            return (short) v;
        }
        if (t instanceof ByteType) {
            return (byte) v;
        }
        throw new MalformedInputException("unsupported key type " + t.simpleString());
    }

    /** The Spark type named {@code name} ({@link DataType#typeName()}) for a key column. */
    public static DataType typeNamed(String name) {
        return switch (name) {
            case "string" -> DataTypes.StringType;
            case "binary" -> DataTypes.BinaryType;
            case "long" -> DataTypes.LongType;
            case "integer" -> DataTypes.IntegerType;
            case "short" -> DataTypes.ShortType;
            case "byte" -> DataTypes.ByteType;
            default -> throw new MalformedInputException("unsupported key type '" + name + "'");
        };
    }

    /** Unsigned lexicographic order; a proper prefix sorts first. */
    public static int compare(byte[] a, byte[] b) {
        return java.util.Arrays.compareUnsigned(a, b);
    }

    /** A printable form: the string itself for a string key, the number for an integer key, else hex. */
    public static String display(byte[] key, DataType t) {
        Object v = decode(key, t);
        return v instanceof byte[] b ? HexFormat.of().formatHex(b) : v.toString();
    }
}
