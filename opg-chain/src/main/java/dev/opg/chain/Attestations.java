package dev.opg.chain;

import dev.opg.core.Digest;
import dev.opg.core.Hex;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SignatureException;
import java.util.Arrays;
import java.util.Optional;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

/**
 * EIP-712 attestations, byte for byte as {@code TranscriptAnchor.sol} computes them.
 *
 * <pre>
 * domain  = EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)
 *           name "opg TranscriptAnchor", version "1"
 * message = Attestation(bytes32 transcriptRoot,bytes32 modelId)
 * digest  = keccak256(0x19 0x01 || domainSeparator || hashStruct(message))
 * </pre>
 *
 * <p>Verification fails closed and always recovers under the domain the <em>verifier</em> expects,
 * never the one the attestation claims: a signature made for another chain id or contract
 * recovers to some other address and is rejected.
 */
public final class Attestations {
    private Attestations() {}

    public static final String DOMAIN_NAME = "opg TranscriptAnchor";
    public static final String DOMAIN_VERSION = "1";
    static final String DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
    static final String ATTESTATION_TYPE = "Attestation(bytes32 transcriptRoot,bytes32 modelId)";
    /** The secp256k1 group order n. */
    static final BigInteger CURVE_ORDER = Sign.CURVE_PARAMS.getN();
    /** n / 2, the largest {@code s} accepted (EIP-2), exactly the contract's {@code HALF_CURVE_ORDER}. */
    static final BigInteger HALF_CURVE_ORDER = CURVE_ORDER.shiftRight(1);

    /** The EIP-712 domain separator for {@code contract} on chain {@code chainId}. */
    public static byte[] domainSeparator(long chainId, String contract) {
        ByteBuffer b = ByteBuffer.allocate(5 * 32);
        b.put(Hash.sha3(DOMAIN_TYPE.getBytes(StandardCharsets.UTF_8)));
        b.put(Hash.sha3(DOMAIN_NAME.getBytes(StandardCharsets.UTF_8)));
        b.put(Hash.sha3(DOMAIN_VERSION.getBytes(StandardCharsets.UTF_8)));
        b.put(Numeric.toBytesPadded(BigInteger.valueOf(chainId), 32));
        b.put(Numeric.toBytesPadded(Numeric.toBigInt(Attestation.address(contract, "contract")), 32));
        return Hash.sha3(b.array());
    }

    /** The digest an executor signs. */
    public static byte[] digest(Digest transcriptRoot, Digest modelId, long chainId, String contract) {
        ByteBuffer s = ByteBuffer.allocate(3 * 32);
        s.put(Hash.sha3(ATTESTATION_TYPE.getBytes(StandardCharsets.UTF_8)));
        s.put(transcriptRoot.toByteArray());
        s.put(modelId.toByteArray());
        ByteBuffer m = ByteBuffer.allocate(2 + 64);
        m.put((byte) 0x19).put((byte) 0x01).put(domainSeparator(chainId, contract)).put(Hash.sha3(s.array()));
        return Hash.sha3(m.array());
    }

    /** Signs (transcriptRoot, modelId) for {@code contract} on {@code chainId} with {@code key}. */
    public static Attestation sign(Digest transcriptRoot, Digest modelId, long chainId, String contract, ECKeyPair key) {
        Sign.SignatureData sig = Sign.signMessage(digest(transcriptRoot, modelId, chainId, contract), key, false);
        byte[] rsv = new byte[65];
        System.arraycopy(sig.getR(), 0, rsv, 0, 32);
        System.arraycopy(sig.getS(), 0, rsv, 32, 32);
        rsv[64] = sig.getV()[0];
        return new Attestation(transcriptRoot, modelId, chainId, contract, "0x" + Keys.getAddress(key),
                "0x" + Hex.encode(rsv));
    }

    /**
     * The address that signed {@code a}'s (root, model id) under the domain of
     * {@code expectedChainId} and {@code expectedContract}, or empty if the signature is invalid.
     * Like the contract's {@code recoverAttester}, only low-s signatures (EIP-2: {@code 0 < s <= n/2})
     * with {@code 0 < r < n} and {@code v} 27 or 28 (or 0 or 1) are accepted: for every signature
     * there is a second one, {@code (r, n - s, v ^ 1)}, that recovers the same key, and accepting
     * both would let anyone turn one attestation into two different byte strings.
     */
    public static Optional<String> recover(Attestation a, long expectedChainId, String expectedContract) {
        byte[] rsv = a.signatureBytes();
        byte v = rsv[64];
        if (v < 27) {
            v += 27;
        }
        if (v != 27 && v != 28) {
            return Optional.empty();
        }
        BigInteger r = new BigInteger(1, Arrays.copyOfRange(rsv, 0, 32));
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(rsv, 32, 64));
        if (r.signum() == 0 || r.compareTo(CURVE_ORDER) >= 0 || s.signum() == 0 || s.compareTo(HALF_CURVE_ORDER) > 0) {
            return Optional.empty();
        }
        Sign.SignatureData sig = new Sign.SignatureData(v, Arrays.copyOfRange(rsv, 0, 32), Arrays.copyOfRange(rsv, 32, 64));
        try {
            var pub = Sign.signedMessageHashToKey(digest(a.transcriptRoot(), a.modelId(), expectedChainId, expectedContract), sig);
            return Optional.of("0x" + Keys.getAddress(pub));
        } catch (SignatureException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * True only if {@code a} claims the expected chain and contract and its signature was made by
     * {@code a.executor()} under that domain.
     */
    public static boolean verify(Attestation a, long expectedChainId, String expectedContract) {
        String contract = Attestation.address(expectedContract, "expectedContract");
        if (a.chainId() != expectedChainId || !a.contract().equals(contract)) {
            return false;
        }
        return recover(a, expectedChainId, contract).map(a.executor()::equals).orElse(false);
    }
}
