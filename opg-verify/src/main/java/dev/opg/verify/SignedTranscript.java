package dev.opg.verify;

import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.Transcript;

/**
 * A transcript with a signature over its root. Immutable (the signature bytes are copied).
 *
 * @param transcript the transcript
 * @param signature the signature bytes, in whatever scheme the {@link TranscriptSignatureVerifier} speaks
 */
public record SignedTranscript(Transcript transcript, byte[] signature) {
    public SignedTranscript {
        if (transcript == null || signature == null) {
            throw new MalformedInputException("a signed transcript needs a transcript and a signature");
        }
        signature = signature.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /**
     * Checks the signature over the transcript's root.
     *
     * @return empty if it verifies, otherwise the finding
     */
    public java.util.Optional<SignatureRejected> check(TranscriptSignatureVerifier verifier) {
        TranscriptSignatureVerifier.SignatureCheck c;
        try {
            c = verifier.verify(transcript.root(), signature);
        } catch (RuntimeException e) {
            // Fail closed: a verifier that throws has not accepted anything.
            return java.util.Optional.of(new SignatureRejected("signature verifier failed: " + e.getMessage()));
        }
        if (c == null || !c.valid()) {
            return java.util.Optional.of(new SignatureRejected(c == null ? "signature verifier returned nothing" : c.reason()));
        }
        return java.util.Optional.empty();
    }
}
