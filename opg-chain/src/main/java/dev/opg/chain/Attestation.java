package dev.opg.chain;

import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import java.util.Locale;
import java.util.Objects;

/**
 * An executor's EIP-712 signed statement "model {@code modelId} produced transcript
 * {@code transcriptRoot}", bound to one chain ({@code chainId}) and one TranscriptAnchor contract
 * ({@code contract}) by the EIP-712 domain. See {@link Attestations} for the typed data.
 *
 * @param executor the claimed signer, {@code 0x}-prefixed hex address (stored lower case)
 * @param signature 65 bytes {@code r || s || v} as {@code 0x}-prefixed hex, {@code v} 27 or 28
 */
public record Attestation(Digest transcriptRoot, Digest modelId, long chainId, String contract, String executor,
        String signature) {
    public Attestation {
        Objects.requireNonNull(transcriptRoot, "transcriptRoot");
        Objects.requireNonNull(modelId, "modelId");
        contract = address(contract, "contract");
        executor = address(executor, "executor");
        Objects.requireNonNull(signature, "signature");
        signature = signature.toLowerCase(Locale.ROOT);
        if (!signature.startsWith("0x") || signature.length() != 2 + 130) {
            throw new MalformedInputException("an attestation signature is 65 bytes as 0x-prefixed hex (132 chars); got "
                    + signature.length() + " chars");
        }
        Hex.decode(signature.substring(2));
    }

    public byte[] signatureBytes() {
        return Hex.decode(signature.substring(2));
    }

    static String address(String a, String what) {
        Objects.requireNonNull(a, what);
        String s = a.toLowerCase(Locale.ROOT);
        if (!s.startsWith("0x") || s.length() != 42) {
            throw new MalformedInputException(what + " must be a 0x-prefixed 20-byte hex address; got " + a);
        }
        Hex.decode(s.substring(2));
        return s;
    }
}
