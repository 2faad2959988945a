package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.transcript.TranscriptCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * deploy-registry, model add, register, models, revoke and verify --model-id against a real anvil on
 * loopback and a real model store, with a second funded account attacking the honest publisher's
 * name and a store whose artifact is altered.
 */
@Timeout(300)
class RegistryCliTest {
    @TempDir
    static Path tmp;
    static AnvilNode node;
    static Path key;
    static Path attackerKey;
    static final String HONEST = Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(1)).getAddress();
    static final String ATTACKER = Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(3)).getAddress();
    static String registry;
    static Path mlp;
    static Path other;
    static Path x;
    static Path t;
    static String modelId;
    static String otherId;

    @BeforeAll
    static void start() throws Exception {
        node = AnvilNode.start();
        key = tmp.resolve("key.txt");
        Files.writeString(key, AnvilNode.DEV_PRIVATE_KEYS.get(1) + "\n");
        attackerKey = tmp.resolve("attacker-key.txt");
        Files.writeString(attackerKey, AnvilNode.DEV_PRIVATE_KEYS.get(3) + "\n");
        Cli.Result d = Cli.run("deploy-registry", "--rpc", node.rpcUrl(), "--key-file", key.toString());
        assertEquals(0, d.code(), d.toString());
        registry = d.out().strip();
        assertTrue(registry.matches("0x[0-9a-f]{40}"), d.toString());
        mlp = TestFixtures.saveModel(tmp.resolve("mlp"), "mlp", 3);
        other = TestFixtures.saveModel(tmp.resolve("mlp-other"), "mlp", 4);
        x = TestFixtures.saveInput(tmp.resolve("x.npz"), "mlp", 5);
        t = tmp.resolve("t.json");
        Cli.Result p = Cli.run("prove", "--model", mlp.toString(), "--input", x.toString(), "--out", t.toString());
        assertEquals(0, p.code(), p.toString());
        modelId = TranscriptCodec.read(t).header().modelId().hex();
        Cli.Result add = Cli.run("model", "add", other.toString(), "--store", tmp.resolve("scratch-store").toString());
        assertEquals(0, add.code(), add.toString());
        otherId = add.out().strip().split("\\s+")[0];
        assertFalse(otherId.equals(modelId));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    static String[] chain(String... args) {
        return Stream.concat(Stream.of(args), Stream.of("--rpc", node.rpcUrl(), "--registry", registry)).toArray(String[]::new);
    }

    @Test
    void registersListsResolvesAndVerifiesById() throws Exception {
        Path store = tmp.resolve("store-a");
        Cli.Result add = Cli.run("model", "add", mlp.toString(), "--store", store.toString());
        assertEquals(0, add.code(), add.toString());
        String[] fields = add.out().strip().split("\\s+");
        assertEquals(modelId, fields[0], "model add computes the id the transcript names");
        assertTrue(fields[1].startsWith("dirHash:"), add.toString());
        assertEquals("djl-block", fields[2]);

        Cli.Result reg = Cli.run(chain("register", "--model", mlp.toString(), "--name", "mnist-mlp", "--version", "1.0",
                "--uri", "https://models.example.org/mnist-mlp-1.0.tar", "--key-file", key.toString()));
        assertEquals(0, reg.code(), reg.toString());
        assertTrue(reg.out().contains(HONEST + "  mnist-mlp@1.0  #0  model " + modelId + "  artifact " + fields[1].substring(8)), reg.toString());
        Cli.Result again = Cli.run(chain("register", "--model", mlp.toString(), "--name", "mnist-mlp", "--version", "1.0",
                "--uri", "https://models.example.org/mnist-mlp-1.0.tar", "--key-file", key.toString()));
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.err().contains("nothing sent"), again.toString());

        Cli.Result list = Cli.run(chain("models", "--name", "mnist-mlp"));
        assertEquals(0, list.code(), list.toString());
        assertTrue(list.out().contains(HONEST + "  mnist-mlp@1.0  #0  model " + modelId), list.toString());
        Cli.Result byId = Cli.run(chain("models", "--model-id", modelId));
        assertEquals(0, byId.code(), byId.toString());
        Cli.Result none = Cli.run(chain("models", "--name", "no-such-model"));
        assertEquals(0, none.code(), none.toString());
        assertTrue(none.out().contains("no registered model version matches"), none.toString());

        Cli.Result v = Cli.run(chain("verify", t.toString(), "--model-id", modelId, "--input", x.toString(), "--publisher", HONEST,
                "--store", store.toString()));
        assertEquals(0, v.code(), v.toString());
        assertTrue(v.out().startsWith("VALID "), v.toString());
        assertTrue(v.err().contains("registered as mnist-mlp@1.0 by " + HONEST), v.toString());

        Cli.Result storeOnly = Cli.run("verify", t.toString(), "--model-id", modelId, "--input", x.toString(), "--store", store.toString());
        assertEquals(0, storeOnly.code(), storeOnly.toString());
        assertTrue(storeOnly.err().contains("from the store alone"), storeOnly.toString());

        Cli.Result both = Cli.run("verify", t.toString(), "--model-id", modelId, "--model", mlp.toString(), "--input", x.toString());
        assertEquals(2, both.code(), both.toString());
        Cli.Result neither = Cli.run("verify", t.toString(), "--input", x.toString());
        assertEquals(2, neither.code(), neither.toString());
        assertTrue(neither.err().contains("--model PATH, or --model-id ID"), neither.toString());
    }

    @Test
    void aTamperedArtifactInTheStoreIsRefusedBeforeAnythingRuns() throws Exception {
        Path store = tmp.resolve("store-b");
        Cli.Result add = Cli.run("model", "add", mlp.toString(), "--store", store.toString());
        assertEquals(0, add.code(), add.toString());
        Path stored = Path.of(add.out().strip().split("\\s+")[3]);
        Path params;
        try (Stream<Path> s = Files.list(stored)) {
            params = s.filter(p -> p.toString().endsWith(".params")).findFirst().orElseThrow();
        }
        Cli.Result ok = Cli.run("model", "check", modelId, "--store", store.toString());
        assertEquals(0, ok.code(), ok.toString());
        params.toFile().setWritable(true);
        byte[] b = Files.readAllBytes(params);
        b[b.length - 5] ^= 0x01; // one bit of one weight
        Files.write(params, b);

        Cli.Result check = Cli.run("model", "check", modelId, "--store", store.toString());
        assertEquals(1, check.code(), check.toString());
        assertTrue(check.out().startsWith("ALTERED"), check.toString());
        Cli.Result v = Cli.run("verify", t.toString(), "--model-id", modelId, "--input", x.toString(), "--store", store.toString());
        assertEquals(2, v.code(), v.toString());
        assertTrue(v.err().contains("altered after it was added"), v.toString());
        assertFalse(v.out().contains("VALID"), v.toString());

        // Adding it again from the source repairs the store; the honest control verifies.
        assertEquals(0, Cli.run("model", "add", mlp.toString(), "--store", store.toString()).code());
        Cli.Result again = Cli.run("verify", t.toString(), "--model-id", modelId, "--input", x.toString(), "--store", store.toString());
        assertEquals(0, again.code(), again.toString());
    }

    @Test
    void aSecondAccountCannotAddToRevokeOrAlterTheHonestName() throws Exception {
        assertEquals(0, Cli.run(chain("register", "--model", mlp.toString(), "--name", "digits", "--version", "1",
                "--uri", "https://models.example.org/digits-1.tar", "--key-file", key.toString())).code());
        // The attacker "adds version 2" and "re-registers version 1" with another model: both are its own entries.
        Cli.Result a2 = Cli.run(chain("register", "--model", other.toString(), "--name", "digits", "--version", "2",
                "--uri", "https://evil.example.org/digits-2.tar", "--key-file", attackerKey.toString()));
        assertEquals(0, a2.code(), a2.toString());
        assertTrue(a2.out().startsWith(ATTACKER + "  digits@2  #0"), a2.toString());
        // Revoking the honest version 1 is refused: the attacker has no version 1 of its own yet.
        Cli.Result revokeHonest = Cli.run(chain("revoke", "--name", "digits", "--version", "1", "--key-file", attackerKey.toString()));
        assertEquals(2, revokeHonest.code(), revokeHonest.toString());
        assertTrue(revokeHonest.err().contains("only the publisher of a version can revoke it"), revokeHonest.toString());
        Cli.Result a1 = Cli.run(chain("register", "--model", other.toString(), "--name", "digits", "--version", "1",
                "--uri", "https://evil.example.org/digits-1.tar", "--key-file", attackerKey.toString()));
        assertEquals(0, a1.code(), a1.toString());
        Cli.Result revoke = Cli.run(chain("revoke", "--name", "digits", "--version", "1", "--key-file", attackerKey.toString()));
        assertEquals(0, revoke.code(), revoke.toString());
        assertTrue(revoke.out().startsWith(ATTACKER) && revoke.out().contains("REVOKED"), revoke.toString());

        Cli.Result honest = Cli.run(chain("models", "--publisher", HONEST, "--name", "digits"));
        assertEquals(0, honest.code(), honest.toString());
        assertEquals(1, honest.out().strip().lines().count(), honest.toString());
        assertTrue(honest.out().contains(HONEST + "  digits@1  #0  model " + modelId), honest.toString());
        assertFalse(honest.out().contains("REVOKED"), honest.toString());
        Cli.Result all = Cli.run(chain("models", "--name", "digits"));
        assertEquals(3, all.out().strip().lines().count(), all.toString());

        // The honest publisher cannot alter its own entry either.
        Cli.Result alter = Cli.run(chain("register", "--model", other.toString(), "--name", "digits", "--version", "1",
                "--uri", "https://models.example.org/digits-1.tar", "--key-file", key.toString()));
        assertEquals(2, alter.code(), alter.toString());
        assertTrue(alter.err().contains("cannot be altered"), alter.toString());

        // Resolving the honest id with the attacker as required publisher: not registered by it.
        Path store = tmp.resolve("store-c");
        assertEquals(0, Cli.run("model", "add", mlp.toString(), "--store", store.toString()).code());
        Cli.Result v = Cli.run(chain("verify", t.toString(), "--model-id", modelId, "--input", x.toString(), "--publisher", ATTACKER,
                "--store", store.toString()));
        assertEquals(2, v.code(), v.toString());
        assertTrue(v.err().contains("not registered by " + ATTACKER), v.toString());
        Cli.Result ok = Cli.run(chain("verify", t.toString(), "--model-id", modelId, "--input", x.toString(), "--publisher", HONEST,
                "--store", store.toString()));
        assertEquals(0, ok.code(), ok.toString());
    }

    @Test
    void aRevokedModelAndATranscriptOfAnotherModelAreRefused() throws Exception {
        Path store = tmp.resolve("store-d");
        assertEquals(0, Cli.run("model", "add", other.toString(), "--store", store.toString()).code());
        assertEquals(0, Cli.run(chain("register", "--model", other.toString(), "--name", "withdrawn", "--version", "1",
                "--uri", "https://models.example.org/w-1.tar", "--key-file", key.toString())).code());
        Path tOther = tmp.resolve("t-other.json");
        assertEquals(0, Cli.run("prove", "--model", other.toString(), "--input", x.toString(), "--out", tOther.toString()).code());
        Cli.Result before = Cli.run(chain("verify", tOther.toString(), "--model-id", otherId, "--input", x.toString(), "--store",
                store.toString()));
        assertEquals(0, before.code(), before.toString());
        assertEquals(0, Cli.run(chain("revoke", "--name", "withdrawn", "--version", "1", "--key-file", key.toString())).code());
        Cli.Result after = Cli.run(chain("verify", tOther.toString(), "--model-id", otherId, "--input", x.toString(), "--store",
                store.toString()));
        assertEquals(2, after.code(), after.toString());
        assertTrue(after.err().contains("revoked") && after.err().contains("withdrawn@1"), after.toString());

        Cli.Result mismatch = Cli.run("verify", t.toString(), "--model-id", otherId, "--input", x.toString(), "--store", store.toString());
        assertEquals(2, mismatch.code(), mismatch.toString());
        assertTrue(mismatch.err().contains("is about model " + modelId), mismatch.toString());
        Cli.Result notStored = Cli.run("verify", t.toString(), "--model-id", modelId, "--input", x.toString(), "--store", store.toString());
        assertEquals(2, notStored.code(), notStored.toString());
        assertTrue(notStored.err().contains("opg model add"), notStored.toString());
    }
}
