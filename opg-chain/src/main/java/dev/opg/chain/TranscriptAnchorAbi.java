package dev.opg.chain;

import dev.opg.core.Digest;
import dev.opg.core.Hex;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint64;
import org.web3j.crypto.Hash;

/**
 * The TranscriptAnchor calls, events and errors as web3j objects. Hand-written, and checked
 * against the committed ABI ({@link ContractArtifact#transcriptAnchor()}) by a test, so the ABI
 * stays the single source of truth.
 */
public final class TranscriptAnchorAbi {
    private TranscriptAnchorAbi() {}

    public static final Event ANCHORED = new Event("Anchored", List.of(
            new TypeReference<Bytes32>(true) {}, new TypeReference<Address>(true) {}, new TypeReference<Uint256>() {}));
    public static final Event BATCH_ANCHORED = new Event("BatchAnchored", List.of(
            new TypeReference<Bytes32>(true) {}, new TypeReference<Address>(true) {},
            new TypeReference<Uint64>() {}, new TypeReference<Uint256>() {}));
    public static final Event ATTESTED = new Event("Attested", List.of(
            new TypeReference<Bytes32>(true) {}, new TypeReference<Address>(true) {}, new TypeReference<Bytes32>(true) {}));

    /** Custom errors: signature and the types of its arguments, for decoding revert data. */
    static final Map<String, List<TypeReference<Type>>> ERRORS = Map.of(
            "EmptyBatch()", List.of(),
            "BatchTooLarge(uint64)", refs(new TypeReference<Uint64>() {}),
            "ConflictingBatchCount(bytes32,uint64,uint64)", refs(new TypeReference<Bytes32>() {},
                    new TypeReference<Uint64>() {}, new TypeReference<Uint64>() {}),
            "MalformedSignature(uint256)", refs(new TypeReference<Uint256>() {}),
            "WrongSigner(address,address)", refs(new TypeReference<Address>() {}, new TypeReference<Address>() {}),
            "ConflictingAttestation(bytes32,bytes32)", refs(new TypeReference<Bytes32>() {}, new TypeReference<Bytes32>() {}));

    public static Function anchor(Digest root) {
        return new Function("anchor", List.of(b32(root)), List.of(new TypeReference<Bool>() {}));
    }

    public static Function anchorBatch(Digest batchRoot, long count) {
        return new Function("anchorBatch", List.of(b32(batchRoot), new Uint64(count)), List.of(new TypeReference<Bool>() {}));
    }

    /** Did {@code submitter} anchor {@code root} alone? */
    public static Function isAnchored(String submitter, Digest root) {
        return new Function("isAnchored", List.of(new Address(submitter), b32(root)), List.of(new TypeReference<Bool>() {}));
    }

    /** The block in which {@code submitter} anchored {@code root} alone (0: never). */
    public static Function anchorOf(String submitter, Digest root) {
        return new Function("anchorOf", List.of(new Address(submitter), b32(root)), List.of(new TypeReference<Uint64>() {}));
    }

    /** Did {@code submitter} anchor the batch root {@code batchRoot}? */
    public static Function isBatchAnchored(String submitter, Digest batchRoot) {
        return new Function("isBatchAnchored", List.of(new Address(submitter), b32(batchRoot)),
                List.of(new TypeReference<Bool>() {}));
    }

    /** Block and count of {@code submitter}'s batch {@code batchRoot} (both 0: never). */
    public static Function batchAnchorOf(String submitter, Digest batchRoot) {
        return new Function("batchAnchorOf", List.of(new Address(submitter), b32(batchRoot)),
                List.of(new TypeReference<Uint64>() {}, new TypeReference<Uint64>() {}));
    }

    public static Function verifyInclusion(String submitter, Digest batchRoot, long leafIndex, Digest transcriptRoot,
            List<Digest> proof) {
        return new Function("verifyInclusion",
                List.of(new Address(submitter), b32(batchRoot), new Uint256(leafIndex), b32(transcriptRoot), b32Array(proof)),
                List.of(new TypeReference<Bool>() {}));
    }

    public static Function verifyInclusionProof(Digest leafHash, long leafIndex, long treeSize, List<Digest> proof, Digest root) {
        return new Function("verifyInclusionProof",
                List.of(b32(leafHash), new Uint256(leafIndex), new Uint256(treeSize), b32Array(proof), b32(root)),
                List.of(new TypeReference<Bool>() {}));
    }

    public static Function rfc9162LeafHash(byte[] data) {
        return new Function("rfc9162LeafHash", List.of(new DynamicBytes(data)), List.of(new TypeReference<Bytes32>() {}));
    }

    public static Function domainSeparator() {
        return new Function("domainSeparator", List.of(), List.of(new TypeReference<Bytes32>() {}));
    }

    public static Function attestationDigest(Digest transcriptRoot, Digest modelId) {
        return new Function("attestationDigest", List.of(b32(transcriptRoot), b32(modelId)),
                List.of(new TypeReference<Bytes32>() {}));
    }

    public static Function recoverAttester(Digest transcriptRoot, Digest modelId, byte[] signature) {
        return new Function("recoverAttester", List.of(b32(transcriptRoot), b32(modelId), new DynamicBytes(signature)),
                List.of(new TypeReference<Address>() {}));
    }

    public static Function attest(Digest transcriptRoot, Digest modelId, String executor, byte[] signature) {
        return new Function("attest",
                List.of(b32(transcriptRoot), b32(modelId), new Address(executor), new DynamicBytes(signature)),
                List.of(new TypeReference<Bool>() {}));
    }

    public static Function attestedModel(Digest transcriptRoot, String executor) {
        return new Function("attestedModel", List.of(b32(transcriptRoot), new Address(executor)),
                List.of(new TypeReference<Bytes32>() {}));
    }

    /** Every function above, with placeholder arguments: the set the ABI test checks. */
    public static List<Function> allFunctions() {
        Digest z = Digest.of(new byte[32]);
        String a = "0x0000000000000000000000000000000000000000";
        return List.of(anchor(z), anchorBatch(z, 1), isAnchored(a, z), anchorOf(a, z), isBatchAnchored(a, z),
                batchAnchorOf(a, z), verifyInclusion(a, z, 0, z, List.of()),
                verifyInclusionProof(z, 0, 1, List.of(), z), rfc9162LeafHash(new byte[0]), domainSeparator(),
                attestationDigest(z, z), recoverAttester(z, z, new byte[65]), attest(z, z, a, new byte[65]),
                attestedModel(z, a));
    }

    public static List<Event> allEvents() {
        return List.of(ANCHORED, BATCH_ANCHORED, ATTESTED);
    }

    /** {@code name(type,...)} of a function as the ABI spells it. */
    public static String signature(Function f) {
        List<String> types = new ArrayList<>();
        for (Type<?> t : f.getInputParameters()) {
            types.add(t.getTypeAsString());
        }
        return f.getName() + "(" + String.join(",", types) + ")";
    }

    /** ABI-encoded call data, {@code 0x}-prefixed. */
    public static String encode(Function f) {
        return FunctionEncoder.encode(f);
    }

    /** Decodes a call's return data with the function's declared outputs. */
    @SuppressWarnings("rawtypes")
    public static List<Type> decode(Function f, String returnData) {
        return FunctionReturnDecoder.decode(returnData, f.getOutputParameters());
    }

    /** Topic 0 of an event. */
    public static String topic(Event e) {
        return EventEncoder.encode(e);
    }

    /**
     * Human-readable form of revert data: a custom error of the contract with its arguments,
     * {@code Error(string)}, or the raw hex if neither.
     */
    public static String describeRevert(String data) {
        data = unquote(data);
        if (data == null || data.length() < 10) {
            return data == null || data.equals("0x") ? "no revert data" : "revert data " + data;
        }
        String selector = data.substring(0, 10).toLowerCase();
        String body = "0x" + data.substring(10);
        if (selector.equals("0x08c379a0")) {
            List<Type> decoded = FunctionReturnDecoder.decode(body,
                    refs(new TypeReference<org.web3j.abi.datatypes.Utf8String>() {}));
            return decoded.isEmpty() ? "Error(?)" : "Error(\"" + decoded.get(0).getValue() + "\")";
        }
        for (Map<String, List<TypeReference<Type>>> errors : List.of(ERRORS, ModelRegistryAbi.ERRORS)) {
            for (Map.Entry<String, List<TypeReference<Type>>> e : errors.entrySet()) {
                if (selectorOf(e.getKey()).equals(selector)) {
                    List<Type> args = FunctionReturnDecoder.decode(body, e.getValue());
                    List<String> shown = new ArrayList<>();
                    for (Type<?> t : args) {
                        Object v = t.getValue();
                        shown.add(v instanceof byte[] b ? "0x" + Hex.encode(b)
                                : v instanceof String s && t instanceof org.web3j.abi.datatypes.Utf8String ? quoted(s) : String.valueOf(v));
                    }
                    return e.getKey().substring(0, e.getKey().indexOf('(')) + "(" + String.join(", ", shown) + ")";
                }
            }
        }
        return "revert data " + data;
    }

    /** A string argument of revert data (which the node hands over) quoted, anything but printable ASCII escaped. */
    static String quoted(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return b.append(s.length() > 200 ? "...\"" : "\"").toString();
    }

    /** web3j hands error data over as raw JSON text; a string arrives with its quotes. */
    static String unquote(String data) {
        if (data != null && data.length() >= 2 && data.startsWith("\"") && data.endsWith("\"")) {
            return data.substring(1, data.length() - 1);
        }
        return data;
    }

    static String selectorOf(String signature) {
        return Hash.sha3String(signature).substring(0, 10);
    }

    static Bytes32 b32(Digest d) {
        return new Bytes32(d.toByteArray());
    }

    static DynamicArray<Bytes32> b32Array(List<Digest> ds) {
        List<Bytes32> items = new ArrayList<>(ds.size());
        for (Digest d : ds) {
            items.add(b32(d));
        }
        return new DynamicArray<>(Bytes32.class, items);
    }

    static BigInteger uint(Type<?> t) {
        return (BigInteger) t.getValue();
    }

    @SafeVarargs
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<TypeReference<Type>> refs(TypeReference<? extends Type>... r) {
        List out = List.of(r);
        return (List<TypeReference<Type>>) out;
    }
}
