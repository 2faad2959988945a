package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.Digest;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * attest and check-attestation on a real model: a VALID transcript yields an envelope that checks
 * (off chain, and with ecrecover in the registry contract on a real anvil); an INVALID transcript
 * yields none; a changed byte of the payload, of the signature or of the signer is refused, each
 * beside the honest envelope that still checks.
 */
@Timeout(300)
class AttestationCliTest {
    @TempDir
    static Path tmp;
    static AnvilNode node;
    static Path key;
    static final String VERIFIER = Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(2)).getAddress();
    static final String OTHER = Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(3)).getAddress();
    static Path mlp;
    static Path x;
    static Path t;
    static Path envelope;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        key = tmp.resolve("verifier-key.txt");
        Files.writeString(key, AnvilNode.DEV_PRIVATE_KEYS.get(2) + "\n");
        mlp = TestFixtures.saveModel(tmp.resolve("mlp"), "mlp", 7);
        x = TestFixtures.saveInput(tmp.resolve("x.npz"), "mlp", 8);
        t = tmp.resolve("t.json");
        Cli.Result p = Cli.run("prove", "--model", mlp.toString(), "--input", x.toString(), "--out", t.toString());
        assertEquals(0, p.code(), p.toString());
        Cli.Result a = Cli.run("attest", t.toString(), "--model", mlp.toString(), "--input", x.toString(), "--key-file", key.toString());
        assertEquals(0, a.code(), a.toString());
        assertTrue(a.out().startsWith("VALID ") && a.out().contains("signed by " + VERIFIER), a.toString());
        envelope = tmp.resolve("t.json.intoto.json");
        assertTrue(Files.isRegularFile(envelope), a.toString());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void theEnvelopeChecksAndSaysWhatWasVerified() throws Exception {
        Transcript tr = TranscriptCodec.read(t);
        Cli.Result c = Cli.run("check-attestation", envelope.toString(), "--signer", VERIFIER, "--transcript", t.toString(),
                "--model-id", tr.header().modelId().hex());
        assertEquals(0, c.code(), c.toString());
        assertTrue(c.out().startsWith("VALID attestation by " + VERIFIER + ": transcript " + tr.root().hex() + " of model "
                + tr.header().modelId().hex() + " verified VALID (re-execution, bitwise, " + tr.steps().size() + " of "
                + tr.steps().size() + " steps"), c.toString());
        assertTrue(c.out().contains("subject output/0 opgTensorSha256:" + tr.header().outputs().get(0).hex()), c.toString());
        assertFalse(c.out().contains("no --signer"), c.toString());

        Cli.Result unpinned = Cli.run("check-attestation", envelope.toString());
        assertEquals(0, unpinned.code(), unpinned.toString());
        assertTrue(unpinned.out().contains("note: no --signer was required"), unpinned.toString());

        // The envelope is standard DSSE: payload type, base64 payload, keyid = the signer's address.
        ObjectNode env = (ObjectNode) JSON.readTree(envelope.toFile());
        assertEquals("application/vnd.in-toto+json", env.get("payloadType").asText());
        assertEquals(VERIFIER, env.get("signatures").get(0).get("keyid").asText());
        String statement = new String(Base64.getDecoder().decode(env.get("payload").asText()), StandardCharsets.UTF_8);
        assertTrue(statement.startsWith("{\"_type\":\"https://in-toto.io/Statement/v1\""), statement);
    }

    @Test
    void aChangedByteOfPayloadSignatureOrSignerIsRefused() throws Exception {
        ObjectNode honest = (ObjectNode) JSON.readTree(envelope.toFile());
        Transcript tr = TranscriptCodec.read(t);

        // Payload: one hex digit of the transcript root.
        String statement = new String(Base64.getDecoder().decode(honest.get("payload").asText()), StandardCharsets.UTF_8);
        String root = tr.root().hex();
        String changedRoot = (root.charAt(0) == '0' ? "1" : "0") + root.substring(1);
        ObjectNode p = honest.deepCopy();
        p.put("payload", Base64.getEncoder().encodeToString(statement.replace(root, changedRoot).getBytes(StandardCharsets.UTF_8)));
        refused(p, "was made by");

        // Signature: one bit of r.
        byte[] sig = Base64.getDecoder().decode(honest.get("signatures").get(0).get("sig").asText());
        sig[5] ^= 0x01;
        ObjectNode s = honest.deepCopy();
        ((ObjectNode) s.get("signatures").get(0)).put("sig", Base64.getEncoder().encodeToString(sig));
        refused(s, "");

        // Signer: the keyid names another account ...
        ObjectNode k = honest.deepCopy();
        ((ObjectNode) k.get("signatures").get(0)).put("keyid", OTHER);
        refused(k, "names signer " + OTHER);
        // ... or another signer is required.
        Cli.Result wrongSigner = Cli.run("check-attestation", envelope.toString(), "--signer", OTHER);
        assertEquals(1, wrongSigner.code(), wrongSigner.toString());
        assertTrue(wrongSigner.out().contains("not signed by the required signer " + OTHER), wrongSigner.toString());

        // About another transcript or model: refused.
        Path t2 = tmp.resolve("t2.json");
        Path x2 = TestFixtures.saveInput(tmp.resolve("x2.npz"), "mlp", 9);
        assertEquals(0, Cli.run("prove", "--model", mlp.toString(), "--input", x2.toString(), "--out", t2.toString()).code());
        Cli.Result otherT = Cli.run("check-attestation", envelope.toString(), "--signer", VERIFIER, "--transcript", t2.toString());
        assertEquals(1, otherT.code(), otherT.toString());
        assertTrue(otherT.out().contains("is not about") && otherT.out().contains("transcriptRoot"), otherT.toString());
        Cli.Result otherModel = Cli.run("check-attestation", envelope.toString(), "--signer", VERIFIER, "--model-id", "ab".repeat(32));
        assertEquals(1, otherModel.code(), otherModel.toString());

        // Not an envelope at all: bad input, not a verdict.
        Path junk = tmp.resolve("junk.json");
        Files.writeString(junk, "{\"payload\":");
        assertEquals(2, Cli.run("check-attestation", junk.toString()).code());

        // The honest control, after all that.
        assertEquals(0, Cli.run("check-attestation", envelope.toString(), "--signer", VERIFIER).code());
    }

    private static void refused(ObjectNode env, String why) throws Exception {
        Path f = Files.createTempFile(tmp, "changed", ".json");
        Files.write(f, JSON.writeValueAsBytes(env));
        Cli.Result r = Cli.run("check-attestation", f.toString(), "--signer", VERIFIER);
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().startsWith("INVALID attestation: ") && r.out().contains(why), r.toString());
        Cli.Result unpinned = Cli.run("check-attestation", f.toString());
        assertEquals(1, unpinned.code(), unpinned.toString());
    }

    @Test
    void anInvalidTranscriptYieldsNoAttestation() throws Exception {
        // A forger's transcript: step 0 claims another output (fed on to step 1), root recomputed, so the file is well formed.
        Transcript honest = TranscriptCodec.read(t);
        List<Step> steps = new ArrayList<>(honest.steps());
        Digest real = steps.get(0).outputs().get(0);
        Digest fake = dev.opg.core.tensor.TensorDigest.ofFloat32(new float[64], 1, 64);
        steps.set(0, Step.full(0, steps.get(0).name(), steps.get(0).inputs(), List.of(fake)));
        Step s1 = steps.get(1);
        steps.set(1, Step.full(1, s1.name(), s1.inputs().stream().map(d -> d.equals(real) ? fake : d).toList(), s1.outputs()));
        Path forged = tmp.resolve("forged.json");
        TranscriptCodec.write(new Transcript(honest.header(), steps, honest.profile()), forged);
        Path out = tmp.resolve("forged.att.json");
        Cli.Result a = Cli.run("attest", forged.toString(), "--model", mlp.toString(), "--input", x.toString(), "--key-file",
                key.toString(), "--out", out.toString());
        assertEquals(1, a.code(), a.toString());
        assertTrue(a.out().startsWith("INVALID ") && a.out().contains("no attestation written"), a.toString());
        assertFalse(Files.exists(out), "no attestation for an INVALID transcript");

        // A file whose root field was edited: INVALID too, nothing written.
        Path edited = tmp.resolve("edited.json");
        String json = Files.readString(t);
        String root = honest.root().hex();
        Files.writeString(edited, json.replace(root, (root.charAt(0) == 'f' ? "e" : "f") + root.substring(1)));
        Path out2 = tmp.resolve("edited.att.json");
        Cli.Result a2 = Cli.run("attest", edited.toString(), "--model", mlp.toString(), "--input", x.toString(), "--key-file",
                key.toString(), "--out", out2.toString());
        assertEquals(1, a2.code(), a2.toString());
        assertFalse(Files.exists(out2));

        // The wrong input for an honest transcript: INVALID, nothing written.
        Path x3 = TestFixtures.saveInput(tmp.resolve("x3.npz"), "mlp", 10);
        Path out3 = tmp.resolve("wrong-input.att.json");
        Cli.Result a3 = Cli.run("attest", t.toString(), "--model", mlp.toString(), "--input", x3.toString(), "--key-file",
                key.toString(), "--out", out3.toString());
        assertEquals(1, a3.code(), a3.toString());
        assertFalse(Files.exists(out3));

        // A bad key is bad usage, before anything runs.
        Path badKey = tmp.resolve("bad-key.txt");
        Files.writeString(badKey, "not a key");
        Cli.Result a4 = Cli.run("attest", t.toString(), "--model", mlp.toString(), "--input", x.toString(), "--key-file",
                badKey.toString(), "--out", tmp.resolve("never.json").toString());
        assertEquals(2, a4.code(), a4.toString());
        assertFalse(Files.exists(tmp.resolve("never.json")));
    }

    @Test
    void theRegistryContractRecoversTheSameSignerWithEcrecover() throws Exception {
        node = AnvilNode.start();
        Cli.Result d = Cli.run("deploy-registry", "--rpc", node.rpcUrl(), "--key-file", key.toString());
        assertEquals(0, d.code(), d.toString());
        String registry = d.out().strip();
        Cli.Result c = Cli.run("check-attestation", envelope.toString(), "--signer", VERIFIER, "--rpc", node.rpcUrl(), "--registry", registry);
        assertEquals(0, c.code(), c.toString());
        assertTrue(c.out().contains("recovers the same signer with ecrecover"), c.toString());
        assertTrue(c.out().contains("is not registered there"), c.toString());
        Cli.Result reg = Cli.run("register", "--model", mlp.toString(), "--name", "attested-mlp", "--version", "1", "--uri",
                "https://models.example.org/attested-mlp-1.tar", "--rpc", node.rpcUrl(), "--registry", registry, "--key-file", key.toString());
        assertEquals(0, reg.code(), reg.toString());
        Cli.Result c2 = Cli.run("check-attestation", envelope.toString(), "--signer", VERIFIER, "--rpc", node.rpcUrl(), "--registry", registry);
        assertEquals(0, c2.code(), c2.toString());
        assertTrue(c2.out().contains("is registered there as attested-mlp@1 by " + VERIFIER), c2.toString());
    }
}
