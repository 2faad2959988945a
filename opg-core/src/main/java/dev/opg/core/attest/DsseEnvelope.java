package dev.opg.core.attest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.MalformedInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A DSSE envelope (DSSE "envelope.md"): the payload type, the payload and its signatures over
 * {@link Dsse#pae}. The JSON form is
 *
 * <pre>{"payloadType":"...","payload":"&lt;base64&gt;","signatures":[{"keyid":"...","sig":"&lt;base64&gt;"}]}</pre>
 *
 * written with standard base64 (with padding) and in this field order; read with standard or
 * URL-safe base64, padded or not, as DSSE requires of verifiers. Reading is strict otherwise:
 * duplicate keys, unknown fields, more than {@value #MAX_SIGNATURES} signatures, an empty
 * payload type and a document above {@value #MAX_ENVELOPE_BYTES} bytes are refused. Nothing in
 * the JSON around the payload and the signatures is signed; only those bytes count.
 */
public final class DsseEnvelope {
    /** The largest envelope file read (1 MiB). */
    public static final int MAX_ENVELOPE_BYTES = 1 << 20;
    /** The most signatures one envelope may carry. */
    public static final int MAX_SIGNATURES = 16;

    private static final ObjectMapper JSON = StrictJson.mapper(MAX_ENVELOPE_BYTES);

    private final String payloadType;
    private final byte[] payload;
    private final List<DsseSignature> signatures;

    public DsseEnvelope(String payloadType, byte[] payload, List<DsseSignature> signatures) {
        this.payloadType = Objects.requireNonNull(payloadType, "payloadType");
        this.payload = Objects.requireNonNull(payload, "payload").clone();
        this.signatures = List.copyOf(signatures);
        if (payloadType.isEmpty()) {
            throw new MalformedInputException("a DSSE envelope needs a payload type");
        }
        if (this.signatures.isEmpty() || this.signatures.size() > MAX_SIGNATURES) {
            throw new MalformedInputException("a DSSE envelope carries 1.." + MAX_SIGNATURES + " signatures; got "
                    + this.signatures.size());
        }
    }

    /** Signs {@code payload} of {@code payloadType} with {@code signer}: one signature over the PAE. */
    public static DsseEnvelope sign(String payloadType, byte[] payload, EnvelopeSigner signer) {
        byte[] sig = signer.sign(Dsse.pae(payloadType, payload));
        return new DsseEnvelope(payloadType, payload, List.of(new DsseSignature(signer.keyId(), sig)));
    }

    public String payloadType() {
        return payloadType;
    }

    /** The payload bytes (a copy). */
    public byte[] payload() {
        return payload.clone();
    }

    public List<DsseSignature> signatures() {
        return signatures;
    }

    /** The bytes every signature is over: {@code PAE(UTF8(payloadType), payload)}. */
    public byte[] pae() {
        return Dsse.pae(payloadType, payload);
    }

    /** The JSON form (UTF-8, no whitespace, the field order above, no trailing newline). */
    public byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + payload.length * 4 / 3);
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("payloadType", payloadType);
            g.writeStringField("payload", Base64.getEncoder().encodeToString(payload));
            g.writeArrayFieldStart("signatures");
            for (DsseSignature s : signatures) {
                g.writeStartObject();
                if (!s.keyid().isEmpty()) {
                    g.writeStringField("keyid", s.keyid());
                }
                g.writeStringField("sig", Base64.getEncoder().encodeToString(s.sig()));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Reads an envelope's JSON.
     *
     * @throws MalformedInputException naming what is wrong, for anything but a well-formed envelope
     */
    public static DsseEnvelope parse(byte[] json) {
        JsonNode root = StrictJson.read(JSON, json, MAX_ENVELOPE_BYTES, "the DSSE envelope");
        StrictJson.fields(root, "the DSSE envelope", Set.of("payloadType", "payload", "signatures"), Set.of());
        String type = StrictJson.text(root, "payloadType", "envelope");
        byte[] payload = base64(StrictJson.text(root, "payload", "envelope"), "envelope.payload");
        List<DsseSignature> sigs = new ArrayList<>();
        List<JsonNode> entries = StrictJson.array(root, "signatures", "envelope", 1, MAX_SIGNATURES);
        for (int i = 0; i < entries.size(); i++) {
            String what = "envelope.signatures[" + i + "]";
            JsonNode s = entries.get(i);
            StrictJson.fields(s, what, Set.of("sig"), Set.of("keyid"));
            String keyid = s.has("keyid") ? StrictJson.text(s, "keyid", what) : "";
            sigs.add(new DsseSignature(keyid, base64(StrictJson.text(s, "sig", what), what + ".sig")));
        }
        return new DsseEnvelope(type, payload, sigs);
    }

    /** Standard or URL-safe base64, padded or not (DSSE: verifiers must accept either). */
    static byte[] base64(String s, String what) {
        boolean urlSafe = s.indexOf('-') >= 0 || s.indexOf('_') >= 0;
        if (urlSafe && (s.indexOf('+') >= 0 || s.indexOf('/') >= 0)) {
            throw new MalformedInputException(what + " mixes the standard and URL-safe base64 alphabets");
        }
        try {
            return (urlSafe ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(s);
        } catch (IllegalArgumentException e) {
            throw new MalformedInputException(what + " is not base64: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DsseEnvelope e && payloadType.equals(e.payloadType) && Arrays.equals(payload, e.payload)
                && signatures.equals(e.signatures);
    }

    @Override
    public int hashCode() {
        return Objects.hash(payloadType, Arrays.hashCode(payload), signatures);
    }

    @Override
    public String toString() {
        return "DsseEnvelope[" + payloadType + ", " + payload.length + " payload bytes, " + signatures.size() + " signature(s)]";
    }
}
