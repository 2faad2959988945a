package dev.opg.core.tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import org.junit.jupiter.api.Test;

class TensorDigestBadInputTest {

    private static void assertMessage(MalformedInputException e, String expected) {
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should contain '" + expected + "'");
    }

    @Test
    void rejectsUnknownDtypeCodesAndNames() {
        assertMessage(assertThrows(MalformedInputException.class, () -> DType.fromCode(9)), "unknown dtype code 9");
        assertThrows(MalformedInputException.class, () -> DType.fromCode(-1));
        assertMessage(assertThrows(MalformedInputException.class, () -> DType.fromSpecName("float8")), "unknown dtype 'float8'");
        assertThrows(MalformedInputException.class, () -> DType.fromSpecName(null));
        assertThrows(MalformedInputException.class, () -> DType.fromDjl(DataType.STRING));
        assertThrows(MalformedInputException.class, () -> DType.fromDjl(DataType.COMPLEX64));
    }

    @Test
    void codesAndNamesRoundTrip() {
        for (DType t : DType.values()) {
            assertTrue(DType.fromCode(t.code()) == t && DType.fromSpecName(t.specName()) == t && DType.fromDjl(t.toDjl()) == t);
        }
    }

    @Test
    void rejectsNegativeAndOverflowingShapes() {
        assertMessage(assertThrows(MalformedInputException.class,
                () -> TensorDigest.of(DType.FLOAT32, new long[] {2, -3}, new byte[0])), "dimension 1 of the shape is -3");
        assertThrows(LimitExceededException.class,
                () -> TensorDigest.of(DType.FLOAT64, new long[] {1L << 31, 1L << 31, 4}, new byte[0]));
        assertThrows(LimitExceededException.class,
                () -> TensorDigest.header(DType.UINT8, new long[256]));
    }

    @Test
    void rejectsDataShorterOrLongerThanTheShapeSays() {
        assertMessage(assertThrows(MalformedInputException.class,
                () -> TensorDigest.of(DType.FLOAT32, new long[] {2, 3}, new byte[23])), "needs exactly 24");
        assertThrows(MalformedInputException.class, () -> TensorDigest.of(DType.INT64, new long[] {1}, new byte[9]));
        assertThrows(MalformedInputException.class, () -> TensorDigest.ofFloat32(new float[5], 2, 3));
        assertThrows(MalformedInputException.class, () -> TensorDigest.ofInt64(new long[2]));
        assertThrows(MalformedInputException.class, () -> TensorDigest.ofBytes(DType.INT32, new byte[4], 1));
        assertThrows(MalformedInputException.class, () -> TensorDigest.ofHalf(DType.FLOAT32, new short[2], 1));
    }

    @Test
    void rejectsBooleanBytesOtherThanZeroAndOne() {
        assertMessage(assertThrows(MalformedInputException.class,
                () -> TensorDigest.ofBytes(DType.BOOLEAN, new byte[] {0, 1, 2}, 3)), "boolean element 2 is byte 2");
    }
}
