package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.attest.AttestationChecker;
import dev.opg.core.attest.AttestationRejectedException;
import dev.opg.core.attest.Dsse;
import dev.opg.core.attest.DsseEnvelope;
import dev.opg.core.attest.DsseSignature;
import dev.opg.core.attest.VerificationStatement;
import dev.opg.core.store.ArtifactDigest;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.chain.anvil.AnvilNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;

/**
 * spec/vectors/attestation.json and spec/vectors/registry.json: every value recomputes from its
 * inputs (PAE from type and body; statement, digest, signature and envelope from a well-known key
 * and a transcript of spec/vectors/transcript.json; artifact digests from file contents; call data
 * and topics from entry fields), and every rejection case is refused while its honest envelope is
 * accepted. Run with {@code -Dopg.writeVectors=true} to rewrite both files. The signatures are
 * deterministic (RFC 6979), so the files are reproducible. {@code ModelRegistryContractTest} checks
 * the same vectors against the contract on anvil (its own keccak256 and ecrecover).
 */
class AttestationVectorsTest {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** anvil's first dev key: public knowledge, for vectors only. */
    static final String KEY = AnvilNode.DEV_PRIVATE_KEYS.get(0);
    static final Credentials SIGNER = Credentials.create(KEY);
    static final Credentials OTHER = Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(1));

    @TempDir
    Path tmp;

    static Path file(String name) {
        return TestChain.repoRoot().resolve("spec/vectors/" + name);
    }

    @Test
    void attestationVectorsRecompute() throws Exception {
        if (Boolean.getBoolean("opg.writeVectors")) {
            Files.writeString(file("attestation.json"), JSON.writeValueAsString(attestationVectors()) + "\n");
        }
        JsonNode v = JSON.readTree(file("attestation.json").toFile());
        assertEquals(JSON.writeValueAsString(attestationVectors()), JSON.writeValueAsString(v),
                "spec/vectors/attestation.json does not recompute; rewrite it with -Dopg.writeVectors=true if the spec changed");
        assertTrue(v.get("pae").size() >= 5 && v.get("envelopes").size() >= 2 && v.get("rejections").size() >= 6);
        for (JsonNode e : v.get("envelopes")) {
            DsseEnvelope env = DsseEnvelope.parse(e.get("envelope").asText().getBytes(StandardCharsets.UTF_8));
            AttestationChecker.Checked ok = AttestationChecker.check(env, EthDsse.recovery(), e.get("signer").asText());
            assertEquals(List.of(e.get("signer").asText()), ok.signers());
        }
        for (JsonNode r : v.get("rejections")) {
            DsseEnvelope env = DsseEnvelope.parse(r.get("envelope").asText().getBytes(StandardCharsets.UTF_8));
            AttestationRejectedException ex = assertThrows(AttestationRejectedException.class,
                    () -> AttestationChecker.check(env, EthDsse.recovery(), r.get("requiredSigner").asText()),
                    r.get("description").asText());
            assertTrue(ex.getMessage().contains(r.get("reason").asText()), ex.getMessage());
        }
    }

    @Test
    void registryVectorsRecompute() throws Exception {
        if (Boolean.getBoolean("opg.writeVectors")) {
            Files.writeString(file("registry.json"), JSON.writeValueAsString(registryVectors(tmp.resolve("w"))) + "\n");
        }
        JsonNode v = JSON.readTree(file("registry.json").toFile());
        assertEquals(JSON.writeValueAsString(registryVectors(tmp.resolve("r"))), JSON.writeValueAsString(v),
                "spec/vectors/registry.json does not recompute; rewrite it with -Dopg.writeVectors=true if the spec changed");
    }

    // ------------------------------------------------------------------ attestation.json

    static ObjectNode attestationVectors() throws Exception {
        ObjectNode root = JSON.createObjectNode();
        root.put("description", "opg attestations (spec section 6): DSSE v1 PAE cases (the first from the DSSE specification's "
                + "protocol.md); envelopes of in-toto verification statements about transcripts of spec/vectors/transcript.json, "
                + "signed with a well-known test key (anvil's first dev account: never use it for anything else), signature = "
                + "r || s || v over keccak256(PAE), low s, v 27 or 28, RFC 6979; and envelopes a checker must refuse when the "
                + "signer is required. Written by opg-chain's AttestationVectorsTest.");
        ArrayNode pae = root.putArray("pae");
        paeCase(pae, "DSSE specification test vector (protocol.md)", "http://example.com/HelloWorld",
                "hello world".getBytes(StandardCharsets.UTF_8));
        paeCase(pae, "empty payload type and empty body", "", new byte[0]);
        paeCase(pae, "the in-toto payload type opg uses, body {}", Dsse.INTOTO_PAYLOAD_TYPE, "{}".getBytes(StandardCharsets.UTF_8));
        paeCase(pae, "LEN counts UTF-8 bytes: a 4-byte type with a 2-byte character, a 4-byte emoji body", "t/é",
                "😀".getBytes(StandardCharsets.UTF_8));
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        paeCase(pae, "every byte value 0..255 in the body, spaces and digits included: nothing is escaped", "application/octet-stream",
                all);

        ArrayNode envs = root.putArray("envelopes");
        JsonNode transcripts = JSON.readTree(file("transcript.json").toFile()).get("cases");
        DsseEnvelope first = null;
        for (int caseIndex : new int[] {0, 5}) {
            Transcript t = TranscriptCodec.decode(transcripts.get(caseIndex).get("transcript").asText());
            VerificationStatement s = VerificationStatement.of(t, VerificationStatement.RE_EXECUTION, VerificationStatement.BITWISE,
                    t.steps().size());
            DsseEnvelope env = DsseEnvelope.sign(Dsse.INTOTO_PAYLOAD_TYPE, s.toJson(), EthDsse.signer(SIGNER.getEcKeyPair()));
            first = first == null ? env : first;
            ObjectNode e = envs.addObject();
            e.put("description", "statement that transcript.json case " + caseIndex + " ("
                    + transcripts.get(caseIndex).get("description").asText().split(";")[0] + ") was re-executed and found VALID");
            e.put("transcriptCase", caseIndex);
            e.put("privateKey", KEY.substring(2));
            e.put("signer", SIGNER.getAddress());
            e.put("statement", new String(s.toJson(), StandardCharsets.UTF_8));
            e.put("paeHex", Hex.encode(env.pae()));
            e.put("digest", Hex.encode(Hash.sha3(env.pae())));
            e.put("signature", Hex.encode(env.signatures().get(0).sig()));
            e.put("envelope", new String(env.toJson(), StandardCharsets.UTF_8));
        }

        ArrayNode rej = root.putArray("rejections");
        byte[] payload = first.payload();
        byte[] sig = first.signatures().get(0).sig();
        String signer = SIGNER.getAddress();
        byte[] p1 = payload.clone();
        int at = new String(payload, StandardCharsets.UTF_8).indexOf("\"transcriptRoot\":\"") + 18;
        p1[at] = (byte) (p1[at] == '0' ? '1' : '0');
        reject(rej, "one hex digit of the transcript root in the payload changed", new DsseEnvelope(first.payloadType(), p1,
                first.signatures()), signer, "was made by");
        byte[] s1 = sig.clone();
        s1[40] ^= 0x01;
        reject(rej, "one bit of s in the signature changed", with(first, signer, s1), signer, "was made by");
        reject(rej, "the keyid names another account", with(first, OTHER.getAddress(), sig), signer, "names signer");
        reject(rej, "a valid signature by another account, keyid naming it", DsseEnvelope.sign(first.payloadType(), payload,
                EthDsse.signer(OTHER.getEcKeyPair())), signer, "not signed by the required signer");
        byte[] twin = sig.clone();
        BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(sig, 32, 64));
        byte[] highS = org.web3j.utils.Numeric.toBytesPadded(Attestations.CURVE_ORDER.subtract(s), 32);
        System.arraycopy(highS, 0, twin, 32, 32);
        twin[64] = (byte) (sig[64] == 27 ? 28 : 27);
        reject(rej, "the malleable twin (r, n - s, v flipped) of the valid signature: recovers the same key, refused (high s)",
                with(first, signer, twin), signer, "does not verify");
        byte[] v0 = sig.clone();
        v0[64] = (byte) (sig[64] - 27);
        reject(rej, "v written as 0/1 instead of 27/28", with(first, signer, v0), signer, "does not verify");
        reject(rej, "the payload type changed to application/json (the PAE changes, so the signature no longer matches)",
                new DsseEnvelope("application/json", payload, first.signatures()), signer, "was made by");
        return root;
    }

    private static DsseEnvelope with(DsseEnvelope e, String keyid, byte[] sig) {
        return new DsseEnvelope(e.payloadType(), e.payload(), List.of(new DsseSignature(keyid, sig)));
    }

    private static void paeCase(ArrayNode out, String description, String type, byte[] body) {
        ObjectNode c = out.addObject();
        c.put("description", description);
        c.put("payloadType", type);
        c.put("payloadHex", Hex.encode(body));
        c.put("paeHex", Hex.encode(Dsse.pae(type, body)));
    }

    private static void reject(ArrayNode out, String description, DsseEnvelope e, String required, String reason) {
        ObjectNode c = out.addObject();
        c.put("description", description);
        c.put("requiredSigner", required);
        c.put("reason", reason);
        c.put("envelope", new String(e.toJson(), StandardCharsets.UTF_8));
    }

    @Test
    void theKeyIdIsTheAddressAndTheSignatureIsLowS() throws Exception {
        JsonNode v = JSON.readTree(file("attestation.json").toFile());
        for (JsonNode e : v.get("envelopes")) {
            byte[] sig = Hex.decode(e.get("signature").asText());
            assertEquals(65, sig.length);
            assertTrue(sig[64] == 27 || sig[64] == 28);
            assertTrue(new BigInteger(1, java.util.Arrays.copyOfRange(sig, 32, 64)).compareTo(Attestations.HALF_CURVE_ORDER) <= 0);
            assertArrayEquals(Hash.sha3(Hex.decode(e.get("paeHex").asText())), Hex.decode(e.get("digest").asText()));
            DsseEnvelope env = DsseEnvelope.parse(e.get("envelope").asText().getBytes(StandardCharsets.UTF_8));
            assertEquals(e.get("signer").asText(), env.signatures().get(0).keyid());
            assertEquals(e.get("statement").asText(), new String(env.payload(), StandardCharsets.UTF_8));
            assertEquals(e.get("signer").asText(), EthDsse.recover(env.pae(), sig).orElseThrow());
            assertNotEquals(e.get("signer").asText(), EthDsse.recover(env.pae(), flip(sig, 3)).orElse(""));
        }
    }

    private static byte[] flip(byte[] b, int i) {
        byte[] c = b.clone();
        c[i] ^= 1;
        return c;
    }

    // ------------------------------------------------------------------ registry.json

    static ObjectNode registryVectors(Path dir) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        root.put("description", "opg model registry (spec section 5): artifact digests (a file: SHA-256 of its bytes; a directory: "
                + "in-toto dirHash, SHA-256 over 'hex(SHA-256(file))  name\\n' lines sorted by the UTF-8 bytes of the name) from "
                + "the files given as hex; and ModelRegistry entries with their register call data, the nameHash topic "
                + "(keccak256 of the name) and the ModelRegistered event's topic 0. Written by opg-chain's AttestationVectorsTest.");
        ArrayNode digests = root.putArray("artifactDigests");
        Files.createDirectories(dir);
        Path f = dir.resolve("model.onnx");
        byte[] content = "an artifact is hashed as the bytes on disk\n".getBytes(StandardCharsets.UTF_8);
        Files.write(f, content);
        ObjectNode c = digests.addObject();
        c.put("description", "a single file");
        c.put("layout", "file");
        c.putArray("files").addObject().put("name", "model.onnx").put("hex", Hex.encode(content));
        c.put("digest", ArtifactDigest.of(f).digest().hex());
        Path d = Files.createDirectories(dir.resolve("model-dir"));
        String[][] files = {{"model-0000.params", "00010203"}, {"opg-block.json", Hex.encode("{\"name\":\"mlp\"}".getBytes(StandardCharsets.UTF_8))},
                {"B.txt", Hex.encode("upper case sorts before lower case\n".getBytes(StandardCharsets.UTF_8))},
                {"sub/é.bin", ""}, {".hidden", "ff"}};
        ObjectNode dc = digests.addObject();
        dc.put("description", "a directory: empty file, hidden file, a sub-directory and a non-ASCII name; lines sorted by UTF-8 bytes");
        dc.put("layout", "directory");
        ArrayNode fa = dc.putArray("files");
        for (String[] nf : files) {
            Path p = d.resolve(nf[0]);
            Files.createDirectories(p.getParent());
            Files.write(p, Hex.decode(nf[1]));
            fa.addObject().put("name", nf[0]).put("hex", nf[1]);
        }
        StringBuilder lines = new StringBuilder();
        for (String name : ArtifactDigest.files(d)) {
            lines.append(ArtifactDigest.ofFile(d.resolve(name)).hex()).append("  ").append(name).append('\n');
        }
        dc.put("lines", lines.toString());
        dc.put("digest", ArtifactDigest.of(d).digest().hex());

        ArrayNode entries = root.putArray("entries");
        JsonNode transcripts = JSON.readTree(file("transcript.json").toFile()).get("cases");
        Transcript t = TranscriptCodec.decode(transcripts.get(0).get("transcript").asText());
        entry(entries, "the DJL MLP of transcript.json case 0, a directory artifact", SIGNER.getAddress(), "mlp-4-3-2", "1.0.0",
                t.header().modelId(), ArtifactDigest.of(d).digest(), "https://models.example.org/mlp-4-3-2/1.0.0.tar", "djl-block");
        entry(entries, "a second version of the same name: another file artifact", SIGNER.getAddress(), "mlp-4-3-2", "1.0.1",
                Digest.fromHex("ab".repeat(32)), ArtifactDigest.of(f).digest(), "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", "onnx");
        return root;
    }

    private static void entry(ArrayNode out, String description, String publisher, String name, String version, Digest modelId,
            Digest artifactDigest, String uri, String kind) {
        ObjectNode e = out.addObject();
        e.put("description", description);
        e.put("publisher", publisher);
        e.put("name", name);
        e.put("version", version);
        e.put("modelId", modelId.hex());
        e.put("artifactDigest", artifactDigest.hex());
        e.put("uri", uri);
        e.put("kind", kind);
        e.put("nameHash", Hex.encode(ModelRegistryClient.nameHash(name)));
        e.put("registerCalldata", ModelRegistryAbi.encode(ModelRegistryAbi.register(name, version, modelId, artifactDigest, uri, kind))
                .substring(2));
        e.put("modelRegisteredTopic0", TranscriptAnchorAbi.topic(ModelRegistryAbi.MODEL_REGISTERED).substring(2));
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }
}
