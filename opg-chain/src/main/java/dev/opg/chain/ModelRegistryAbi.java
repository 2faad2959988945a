package dev.opg.chain;

import dev.opg.core.Digest;
import java.util.List;
import java.util.Map;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint64;

/**
 * The ModelRegistry calls, events and errors as web3j objects. Hand-written, and checked against
 * the committed ABI ({@link ContractArtifact#modelRegistry()}) by {@code ModelRegistryArtifactTest},
 * so the ABI stays the single source of truth.
 */
public final class ModelRegistryAbi {
    private ModelRegistryAbi() {}

    public static final Event MODEL_REGISTERED = new Event("ModelRegistered", List.of(
            new TypeReference<Address>(true) {}, new TypeReference<Bytes32>(true) {}, new TypeReference<Bytes32>(true) {},
            new TypeReference<Utf8String>() {}, new TypeReference<Utf8String>() {}, new TypeReference<Uint256>() {},
            new TypeReference<Bytes32>() {}, new TypeReference<Utf8String>() {}, new TypeReference<Utf8String>() {}));
    public static final Event VERSION_REVOKED = new Event("VersionRevoked", List.of(
            new TypeReference<Address>(true) {}, new TypeReference<Bytes32>(true) {}, new TypeReference<Bytes32>(true) {},
            new TypeReference<Utf8String>() {}, new TypeReference<Utf8String>() {}, new TypeReference<Uint256>() {}));

    /** Custom errors: signature and the types of its arguments, for decoding revert data. */
    static final Map<String, List<TypeReference<Type>>> ERRORS = Map.of(
            "EmptyField(string)", refs(new TypeReference<Utf8String>() {}),
            "FieldTooLong(string,uint256,uint256)", refs(new TypeReference<Utf8String>() {}, new TypeReference<Uint256>() {},
                    new TypeReference<Uint256>() {}),
            "InvalidCharacter(string,uint256)", refs(new TypeReference<Utf8String>() {}, new TypeReference<Uint256>() {}),
            "ZeroDigest(string)", refs(new TypeReference<Utf8String>() {}),
            "VersionTaken(string,string,uint256)", refs(new TypeReference<Utf8String>() {}, new TypeReference<Utf8String>() {},
                    new TypeReference<Uint256>() {}),
            "UnknownVersion(address,string,string)", refs(new TypeReference<Address>() {}, new TypeReference<Utf8String>() {},
                    new TypeReference<Utf8String>() {}),
            "IndexOutOfRange(uint256,uint256)", refs(new TypeReference<Uint256>() {}, new TypeReference<Uint256>() {}));

    public static Function register(String name, String version, Digest modelId, Digest artifactDigest, String uri, String kind) {
        return new Function("register", List.of(new Utf8String(name), new Utf8String(version), b32(modelId), b32(artifactDigest),
                new Utf8String(uri), new Utf8String(kind)), List.of(new TypeReference<Bool>() {}, new TypeReference<Uint256>() {}));
    }

    public static Function revoke(String name, String version) {
        return new Function("revoke", List.of(new Utf8String(name), new Utf8String(version)), List.of(new TypeReference<Bool>() {}));
    }

    public static Function versionCount(String publisher, String name) {
        return new Function("versionCount", List.of(new Address(publisher), new Utf8String(name)),
                List.of(new TypeReference<Uint256>() {}));
    }

    public static Function versionAt(String publisher, String name, long index) {
        return new Function("versionAt", List.of(new Address(publisher), new Utf8String(name), new Uint256(index)),
                List.of(new TypeReference<Bytes32>() {}, new TypeReference<Bytes32>() {}, new TypeReference<Utf8String>() {},
                        new TypeReference<Utf8String>() {}, new TypeReference<Utf8String>() {}, new TypeReference<Uint64>() {},
                        new TypeReference<Uint64>() {}));
    }

    public static Function versionIndex(String publisher, String name, String version) {
        return new Function("versionIndex", List.of(new Address(publisher), new Utf8String(name), new Utf8String(version)),
                List.of(new TypeReference<Bool>() {}, new TypeReference<Uint256>() {}));
    }

    public static Function registrationCount(Digest modelId) {
        return new Function("registrationCount", List.of(b32(modelId)), List.of(new TypeReference<Uint256>() {}));
    }

    public static Function registrationAt(Digest modelId, long i) {
        return new Function("registrationAt", List.of(b32(modelId), new Uint256(i)),
                List.of(new TypeReference<Address>() {}, new TypeReference<Utf8String>() {}, new TypeReference<Uint256>() {}));
    }

    public static Function dssePae(String payloadType, byte[] payload) {
        return new Function("dssePae", List.of(new Utf8String(payloadType), new DynamicBytes(payload)),
                List.of(new TypeReference<DynamicBytes>() {}));
    }

    public static Function dsseDigest(String payloadType, byte[] payload) {
        return new Function("dsseDigest", List.of(new Utf8String(payloadType), new DynamicBytes(payload)),
                List.of(new TypeReference<Bytes32>() {}));
    }

    public static Function recoverDsseSigner(String payloadType, byte[] payload, byte[] signature) {
        return new Function("recoverDsseSigner", List.of(new Utf8String(payloadType), new DynamicBytes(payload),
                new DynamicBytes(signature)), List.of(new TypeReference<Address>() {}));
    }

    /** Every function above, with placeholder arguments: the set the ABI test checks. */
    public static List<Function> allFunctions() {
        Digest z = Digest.of(new byte[32]);
        String a = "0x0000000000000000000000000000000000000000";
        return List.of(register("n", "v", z, z, "u", "k"), revoke("n", "v"), versionCount(a, "n"), versionAt(a, "n", 0),
                versionIndex(a, "n", "v"), registrationCount(z), registrationAt(z, 0), dssePae("t", new byte[0]),
                dsseDigest("t", new byte[0]), recoverDsseSigner("t", new byte[0], new byte[65]));
    }

    public static List<Event> allEvents() {
        return List.of(MODEL_REGISTERED, VERSION_REVOKED);
    }

    /** ABI-encoded call data, {@code 0x}-prefixed. */
    public static String encode(Function f) {
        return TranscriptAnchorAbi.encode(f);
    }

    /** Decodes a call's return data with the function's declared outputs. */
    @SuppressWarnings("rawtypes")
    public static List<Type> decode(Function f, String returnData) {
        return TranscriptAnchorAbi.decode(f, returnData);
    }

    static Bytes32 b32(Digest d) {
        return new Bytes32(d.toByteArray());
    }

    @SafeVarargs
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<TypeReference<Type>> refs(TypeReference<? extends Type>... r) {
        List out = List.of(r);
        return (List<TypeReference<Type>>) out;
    }
}
