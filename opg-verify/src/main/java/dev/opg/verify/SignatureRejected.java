package dev.opg.verify;

import java.util.Objects;

/**
 * The signature presented with a transcript does not verify over its root, or was made by a key
 * the caller did not accept. Checked before anything is executed.
 *
 * @param reason what the signature verifier said
 */
public record SignatureRejected(String reason) implements Finding {
    public SignatureRejected {
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public String location() {
        return "signature";
    }

    @Override
    public String describe() {
        return "signature rejected: " + reason;
    }
}
