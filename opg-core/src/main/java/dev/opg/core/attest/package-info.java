/**
 * Signed verification statements: in-toto Statement v1 payloads ({@link VerificationStatement})
 * in DSSE envelopes ({@link DsseEnvelope}, {@link Dsse#pae}), and the checks a reader applies
 * ({@link AttestationChecker}). The signature scheme is plugged in ({@link EnvelopeSigner},
 * {@link SignerRecovery}); opg-chain provides Ethereum secp256k1 keys. See section 6 of
 * {@code docs/transcript-spec.md}.
 */
package dev.opg.core.attest;
