package dev.opg.core.attest;

import dev.opg.core.MalformedInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Checks an opg attestation (section 6.4 of {@code docs/transcript-spec.md}), in the order the
 * DSSE protocol gives: every signature over {@code PAE(payloadType, payload)} first, then the
 * payload type, then the statement.
 *
 * <ol>
 *   <li>Each signature must verify ({@link SignerRecovery}) and, if it names a signer
 *       ({@code keyid}), have been made by that signer: a changed payload, payload type, signature
 *       or keyid is refused.</li>
 *   <li>With a required signer, one signature must be that signer's. Without one, every signature
 *       must name its signer; the answer then says who signed, and it is the reader's business to
 *       trust that signer (anyone can sign anything).</li>
 *   <li>The payload type must be {@value Dsse#INTOTO_PAYLOAD_TYPE} and the payload an opg
 *       {@link VerificationStatement}.</li>
 * </ol>
 */
public final class AttestationChecker {
    private AttestationChecker() {}

    /**
     * A checked attestation.
     *
     * @param statement the statement the signers signed
     * @param signers who signed, one per signature, as {@link SignerRecovery} names them
     * @param signerRequired whether a required signer was checked (false: the signers are only named)
     */
    public record Checked(VerificationStatement statement, List<String> signers, boolean signerRequired) {
        public Checked {
            signers = List.copyOf(signers);
        }
    }

    /**
     * Checks {@code envelope}.
     *
     * @param requiredSigner the signer that must have signed (compared without regard to case), or null
     * @throws AttestationRejectedException naming the first check that failed
     */
    public static Checked check(DsseEnvelope envelope, SignerRecovery recovery, String requiredSigner) {
        byte[] pae = envelope.pae();
        List<String> signers = new ArrayList<>();
        List<DsseSignature> sigs = envelope.signatures();
        for (int i = 0; i < sigs.size(); i++) {
            DsseSignature s = sigs.get(i);
            Optional<String> who;
            try {
                who = recovery.signerOf(pae, s.sig());
            } catch (RuntimeException e) {
                who = Optional.empty();
            }
            if (who.isEmpty()) {
                throw new AttestationRejectedException("signature " + i + " does not verify over the envelope's payload"
                        + " (not a valid signature of the accepted encoding)");
            }
            String signer = who.get();
            if (!s.keyid().isEmpty() && !s.keyid().equalsIgnoreCase(signer)) {
                throw new AttestationRejectedException("signature " + i + " names signer " + StrictJson.abbreviate(s.keyid()) + " but was made by "
                        + signer + ": the payload, the payload type, the signature or the keyid was altered, or another key signed");
            }
            if (requiredSigner == null && s.keyid().isEmpty()) {
                throw new AttestationRejectedException("signature " + i + " names no signer (keyid) and no signer was required:"
                        + " there is nothing to check it against; require the expected signer");
            }
            signers.add(signer.toLowerCase(Locale.ROOT));
        }
        if (requiredSigner != null && signers.stream().noneMatch(requiredSigner::equalsIgnoreCase)) {
            throw new AttestationRejectedException("not signed by the required signer " + requiredSigner.toLowerCase(Locale.ROOT)
                    + "; signed by " + String.join(", ", signers));
        }
        if (!Dsse.INTOTO_PAYLOAD_TYPE.equals(envelope.payloadType())) {
            throw new AttestationRejectedException("payload type is \"" + StrictJson.abbreviate(envelope.payloadType())
                    + "\"; an opg attestation carries " + Dsse.INTOTO_PAYLOAD_TYPE);
        }
        VerificationStatement statement;
        try {
            statement = VerificationStatement.parse(envelope.payload());
        } catch (MalformedInputException e) {
            throw new AttestationRejectedException("the signed payload is not an opg verification statement: " + e.getMessage(), e);
        }
        return new Checked(statement, signers, requiredSigner != null);
    }
}
