package dev.opg.verify;

import dev.opg.core.MalformedInputException;
import dev.opg.core.attest.Dsse;
import dev.opg.core.attest.DsseEnvelope;
import dev.opg.core.attest.EnvelopeSigner;
import dev.opg.core.attest.VerificationStatement;
import dev.opg.core.transcript.Transcript;
import java.util.Objects;

/**
 * Turns a VALID verification into a signed attestation: an in-toto
 * {@link VerificationStatement} about the transcript in a DSSE envelope signed by the verifier
 * (spec section 6). Fails closed: only a report that is VALID ({@link VerificationReport#requireValid()})
 * and about this very transcript (same root) yields an envelope; anything else throws before
 * anything is signed.
 */
public final class Attester {
    private Attester() {}

    /**
     * Signs a statement that {@code transcript} was verified VALID.
     *
     * @param report the verification of {@code transcript}
     * @param verificationMode {@link VerificationStatement#RE_EXECUTION} (every step re-run) or
     *     {@link VerificationStatement#SPOT_CHECK} (steps re-run alone from the witness)
     * @param signer the verifier's key
     * @throws VerificationFailedException if the report is INVALID or INCONCLUSIVE: no attestation
     * @throws MalformedInputException if the report is about another transcript
     */
    public static DsseEnvelope attest(Transcript transcript, VerificationReport report, String verificationMode,
            EnvelopeSigner signer) {
        Objects.requireNonNull(transcript, "transcript");
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(report, "report").requireValid();
        if (!transcript.root().equals(report.root())) {
            throw new MalformedInputException("the verification report is about transcript "
                    + (report.root() == null ? "(none)" : report.root().hex()) + ", not " + transcript.root().hex()
                    + "; verify this transcript and attest with its own report");
        }
        String comparison = report.kind() == CheckKind.BITWISE ? VerificationStatement.BITWISE : VerificationStatement.TOLERANT;
        VerificationStatement statement = VerificationStatement.of(transcript, verificationMode, comparison, report.stepsChecked());
        return DsseEnvelope.sign(Dsse.INTOTO_PAYLOAD_TYPE, statement.toJson(), signer);
    }
}
