package dev.opg.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A compiled contract as {@code opg-chain/scripts/compile.js} writes it: ABI, creation bytecode,
 * runtime bytecode, compiler version and settings. The ABI in this file is the single source of
 * truth for the Java encoders ({@link TranscriptAnchorAbi} is tested against it).
 */
public record ContractArtifact(String contractName, String compilerVersion, JsonNode abi, String bytecode,
        String deployedBytecode) {

    /** Classpath location of the TranscriptAnchor artifact. */
    public static final String TRANSCRIPT_ANCHOR_RESOURCE = "/dev/opg/chain/TranscriptAnchor.json";
    /** Classpath location of the ModelRegistry artifact. */
    public static final String MODEL_REGISTRY_RESOURCE = "/dev/opg/chain/ModelRegistry.json";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The committed TranscriptAnchor artifact, from the classpath. */
    public static ContractArtifact transcriptAnchor() {
        return fromClasspath(TRANSCRIPT_ANCHOR_RESOURCE, "node opg-chain/scripts/compile.js");
    }

    /** The committed ModelRegistry artifact, from the classpath. */
    public static ContractArtifact modelRegistry() {
        return fromClasspath(MODEL_REGISTRY_RESOURCE, "node opg-chain/scripts/compile.js --contract ModelRegistry");
    }

    private static ContractArtifact fromClasspath(String resource, String compileCommand) {
        try (InputStream in = ContractArtifact.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new ChainException("contract artifact " + resource
                        + " is not on the classpath; run " + compileCommand + " and rebuild");
            }
            return parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses artifact JSON. */
    public static ContractArtifact parse(byte[] json) {
        try {
            JsonNode root = MAPPER.readTree(json);
            String bytecode = text(root, "bytecode");
            String deployed = text(root, "deployedBytecode");
            if (!bytecode.startsWith("0x") || bytecode.length() < 4) {
                throw new ChainException("artifact bytecode must be 0x-prefixed hex; got " + abbreviate(bytecode));
            }
            JsonNode abi = root.get("abi");
            if (abi == null || !abi.isArray()) {
                throw new ChainException("artifact has no \"abi\" array");
            }
            return new ContractArtifact(text(root, "contractName"), text(root.path("compiler"), "version"), abi,
                    bytecode, deployed);
        } catch (IOException e) {
            throw new ChainException("contract artifact is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Canonical signatures ({@code name(type,...)}) of the ABI entries of {@code kind} ("function", "event", "error"). */
    public Set<String> signatures(String kind) {
        Set<String> out = new TreeSet<>();
        for (JsonNode entry : abi) {
            if (kind.equals(entry.path("type").asText())) {
                out.add(entry.get("name").asText() + "(" + String.join(",", types(entry.path("inputs"))) + ")");
            }
        }
        return out;
    }

    /** Output types of function {@code name}, or an empty list if there is no such function. */
    public List<String> outputTypes(String name) {
        for (JsonNode entry : abi) {
            if ("function".equals(entry.path("type").asText()) && name.equals(entry.path("name").asText())) {
                return types(entry.path("outputs"));
            }
        }
        return List.of();
    }

    /** {@code stateMutability} of function {@code name} ("view", "pure", "nonpayable"...), or null. */
    public String stateMutability(String name) {
        for (JsonNode entry : abi) {
            if ("function".equals(entry.path("type").asText()) && name.equals(entry.path("name").asText())) {
                return entry.path("stateMutability").asText();
            }
        }
        return null;
    }

    private static List<String> types(JsonNode params) {
        List<String> t = new ArrayList<>();
        for (JsonNode p : params) {
            t.add(p.get("type").asText());
        }
        return t;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new ChainException("contract artifact lacks the string field \"" + field + "\"");
        }
        return v.asText();
    }

    private static String abbreviate(String s) {
        return s.length() > 20 ? s.substring(0, 20) + "..." : s;
    }
}
