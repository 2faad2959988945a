package dev.opg.verify;

import dev.opg.core.Digest;

/**
 * Checks a signature over a transcript root. opg-chain provides an EIP-712 implementation; this
 * module depends on no signing library, so any scheme can be plugged in.
 *
 * <p>Implementations must fail closed: anything they cannot verify (a malformed signature, an
 * unknown key) is {@link SignatureCheck#rejected}, never an exception the caller might swallow
 * into acceptance. The verifier checks the signature before it reads anything else.
 */
@FunctionalInterface
public interface TranscriptSignatureVerifier {
    /** Whether {@code signature} is a valid signature over {@code root}, and by whom. */
    SignatureCheck verify(Digest root, byte[] signature);

    /**
     * The result of a signature check.
     *
     * @param valid whether the signature verifies
     * @param signer who signed (an address, a key id), empty when not valid
     * @param reason why it was rejected, empty when valid
     */
    record SignatureCheck(boolean valid, String signer, String reason) {
        public SignatureCheck {
            signer = signer == null ? "" : signer;
            reason = reason == null ? "" : reason;
            if (!valid && reason.isEmpty()) {
                throw new IllegalArgumentException("a rejected signature needs a reason");
            }
        }

        /** A signature that verifies, made by {@code signer}. */
        public static SignatureCheck accepted(String signer) {
            return new SignatureCheck(true, signer, "");
        }

        /** A signature that does not verify. */
        public static SignatureCheck rejected(String reason) {
            return new SignatureCheck(false, "", reason);
        }
    }
}
