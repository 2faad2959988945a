package dev.opg.core.attest;

import java.util.Arrays;
import java.util.Objects;

/**
 * One signature of a DSSE envelope.
 *
 * @param keyid who claims to have signed (an unauthenticated hint; empty if absent). opg writes the
 *     signer's {@code 0x} address and refuses an envelope whose signature was made by another key
 * @param sig the signature bytes (a copy is kept and handed out)
 */
public record DsseSignature(String keyid, byte[] sig) {
    public DsseSignature {
        keyid = keyid == null ? "" : keyid;
        sig = Objects.requireNonNull(sig, "sig").clone();
    }

    @Override
    public byte[] sig() {
        return sig.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DsseSignature s && keyid.equals(s.keyid) && Arrays.equals(sig, s.sig);
    }

    @Override
    public int hashCode() {
        return 31 * keyid.hashCode() + Arrays.hashCode(sig);
    }

    @Override
    public String toString() {
        return "DsseSignature[keyid=" + keyid + ", " + sig.length + " bytes]";
    }
}
