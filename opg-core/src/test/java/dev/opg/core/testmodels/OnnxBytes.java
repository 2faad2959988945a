package dev.opg.core.testmodels;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Protobuf wire bytes for hand-built ONNX test models, and the models several tests share. */
public final class OnnxBytes {
    private OnnxBytes() {}

    /**
     * A minimal ONNX ModelProto (ir 8, opset 13): {@code out = x - y}, one Sub node, two
     * same-shaped float32 [2] graph inputs named {@code x} and {@code y}.
     */
    public static byte[] subModel() {
        byte[] shape = msg(2, msg(1, varint(1, 2)));                               // TensorShapeProto { dim { dim_value 2 } }
        byte[] type = msg(1, cat(varint(1, 1), shape));                             // TypeProto.tensor_type { elem_type FLOAT, shape }
        byte[] node = cat(str(1, "x"), str(1, "y"), str(2, "out"), str(3, "sub"), str(4, "Sub"));
        byte[] graph = cat(msg(1, node), str(2, "g"),
                msg(11, cat(str(1, "x"), msg(2, type))), msg(11, cat(str(1, "y"), msg(2, type))),
                msg(12, cat(str(1, "out"), msg(2, type))));
        byte[] opset = cat(str(1, ""), varint(2, 13));
        return cat(varint(1, 8), str(2, "opg-test"), msg(7, graph), msg(8, opset));
    }

    public static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    /** A base-128 varint. */
    public static byte[] varintBytes(long v) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        while ((v & ~0x7fL) != 0) {
            o.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
        return o.toByteArray();
    }

    /** A varint field. */
    public static byte[] varint(int field, long v) {
        return cat(varintBytes((long) field << 3), varintBytes(v));
    }

    /** A length-delimited field. */
    public static byte[] msg(int field, byte[] body) {
        return cat(varintBytes(((long) field << 3) | 2), varintBytes(body.length), body);
    }

    /** A string field. */
    public static byte[] str(int field, String s) {
        return msg(field, s.getBytes(StandardCharsets.UTF_8));
    }
}
