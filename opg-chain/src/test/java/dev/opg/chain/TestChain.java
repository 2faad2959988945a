package dev.opg.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.Digest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
    static final Credentials DEV2 = Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(2));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /**
     * A raw JSON-RPC call to {@code node} (for anvil's own methods: evm_snapshot, evm_revert,
     * evm_setAutomine, evm_mine, txpool_content); returns {@code result}, fails on an error.
     */
    static JsonNode rpc(AnvilNode node, String method, Object... params) {
        try {
            String body = JSON.writeValueAsString(java.util.Map.of("jsonrpc", "2.0", "id", 1, "method", method,
                    "params", List.of(params)));
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node.rpcUrl()))
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode json = JSON.readTree(r.body());
            if (json.has("error")) {
                throw new AssertionError(method + " failed: " + json.get("error"));
            }
            return json.get("result");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

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
