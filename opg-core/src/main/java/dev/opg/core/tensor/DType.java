package dev.opg.core.tensor;

import ai.djl.ndarray.types.DataType;
import dev.opg.core.MalformedInputException;
import java.util.Locale;

/** The element types the protocol can commit to, with their fixed one-byte codes. */
public enum DType {
    FLOAT32(0, "float32", 4),
    FLOAT64(1, "float64", 8),
    FLOAT16(2, "float16", 2),
    BFLOAT16(3, "bfloat16", 2),
    INT8(4, "int8", 1),
    UINT8(5, "uint8", 1),
    INT32(6, "int32", 4),
    INT64(7, "int64", 8),
    /** One byte per element, 0 or 1. */
    BOOLEAN(8, "boolean", 1);

    private static final DType[] BY_CODE = values();

    private final int code;
    private final String specName;
    private final int byteSize;

    DType(int code, String specName, int byteSize) {
        this.code = code;
        this.specName = specName;
        this.byteSize = byteSize;
    }

    /** The code written into the tensor header. */
    public int code() {
        return code;
    }

    /** The name used in JSON files and the spec ({@code float32}, ...). */
    public String specName() {
        return specName;
    }

    /** Bytes per element in the canonical encoding. */
    public int byteSize() {
        return byteSize;
    }

    /** @throws MalformedInputException for a code outside 0..8 */
    public static DType fromCode(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            throw new MalformedInputException("unknown dtype code " + code + "; expected 0..8 (float32, "
                    + "float64, float16, bfloat16, int8, uint8, int32, int64, boolean)");
        }
        return BY_CODE[code];
    }

    /** @throws MalformedInputException for a name the spec does not define */
    public static DType fromSpecName(String name) {
        if (name != null) {
            for (DType t : BY_CODE) {
                if (t.specName.equals(name)) {
                    return t;
                }
            }
        }
        throw new MalformedInputException("unknown dtype '" + name + "'; expected one of float32, float64, "
                + "float16, bfloat16, int8, uint8, int32, int64, boolean");
    }

    /** @throws MalformedInputException for a DJL type the protocol has no code for (string, complex, int16, unsigned wider than 8 bits) */
    public static DType fromDjl(DataType type) {
        return switch (type) {
            case FLOAT32 -> FLOAT32;
            case FLOAT64 -> FLOAT64;
            case FLOAT16 -> FLOAT16;
            case BFLOAT16 -> BFLOAT16;
            case INT8 -> INT8;
            case UINT8 -> UINT8;
            case INT32 -> INT32;
            case INT64 -> INT64;
            case BOOLEAN -> BOOLEAN;
            default -> throw new MalformedInputException("DJL data type " + type
                    + " has no opg dtype code; expected one of float32, float64, float16, bfloat16, int8, "
                    + "uint8, int32, int64, boolean");
        };
    }

    /** The DJL type with the same element encoding. */
    public DataType toDjl() {
        return DataType.valueOf(name().toUpperCase(Locale.ROOT));
    }
}
