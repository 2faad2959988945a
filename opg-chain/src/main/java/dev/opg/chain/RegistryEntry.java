package dev.opg.chain;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import java.util.Locale;
import java.util.Objects;

/**
 * One version of a model in the {@code ModelRegistry} (spec section 5.3): {@code publisher}'s
 * model {@code name}, version number {@code index} (0 = the first registered), with what it binds.
 *
 * @param publisher the account that registered it, lower-case {@code 0x} address
 * @param name the publisher's model name
 * @param index the version's position among the name's versions, oldest first
 * @param version the version string
 * @param modelId the opg model id (spec section 3.5)
 * @param artifactDigest SHA-256 of the model file, or dirHash of the model directory (section 5.1)
 * @param uri where the artifact can be fetched
 * @param kind the model kind: {@code djl-block}, {@code torchscript}, {@code onnx}
 * @param registeredBlock the block it was registered in
 * @param revokedBlock the block its publisher revoked it in; 0 if it is not revoked
 */
public record RegistryEntry(String publisher, String name, long index, String version, Digest modelId, Digest artifactDigest,
        String uri, String kind, long registeredBlock, long revokedBlock) {

    /** Longest name, in bytes (the contract's MAX_NAME). */
    public static final int MAX_NAME = 64;
    /** Longest version string (MAX_VERSION). */
    public static final int MAX_VERSION = 64;
    /** Longest URI (MAX_URI). */
    public static final int MAX_URI = 512;
    /** Longest kind (MAX_KIND). */
    public static final int MAX_KIND = 32;

    public RegistryEntry {
        publisher = Attestation.address(publisher, "publisher");
        checkFields(name, version, uri, kind);
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(artifactDigest, "artifactDigest");
        if (index < 0 || registeredBlock < 0 || revokedBlock < 0) {
            throw new MalformedInputException("a registry entry has a non-negative index and blocks");
        }
    }

    /** Whether the publisher revoked this version. */
    public boolean revoked() {
        return revokedBlock != 0;
    }

    /** {@code name@version}. */
    public String label() {
        return name + "@" + version;
    }

    /**
     * Checks the string fields as the contract does: name, version and URI printable ASCII without
     * spaces (0x21..0x7e), the kind of a-z, 0-9 and '-', none empty, each within its maximum.
     *
     * @throws MalformedInputException naming the field and what is wrong
     */
    public static void checkFields(String name, String version, String uri, String kind) {
        printable("name", name, MAX_NAME);
        printable("version", version, MAX_VERSION);
        printable("uri", uri, MAX_URI);
        Objects.requireNonNull(kind, "kind");
        if (kind.isEmpty() || kind.length() > MAX_KIND || !kind.matches("[a-z0-9-]+")) {
            throw new MalformedInputException("kind must be 1.." + MAX_KIND + " characters of a-z, 0-9 and '-'; got \""
                    + TranscriptAnchorAbi.quoted(kind) + "\"");
        }
    }

    private static void printable(String field, String s, int max) {
        if (s == null || s.isEmpty()) {
            throw new MalformedInputException(field + " must not be empty");
        }
        if (s.length() > max) {
            throw new MalformedInputException(field + " is " + s.length() + " characters; at most " + max);
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new MalformedInputException(field + " " + TranscriptAnchorAbi.quoted(s) + " has the character "
                        + String.format(Locale.ROOT, "U+%04X", (int) c) + " at position " + i
                        + "; only printable ASCII without spaces (0x21..0x7e) is registered");
            }
        }
    }
}
