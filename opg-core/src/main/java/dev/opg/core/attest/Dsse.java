package dev.opg.core.attest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The DSSE v1 pre-authentication encoding (DSSE protocol, "Signature Definition"):
 *
 * <pre>
 * PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 * SP     = ASCII space (0x20)
 * LEN(s) = ASCII decimal byte length of s, no leading zeros
 * </pre>
 *
 * A signature is made over {@code PAE(UTF8(payloadType), payload)}, never over the payload alone,
 * so the payload type is authenticated with it.
 */
public final class Dsse {
    private Dsse() {}

    /** The in-toto payload type, the type of every envelope opg writes. */
    public static final String INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

    /** {@code PAE(UTF8(payloadType), body)}. */
    public static byte[] pae(String payloadType, byte[] body) {
        return pae(Objects.requireNonNull(payloadType, "payloadType").getBytes(StandardCharsets.UTF_8), body);
    }

    /** {@code PAE(type, body)} for a type given as bytes. */
    public static byte[] pae(byte[] type, byte[] body) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(body, "body");
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 + type.length + body.length);
        out.writeBytes("DSSEv1 ".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(Integer.toString(type.length).getBytes(StandardCharsets.US_ASCII));
        out.write(' ');
        out.writeBytes(type);
        out.write(' ');
        out.writeBytes(Integer.toString(body.length).getBytes(StandardCharsets.US_ASCII));
        out.write(' ');
        out.writeBytes(body);
        return out.toByteArray();
    }
}
