package dev.opg.verify;

import dev.opg.core.Digest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Labelled digests for tests. */
final class TensorDigestUtil {
    private TensorDigestUtil() {}

    static Digest label(String s) {
        try {
            return Digest.of(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
