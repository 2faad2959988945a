package dev.opg.core.attest;

/**
 * Signs DSSE pre-authentication encodings with one key. opg-chain's {@code EthDsse} signs with an
 * Ethereum secp256k1 key; any other scheme can be plugged in, with a matching {@link SignerRecovery}.
 */
public interface EnvelopeSigner {
    /** The key id written beside the signature: who signed (for opg-chain, the 0x address). */
    String keyId();

    /** The signature over {@code pae} (the bytes {@link Dsse#pae} returns). */
    byte[] sign(byte[] pae);
}
