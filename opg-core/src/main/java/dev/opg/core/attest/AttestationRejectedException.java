package dev.opg.core.attest;

import dev.opg.core.OpgException;

/**
 * An attestation that was read and checked and is not acceptable: a signature that does not
 * verify, a signer other than the required one, a payload that is not an opg verification
 * statement, or a statement about something other than what the reader asked. The message says
 * which check failed.
 */
public class AttestationRejectedException extends OpgException {
    private static final long serialVersionUID = 1L;

    public AttestationRejectedException(String message) {
        super(message);
    }

    public AttestationRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
