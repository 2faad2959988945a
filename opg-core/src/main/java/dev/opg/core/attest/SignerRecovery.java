package dev.opg.core.attest;

import java.util.Optional;

/**
 * Finds who made a signature over a DSSE pre-authentication encoding. Implementations fail
 * closed: a signature they cannot verify answers empty, never an exception that a caller could
 * swallow into acceptance.
 */
@FunctionalInterface
public interface SignerRecovery {
    /** The signer (in the form {@link EnvelopeSigner#keyId()} uses) of {@code signature} over {@code pae}; empty if invalid. */
    Optional<String> signerOf(byte[] pae, byte[] signature);
}
