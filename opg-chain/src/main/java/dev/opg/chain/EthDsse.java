package dev.opg.chain;

import dev.opg.core.attest.EnvelopeSigner;
import dev.opg.core.attest.SignerRecovery;
import java.math.BigInteger;
import java.security.SignatureException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

/**
 * DSSE signatures with Ethereum secp256k1 keys (spec section 6.3), the same on chain
 * ({@code ModelRegistry.recoverDsseSigner}, with {@code ecrecover}) and here:
 *
 * <pre>
 * digest    = keccak256(PAE(UTF8(payloadType), payload))
 * signature = r (32 bytes, big-endian) || s (32 bytes, big-endian) || v (1 byte, 27 or 28)
 *             ECDSA over secp256k1, deterministic k (RFC 6979), 0 &lt; r &lt; n, 0 &lt; s &lt;= n/2
 * keyid     = the signer's address, "0x" + 40 lower-case hex digits
 * </pre>
 *
 * The PAE begins with {@code "DSSEv1 "}, so the signed digest can never be that of an Ethereum
 * transaction (RLP or a type byte below 0x80), an EIP-191 message ({@code 0x19 'E'}) or an EIP-712
 * digest ({@code 0x19 0x01}): a key that signs attestations signs nothing else by accident.
 * Recovery fails closed: any other length, {@code v}, a high {@code s} (the malleable twin of a
 * valid signature) or a zero or out-of-range {@code r} or {@code s} recovers nobody.
 */
public final class EthDsse {
    private EthDsse() {}

    /** The signature length: r, s and v. */
    public static final int SIGNATURE_BYTES = 65;

    /** keccak256 of the PAE: what is signed. */
    public static byte[] digest(byte[] pae) {
        return Hash.sha3(Objects.requireNonNull(pae, "pae"));
    }

    /** Signs {@code pae} with {@code key}: 65 bytes r || s || v, low s, v 27 or 28. */
    public static byte[] sign(byte[] pae, ECKeyPair key) {
        Sign.SignatureData sig = Sign.signMessage(digest(pae), key, false);
        byte[] rsv = new byte[SIGNATURE_BYTES];
        System.arraycopy(sig.getR(), 0, rsv, 0, 32);
        System.arraycopy(sig.getS(), 0, rsv, 32, 32);
        rsv[64] = sig.getV()[0];
        return rsv;
    }

    /** The signer address of {@code signature} over {@code pae}, lower case with {@code 0x}; empty if the signature is not valid. */
    public static Optional<String> recover(byte[] pae, byte[] signature) {
        if (pae == null || signature == null || signature.length != SIGNATURE_BYTES) {
            return Optional.empty();
        }
        byte v = signature[64];
        if (v != 27 && v != 28) {
            return Optional.empty();
        }
        byte[] r = Arrays.copyOfRange(signature, 0, 32);
        byte[] s = Arrays.copyOfRange(signature, 32, 64);
        BigInteger ri = new BigInteger(1, r);
        BigInteger si = new BigInteger(1, s);
        if (ri.signum() == 0 || ri.compareTo(Attestations.CURVE_ORDER) >= 0 || si.signum() == 0
                || si.compareTo(Attestations.HALF_CURVE_ORDER) > 0) {
            return Optional.empty();
        }
        try {
            BigInteger pub = Sign.signedMessageHashToKey(digest(pae), new Sign.SignatureData(v, r, s));
            return Optional.of("0x" + Keys.getAddress(pub));
        } catch (SignatureException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** An {@link EnvelopeSigner} for {@code key}; its key id is the key's address. */
    public static EnvelopeSigner signer(ECKeyPair key) {
        Objects.requireNonNull(key, "key");
        String address = "0x" + Keys.getAddress(key);
        return new EnvelopeSigner() {
            @Override
            public String keyId() {
                return address;
            }

            @Override
            public byte[] sign(byte[] pae) {
                return EthDsse.sign(pae, key);
            }
        };
    }

    /** The {@link SignerRecovery} of this scheme: addresses, lower case with {@code 0x}. */
    public static SignerRecovery recovery() {
        return EthDsse::recover;
    }
}
