package dev.opg.core.attest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Strict JSON reading for the attestation formats: duplicate keys refused, bounded size, depth
 * and strings; every object must hold exactly the fields the format names.
 */
final class StrictJson {
    private StrictJson() {}

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    static ObjectMapper mapper(int maxBytes) {
        return new ObjectMapper(JsonFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(16)
                        .maxNumberLength(20)
                        .maxStringLength(maxBytes)
                        .maxDocumentLength(maxBytes)
                        .build())
                .build());
    }

    static JsonNode read(ObjectMapper m, byte[] json, int maxBytes, String what) {
        if (json.length > maxBytes) {
            throw new MalformedInputException(what + " is " + json.length + " bytes; at most " + maxBytes + " are accepted");
        }
        try {
            JsonNode n = m.readTree(json);
            if (n == null || !n.isObject()) {
                throw new MalformedInputException(what + " is not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new MalformedInputException(what + " is not valid JSON: " + firstLine(e.getMessage()), e);
        }
    }

    /** Requires {@code node} to be an object with every field of {@code required}, optionally {@code optional}, and nothing else. */
    static void fields(JsonNode node, String what, Set<String> required, Set<String> optional) {
        if (node == null || !node.isObject()) {
            throw new MalformedInputException(what + " must be a JSON object");
        }
        Set<String> seen = new TreeSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!required.contains(f) && !optional.contains(f)) {
                throw new MalformedInputException(what + " has the unknown field \"" + f + "\"; expected only "
                        + new TreeSet<>(union(required, optional)));
            }
            seen.add(f);
        }
        for (String f : required) {
            if (!seen.contains(f)) {
                throw new MalformedInputException(what + " lacks the field \"" + f + "\"");
            }
        }
    }

    static String text(JsonNode node, String field, String what) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new MalformedInputException(what + "." + field + " must be a string");
        }
        return v.asText();
    }

    static long nonNegativeLong(JsonNode node, String field, String what) {
        JsonNode v = node.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw new MalformedInputException(what + "." + field + " must be a non-negative integer");
        }
        return v.asLong();
    }

    static Digest hex64(JsonNode node, String field, String what) {
        String s = text(node, field, what);
        if (!HEX64.matcher(s).matches()) {
            throw new MalformedInputException(what + "." + field + " must be 64 lower-case hex digits; got \"" + abbreviate(s) + "\"");
        }
        return Digest.fromHex(s);
    }

    static List<JsonNode> array(JsonNode node, String field, String what, int min, int max) {
        JsonNode v = node.get(field);
        if (v == null || !v.isArray()) {
            throw new MalformedInputException(what + "." + field + " must be an array");
        }
        if (v.size() < min || v.size() > max) {
            throw new MalformedInputException(what + "." + field + " holds " + v.size() + " entries; expected " + min + ".." + max);
        }
        List<JsonNode> out = new ArrayList<>(v.size());
        v.forEach(out::add);
        return out;
    }

    /**
     * A string another party wrote, fit for a one-line message: at most 80 characters, anything but
     * printable ASCII escaped as {@code \\uXXXX} (no terminal control sequences, no line breaks).
     */
    static String abbreviate(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) : s;
        StringBuilder b = new StringBuilder(cut.length() + 8);
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return s.length() > 80 ? b + "..." : b.toString();
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new TreeSet<>(a);
        u.addAll(b);
        return u;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
