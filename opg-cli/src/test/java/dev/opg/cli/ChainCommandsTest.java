package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.chain.BatchRoots;
import dev.opg.chain.ChainConfig;
import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.Digest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * deploy, anchor (one root and a batch) and check-anchor against a real anvil on loopback, with a
 * second funded account that anchors the honest account's roots and batch root first.
 */
@Timeout(120)
class ChainCommandsTest {
    @TempDir
    static Path tmp;
    static AnvilNode node;
    static Path key;
    static Path attackerKey;
    static final String HONEST = Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(1)).getAddress();
    static final String ATTACKER = Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(3)).getAddress();
    static String contract;
    static Path mlp;
    static Path x;

    @BeforeAll
    static void start() throws Exception {
        node = AnvilNode.start();
        key = tmp.resolve("key.txt");
        Files.writeString(key, AnvilNode.DEV_PRIVATE_KEYS.get(1) + "\n");
        attackerKey = tmp.resolve("attacker-key.txt");
        Files.writeString(attackerKey, AnvilNode.DEV_PRIVATE_KEYS.get(3) + "\n");
        Cli.Result d = Cli.run("deploy", "--rpc", node.rpcUrl(), "--key-file", key.toString());
        assertEquals(0, d.code(), d.toString());
        contract = d.out().strip();
        assertTrue(contract.matches("0x[0-9a-f]{40}"), d.toString());
        mlp = TestFixtures.saveModel(tmp.resolve("mlp"), "mlp", 3);
        x = TestFixtures.saveInput(tmp.resolve("x.npz"), "mlp", 4);
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    static Path prove(String name, long inputSeed) throws Exception {
        Path in = TestFixtures.saveInput(tmp.resolve(name + ".npz"), "mlp", inputSeed);
        Path t = tmp.resolve(name + ".json");
        Cli.Result r = Cli.run("prove", "--model", mlp.toString(), "--input", in.toString(), "--out", t.toString());
        assertEquals(0, r.code(), r.toString());
        return t;
    }

    @Test
    void anchorsOneRootAndChecksIt() throws Exception {
        Path t = prove("single", 10);
        Cli.Result before = Cli.run("check-anchor", t.toString(), "--rpc", node.rpcUrl(), "--contract", contract);
        assertEquals(1, before.code(), before.toString());
        assertTrue(before.out().startsWith("NOT ANCHORED"), before.toString());
        Cli.Result a = Cli.run("anchor", t.toString(), "--rpc", node.rpcUrl(), "--contract", contract, "--key-file", key.toString());
        assertEquals(0, a.code(), a.toString());
        Cli.Result after = Cli.run("check-anchor", t.toString(), "--rpc", node.rpcUrl(), "--contract", contract);
        assertEquals(0, after.code(), after.toString());
        assertTrue(after.out().startsWith("ANCHORED"), after.toString());
    }

    @Test
    void anchorsABatchAndChecksEachRootThroughTheContractsInclusionCheck() throws Exception {
        Path a = prove("batch-a", 20);
        Path b = prove("batch-b", 21);
        Path c = prove("batch-c", 22);
        Cli.Result r = Cli.run("anchor", a.toString(), b.toString(), c.toString(), "--rpc", node.rpcUrl(), "--contract", contract,
                "--key-file", key.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("anchored batch root"), r.toString());
        for (Path t : new Path[] {a, b, c}) {
            Cli.Result k = Cli.run("check-anchor", t.toString(), "--rpc", node.rpcUrl(), "--contract", contract);
            assertEquals(0, k.code(), k.toString());
            assertTrue(k.out().contains("proof checked by the contract"), k.toString());
        }
        // A receipt whose proof was altered is refused by the contract.
        Path receipt = Path.of(b + ".anchor.json");
        String json = Files.readString(receipt);
        int at = json.indexOf("\"path\" : [ \"") + "\"path\" : [ \"".length();
        Files.writeString(receipt, json.substring(0, at) + (json.charAt(at) == '0' ? '1' : '0') + json.substring(at + 1));
        Cli.Result k = Cli.run("check-anchor", b.toString(), "--rpc", node.rpcUrl(), "--contract", contract);
        assertEquals(1, k.code(), k.toString());
        assertTrue(k.out().contains("rejects the receipt's inclusion proof"), k.toString());
    }

    @Test
    void aRootAnchoredOnlyBySomeoneElseIsNotAnchoredForTheExpectedSubmitter() throws Exception {
        Path t = prove("someone-else", 50);
        Cli.Result squat = anchor(attackerKey, t);
        assertEquals(0, squat.code(), squat.toString());
        assertTrue(squat.out().contains("by " + ATTACKER), squat.toString());

        Cli.Result mine = check(t, "--submitter", HONEST);
        assertEquals(1, mine.code(), mine.toString());
        assertTrue(mine.out().startsWith("NOT ANCHORED"), mine.toString());
        assertTrue(mine.out().contains("anchored only by other accounts") && mine.out().contains(ATTACKER), mine.toString());
        Cli.Result any = check(t);
        assertEquals(0, any.code(), any.toString());
        assertTrue(any.out().contains("by " + ATTACKER + " in block"), "says who anchored it: " + any);
        assertEquals(0, check(t, "--submitter", ATTACKER.toUpperCase().replace("0X", "0x")).code());

        // The honest account's anchor is sent: someone else's is never "already anchored".
        Cli.Result a = anchor(key, t);
        assertEquals(0, a.code(), a.toString());
        assertFalse(a.out().contains("already anchored"), a.toString());
        assertTrue(a.out().contains("by " + HONEST) && a.out().contains("gas "), a.toString());
        Cli.Result after = check(t, "--submitter", HONEST);
        assertEquals(0, after.code(), after.toString());
        assertTrue(after.out().contains("by " + HONEST + " in block"), after.toString());
        assertFalse(after.out().contains(ATTACKER), "with --submitter only that account's anchor is reported: " + after);
        // A retry by the honest account sends nothing.
        Cli.Result again = anchor(key, t);
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("already anchored by this account before; nothing sent"), again.toString());
    }

    @Test
    void aBatchRootSquattedWithAWrongCountDoesNotBlockTheHonestBatch() throws Exception {
        Path a = prove("squat-a", 60);
        Path b = prove("squat-b", 61);
        Path c = prove("squat-c", 62);
        List<Digest> roots = new ArrayList<>();
        for (Path p : new Path[] {a, b, c}) {
            roots.add(Transcripts.read(p).root());
        }
        Digest batchRoot = BatchRoots.batchRoot(roots);
        // The attacker anchors the batch root before the honest send: as a batch of 1 and as a single root.
        try (TransactionSender s = TransactionSender.connect(ChainConfig.of(node.rpcUrl()),
                Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(3)))) {
            TranscriptAnchorClient attacker = TranscriptAnchorClient.at(s, contract);
            assertTrue(attacker.anchorBatchRoot(batchRoot, 1).fresh());
            assertTrue(attacker.anchor(batchRoot).fresh());
        }
        Cli.Result r = anchor(key, a, b, c);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("anchored batch root " + batchRoot.hex()), r.toString());
        assertFalse(r.out().contains("already anchored"), r.toString());
        for (Path t : new Path[] {a, b, c}) {
            assertTrue(Files.readString(Path.of(t + ".anchor.json")).contains("\"submitter\" : \"" + HONEST + "\""));
            Cli.Result k = check(t, "--submitter", HONEST);
            assertEquals(0, k.code(), k.toString());
            assertTrue(k.out().contains("proof checked by the contract"), k.toString());
            Cli.Result byAttacker = check(t, "--submitter", ATTACKER);
            assertEquals(1, byAttacker.code(), "the attacker's count-1 batch proves none of the roots: " + byAttacker);
            Cli.Result any = check(t);
            assertEquals(0, any.code(), any.toString());
            assertTrue(any.out().contains("by " + HONEST) && !any.out().contains("by " + ATTACKER), any.toString());
        }
    }

    @Test
    void malformedSubmitterIsAUsageError() throws Exception {
        Path t = prove("badsubmitter", 63);
        Cli.Result r = check(t, "--submitter", "0x12");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--submitter"), r.toString());
    }

    static Cli.Result anchor(Path keyFile, Path... transcripts) {
        List<String> args = new ArrayList<>(List.of("anchor"));
        for (Path t : transcripts) {
            args.add(t.toString());
        }
        args.addAll(List.of("--rpc", node.rpcUrl(), "--contract", contract, "--key-file", keyFile.toString()));
        return Cli.run(args.toArray(String[]::new));
    }

    static Cli.Result check(Path transcript, String... more) {
        List<String> args = new ArrayList<>(List.of("check-anchor", transcript.toString(), "--rpc", node.rpcUrl(),
                "--contract", contract));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void keyFromTheEnvironmentWorksAndAMissingKeyIsAUsageError() throws Exception {
        Path t = prove("env", 30);
        Cli.Result none = Cli.run("anchor", t.toString(), "--rpc", node.rpcUrl(), "--contract", contract);
        if (System.getenv(Chain.KEY_ENV) == null) {
            assertEquals(2, none.code(), none.toString());
            assertTrue(none.err().contains("OPG_PRIVATE_KEY"), none.toString());
        }
        var creds = Chain.credentials(null, java.util.Map.of(Chain.KEY_ENV, AnvilNode.DEV_PRIVATE_KEYS.get(2)));
        assertEquals(org.web3j.crypto.Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(2)).getAddress(), creds.getAddress());
        var bad = org.junit.jupiter.api.Assertions.assertThrows(CliException.class,
                () -> Chain.credentials(null, java.util.Map.of(Chain.KEY_ENV, "not-a-key")));
        assertEquals(2, bad.exitCode());
        assertTrue(!bad.getMessage().contains("not-a-key"), "the key never appears in a message");
    }

    @Test
    void unreachableRpcIsAnEnvironmentError() throws Exception {
        Path t = prove("down", 40);
        Cli.Result r = Cli.run("check-anchor", t.toString(), "--rpc", "http://127.0.0.1:1", "--contract", contract);
        assertEquals(3, r.code(), r.toString());
        assertEquals(1, r.err().strip().lines().count(), r.toString());
    }

    @Test
    void contractAddressWithoutTheContractIsAnEnvironmentError() throws Exception {
        Path t = prove("nocontract", 41);
        Cli.Result r = Cli.run("check-anchor", t.toString(), "--rpc", node.rpcUrl(), "--contract", "0x" + "12".repeat(20));
        assertEquals(3, r.code(), r.toString());
        assertTrue(r.err().contains("no TranscriptAnchor"), r.toString());
    }

    @Test
    void malformedAddressIsAUsageError() throws Exception {
        Path t = prove("badaddr", 42);
        Cli.Result r = Cli.run("check-anchor", t.toString(), "--rpc", node.rpcUrl(), "--contract", "0x1234");
        assertEquals(2, r.code(), r.toString());
    }
}
