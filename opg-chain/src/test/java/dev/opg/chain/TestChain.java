package dev.opg.chain;

import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.web3j.crypto.Credentials;

/** Shared test helpers: dev keys, fast configs, deterministic roots. */
final class TestChain {
    private TestChain() {}

    static final Credentials DEV0 = Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(0));
    static final Credentials DEV1 = Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(1));

    /** Quick polls; retries that ride out an anvil restart (about 10 s in all). */
    static ChainConfig config(AnvilNode node) {
        return ChainConfig.of(node.rpcUrl())
                .withRetry(new RetryPolicy(12, Duration.ofMillis(50), Duration.ofSeconds(1)))
                .withReceiptTimeout(Duration.ofSeconds(30))
                .withRpcTimeout(Duration.ofSeconds(5));
    }

    static Path repoRoot() {
        String root = System.getProperty("opg.repo.root");
        return root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
    }

    /** A deterministic stand-in for a transcript root. */
    static Digest root(String label) {
        try {
            return Digest.of(MessageDigest.getInstance("SHA-256").digest(label.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static List<Digest> roots(String prefix, int n) {
        List<Digest> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(root(prefix + "/" + i));
        }
        return out;
    }

    static Digest flip(Digest d, int byteIndex) {
        byte[] b = d.toByteArray();
        b[byteIndex] ^= 0x01;
        return Digest.of(b);
    }
}
