package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import dev.opg.core.attest.DsseEnvelope;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.store.ArtifactMismatchException;
import dev.opg.core.store.ModelIdentifier;
import dev.opg.core.store.ModelIdentity;
import dev.opg.core.store.ModelNotInStoreException;
import dev.opg.core.store.ModelStore;
import dev.opg.core.store.StoredModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ModelRegistry on a real anvil: register, list, resolve through a real model store with model ids
 * recomputed by ONNX Runtime; a second funded account that tries to add versions to the honest
 * publisher's name, re-register its version strings, revoke its versions, or register the same
 * model id; field rules enforced by the contract itself (raw sends past the client's checks); the
 * DSSE signature check on chain against spec/vectors/attestation.json; and the gas of each call.
 */
@Timeout(180)
class ModelRegistryContractTest {
    static AnvilNode node;
    static TransactionSender honestSender;
    static TransactionSender attackerSender;
    static ModelRegistryClient honest;
    static ModelRegistryClient attacker;
    static final String HONEST = TestChain.DEV0.getAddress();
    static final String ATTACKER = TestChain.DEV1.getAddress();
    static long deployGas;
    static DeterminismProfile onnxProfile;

    /** Loads an .onnx file with ONNX Runtime and computes its model id: the identifier opg uses, for ONNX. */
    static final ModelIdentifier ONNX = artifact -> {
        String name = artifact.getFileName().toString().replaceFirst("\\.onnx$", "");
        try (Model m = Model.newInstance(name, "OnnxRuntime")) {
            m.load(artifact.getParent(), name);
            try (VerifiableModel vm = VerifiableModel.wrap(m, onnxProfile)) {
                return new ModelIdentity(vm.modelId(), vm.commitment().kind());
            }
        } catch (ai.djl.MalformedModelException e) {
            throw new MalformedInputException("cannot load " + artifact + ": " + e.getMessage(), e);
        }
    };

    @TempDir
    static Path tmp;
    static ModelStore store;
    static Path blocks;
    static Path silero;
    static ModelIdentity blocksId;
    static ModelIdentity sileroId;

    @BeforeAll
    static void start() throws Exception {
        onnxProfile = OnnxProfiles.apply(1, 1, 0);
        node = AnvilNode.start();
        honestSender = TransactionSender.connect(TestChain.config(node), TestChain.DEV0);
        attackerSender = TransactionSender.connect(TestChain.config(node), TestChain.DEV1);
        TransactionSender.Mined m = honestSender.deploy(ContractArtifact.modelRegistry().bytecode());
        deployGas = m.gasUsed();
        honest = ModelRegistryClient.at(honestSender, m.receipt().getContractAddress());
        attacker = ModelRegistryClient.at(attackerSender, honest.address());
        store = ModelStore.open(tmp.resolve("store"));
        Path in = Files.createDirectories(tmp.resolve("in"));
        blocks = Files.copy(TestChain.repoRoot().resolve("spec/vectors/models/blocks.onnx"), in.resolve("blocks.onnx"));
        silero = Files.copy(TestChain.repoRoot().resolve("node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx"),
                in.resolve("silero_vad_v5.onnx"));
        blocksId = ONNX.identify(blocks);
        sileroId = ONNX.identify(silero);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {honestSender, attackerSender, node}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    static Digest d(String label) {
        return TestChain.root(label);
    }

    @Test
    void registersVersionsInOrderAndReadsThemBackFromStateAndEvents() {
        RegistryReceipt r1 = honest.register("vision", "1.0", d("v1"), d("a1"), "https://example.org/vision-1.0.onnx", "onnx");
        RegistryReceipt r2 = honest.register("vision", "1.1", d("v2"), d("a2"), "ipfs://bafy-vision-1.1", "onnx");
        assertTrue(r1.fresh() && r2.fresh());
        assertEquals(0, r1.entry().index());
        assertEquals(1, r2.entry().index());
        assertEquals(HONEST, r1.entry().publisher());
        List<RegistryEntry> versions = honest.versions(HONEST, "vision");
        assertEquals(List.of(r1.entry(), r2.entry()), versions);
        RegistryEntry e = versions.get(1);
        assertEquals("1.1", e.version());
        assertEquals(d("v2"), e.modelId());
        assertEquals(d("a2"), e.artifactDigest());
        assertEquals("ipfs://bafy-vision-1.1", e.uri());
        assertEquals("onnx", e.kind());
        assertEquals(r2.blockNumber(), e.registeredBlock());
        assertFalse(e.revoked());
        // Found through the events (by name, by publisher, all), each confirmed from state.
        assertEquals(versions, honest.entries(null, "vision"));
        assertTrue(honest.entries(HONEST, null).containsAll(versions));
        assertTrue(attacker.entries(null, null).containsAll(versions));
        assertEquals(List.of(r1.entry()), honest.registrationsOf(d("v1")));
        assertEquals(Optional.of(r2.entry()), attacker.version(HONEST, "vision", "1.1"));
        assertEquals(Optional.empty(), attacker.version(HONEST, "vision", "9.9"));
        assertEquals(0, honest.versionCount(ATTACKER, "vision"));
    }

    @Test
    void registeringTheSameEntryAgainIsANoOpAndAlteringItIsRefused() {
        RegistryReceipt r = honest.register("audio", "2", d("audio-2"), d("audio-2-a"), "https://example.org/a2", "onnx");
        RegistryReceipt again = honest.register("audio", "2", d("audio-2"), d("audio-2-a"), "https://example.org/a2", "onnx");
        assertFalse(again.fresh());
        assertNull(again.transactionHash(), "nothing is sent for an entry already there");
        assertEquals(r.entry(), again.entry());
        // The client refuses to alter an entry ...
        RegistryConflictException c = assertThrows(RegistryConflictException.class,
                () -> honest.register("audio", "2", d("audio-2-evil"), d("audio-2-a"), "https://example.org/a2", "onnx"));
        assertTrue(c.getMessage().contains("cannot be altered"), c.getMessage());
        // ... and so does the contract, sent raw past the client's check: another model, URI, digest or kind.
        for (var f : List.of(ModelRegistryAbi.register("audio", "2", d("audio-2-evil"), d("audio-2-a"), "https://example.org/a2", "onnx"),
                ModelRegistryAbi.register("audio", "2", d("audio-2"), d("audio-2-a"), "https://evil.example.org/a2", "onnx"),
                ModelRegistryAbi.register("audio", "2", d("audio-2"), d("other"), "https://example.org/a2", "onnx"),
                ModelRegistryAbi.register("audio", "2", d("audio-2"), d("audio-2-a"), "https://example.org/a2", "torchscript"))) {
            TransactionRevertedException ex = assertThrows(TransactionRevertedException.class,
                    () -> honestSender.send(honest.address(), ModelRegistryAbi.encode(f)));
            assertTrue(ex.getMessage().contains("VersionTaken(\"audio\", \"2\", 0)"), ex.getMessage());
        }
        // A raw resend of the identical entry is the idempotent no-op: mined, no event, nothing changed.
        TransactionSender.Mined m = honestSender.send(honest.address(), ModelRegistryAbi.encode(
                ModelRegistryAbi.register("audio", "2", d("audio-2"), d("audio-2-a"), "https://example.org/a2", "onnx")));
        assertTrue(m.receipt().getLogs().isEmpty());
        assertEquals(List.of(r.entry()), honest.versions(HONEST, "audio"));
    }

    @Test
    void aSecondAccountCannotAddToRevokeOrAlterAnotherPublishersName() {
        RegistryReceipt h1 = honest.register("speech", "1", d("speech-1"), d("speech-1-a"), "https://example.org/s1", "onnx");
        RegistryReceipt h2 = honest.register("speech", "2", d("speech-2"), d("speech-2-a"), "https://example.org/s2", "onnx");

        // The attacker "adds a version" to the name and "re-registers" version 1 with its own model:
        // both land under the attacker's own name, never the honest publisher's.
        RegistryReceipt a3 = attacker.register("speech", "3", d("evil"), d("evil-a"), "https://evil.example.org/s3", "onnx");
        RegistryReceipt a1 = attacker.register("speech", "1", d("evil"), d("evil-a"), "https://evil.example.org/s1", "onnx");
        assertEquals(ATTACKER, a3.entry().publisher());
        assertEquals(0, a3.entry().index());
        assertEquals(1, a1.entry().index());
        assertEquals(List.of(h1.entry(), h2.entry()), honest.versions(HONEST, "speech"), "the honest name is untouched");
        assertEquals(2, honest.versionCount(ATTACKER, "speech"));

        // Revoking the honest version 2 is refused on chain (the attacker has no version 2), sent raw.
        TransactionRevertedException ex = assertThrows(TransactionRevertedException.class,
                () -> attackerSender.send(honest.address(), ModelRegistryAbi.encode(ModelRegistryAbi.revoke("speech", "2"))));
        assertTrue(ex.getMessage().contains("UnknownVersion(" + ATTACKER + ", \"speech\", \"2\")"), ex.getMessage());
        ModelResolutionException mre = assertThrows(ModelResolutionException.class, () -> attacker.revoke("speech", "2"));
        assertTrue(mre.getMessage().contains("only the publisher"), mre.getMessage());
        // Revoking "speech 1" revokes only the attacker's own version 1.
        assertTrue(attacker.revoke("speech", "1").fresh());
        assertTrue(honest.versionAt(ATTACKER, "speech", 1).revoked());
        assertFalse(honest.versionAt(HONEST, "speech", 0).revoked());
        assertEquals(List.of(h1.entry(), h2.entry()), honest.versions(HONEST, "speech"));

        // The attacker registers the honest model id under its own name: listed as the attacker's,
        // and a resolver that requires the honest publisher never sees it.
        attacker.register("speech-copy", "1", d("speech-2"), d("evil-a"), "https://evil.example.org/copy", "onnx");
        List<RegistryEntry> regs = honest.registrationsOf(d("speech-2"));
        assertEquals(List.of(HONEST, ATTACKER), regs.stream().map(RegistryEntry::publisher).toList());
        assertEquals(d("speech-2-a"), regs.get(0).artifactDigest());
    }

    @Test
    void theContractEnforcesTheFieldRulesItselfAndTheClientChecksThemFirst() {
        record Bad(String name, String version, Digest modelId, Digest artifact, String uri, String kind, String error) {}
        Digest zero = Digest.of(new byte[32]);
        List<Bad> bad = List.of(
                new Bad("with space", "1", d("m"), d("a"), "u:x", "onnx", "InvalidCharacter(\"name\", 4)"),
                new Bad("n", "1\n", d("m"), d("a"), "u:x", "onnx", "InvalidCharacter(\"version\", 1)"),
                new Bad("n", "1", d("m"), d("a"), "u:\u00e9", "onnx", "InvalidCharacter(\"uri\", 2)"),
                new Bad("n", "1", d("m"), d("a"), "u:x", "ONNX", "InvalidCharacter(\"kind\", 0)"),
                new Bad("", "1", d("m"), d("a"), "u:x", "onnx", "EmptyField(\"name\")"),
                new Bad("n", "1", d("m"), d("a"), "", "onnx", "EmptyField(\"uri\")"),
                new Bad("n".repeat(RegistryEntry.MAX_NAME + 1), "1", d("m"), d("a"), "u:x", "onnx",
                        "FieldTooLong(\"name\", " + (RegistryEntry.MAX_NAME + 1) + ", " + RegistryEntry.MAX_NAME + ")"),
                new Bad("n", "v".repeat(RegistryEntry.MAX_VERSION + 1), d("m"), d("a"), "u:x", "onnx",
                        "FieldTooLong(\"version\", " + (RegistryEntry.MAX_VERSION + 1) + ", " + RegistryEntry.MAX_VERSION + ")"),
                new Bad("n", "1", d("m"), d("a"), "u:" + "x".repeat(RegistryEntry.MAX_URI), "onnx",
                        "FieldTooLong(\"uri\", " + (RegistryEntry.MAX_URI + 2) + ", " + RegistryEntry.MAX_URI + ")"),
                new Bad("n", "1", d("m"), d("a"), "u:x", "k".repeat(RegistryEntry.MAX_KIND + 1), "FieldTooLong(\"kind\", "
                        + (RegistryEntry.MAX_KIND + 1) + ", " + RegistryEntry.MAX_KIND + ")"),
                new Bad("n", "1", zero, d("a"), "u:x", "onnx", "ZeroDigest(\"modelId\")"),
                new Bad("n", "1", d("m"), zero, "u:x", "onnx", "ZeroDigest(\"artifactDigest\")"));
        for (Bad b : bad) {
            assertThrows(MalformedInputException.class, () -> honest.register(b.name(), b.version(), b.modelId(), b.artifact(), b.uri(),
                    b.kind()), b.error());
            TransactionRevertedException ex = assertThrows(TransactionRevertedException.class, () -> honestSender.send(honest.address(),
                    ModelRegistryAbi.encode(ModelRegistryAbi.register(b.name(), b.version(), b.modelId(), b.artifact(), b.uri(), b.kind()))));
            assertTrue(ex.getMessage().contains(b.error()), "expected " + b.error() + " in " + ex.getMessage());
        }
        // The limits themselves are accepted (the honest control).
        RegistryReceipt ok = honest.register("n".repeat(RegistryEntry.MAX_NAME), "v".repeat(RegistryEntry.MAX_VERSION), d("m"), d("a"),
                "u:" + "x".repeat(RegistryEntry.MAX_URI - 2), "k".repeat(RegistryEntry.MAX_KIND));
        assertTrue(ok.fresh());
        TransactionRevertedException oob = assertThrows(TransactionRevertedException.class,
                () -> honest.versionAt(HONEST, "n".repeat(RegistryEntry.MAX_NAME), 1));
        assertTrue(oob.getMessage().contains("IndexOutOfRange(1, 1)"), oob.getMessage());
    }

    @Test
    void resolvesAModelIdThroughTheRegistryAndTheStoreAndRefusesEveryMismatch() throws Exception {
        Path storeRoot = Files.createDirectories(tmp.resolve("resolve-store"));
        ModelStore s = ModelStore.open(storeRoot);
        StoredModel stored = s.add(blocks, ONNX);
        ModelResolver resolver = new ModelResolver(honest, s, ONNX);

        // Not registered yet.
        ModelResolutionException nr = assertThrows(ModelResolutionException.class, () -> resolver.resolve(blocksId.modelId(), null));
        assertTrue(nr.getMessage().contains("is not registered"), nr.getMessage());

        honest.register("blocks", "1", blocksId.modelId(), stored.artifactDigest(), "https://example.org/blocks.onnx", "onnx");
        ModelResolver.Resolved r = resolver.resolve(blocksId.modelId(), HONEST);
        assertEquals(stored, r.model());
        assertEquals("blocks@1", r.entry().label());
        assertEquals(HONEST, r.entry().publisher());
        assertTrue(r.describe().contains("registered as blocks@1 by " + HONEST), r.describe());

        // Another publisher required: not registered by it.
        nr = assertThrows(ModelResolutionException.class, () -> resolver.resolve(blocksId.modelId(), ATTACKER));
        assertTrue(nr.getMessage().contains("not registered by " + ATTACKER) && nr.getMessage().contains(HONEST), nr.getMessage());

        // Registered, but the store does not hold the registered artifact: says where to fetch it.
        honest.register("silero", "5", sileroId.modelId(), dev.opg.core.store.ArtifactDigest.of(silero).digest(),
                "https://example.org/silero_vad_v5.onnx", "onnx");
        ModelNotInStoreException nis = assertThrows(ModelNotInStoreException.class, () -> resolver.resolve(sileroId.modelId(), HONEST));
        assertTrue(nis.getMessage().contains("https://example.org/silero_vad_v5.onnx") && nis.getMessage().contains("opg model add"),
                nis.getMessage());

        // The attacker registers the blocks model id with the Silero artifact's digest and puts Silero in the
        // victim's store: resolving through the attacker's entry loads Silero, whose model id is not the one asked.
        StoredModel sil = s.add(silero, ONNX);
        attacker.register("blocks-mirror", "1", blocksId.modelId(), sil.artifactDigest(), "https://evil.example.org/b.onnx", "onnx");
        ArtifactMismatchException am = assertThrows(ArtifactMismatchException.class, () -> resolver.resolve(blocksId.modelId(), ATTACKER));
        assertTrue(am.getMessage().contains("not the expected " + blocksId.modelId().hex()), am.getMessage());
        assertEquals(stored, resolver.resolve(blocksId.modelId(), HONEST).model(), "the honest entry still resolves");

        // A tampered artifact in the store is refused, never used.
        stored.artifact().toFile().setWritable(true);
        byte[] b = Files.readAllBytes(stored.artifact());
        b[b.length - 3] ^= 0x40;
        Files.write(stored.artifact(), b);
        am = assertThrows(ArtifactMismatchException.class, () -> resolver.resolve(blocksId.modelId(), HONEST));
        assertTrue(am.getMessage().contains("altered after it was added"), am.getMessage());
        s.add(blocks, ONNX);
        assertEquals(stored, resolver.resolve(blocksId.modelId(), HONEST).model());

        // Revoked by its publisher: refused, naming the revocation.
        assertTrue(honest.revoke("blocks", "1").fresh());
        assertFalse(honest.revoke("blocks", "1").fresh(), "revoking twice changes nothing");
        ModelResolutionException rv = assertThrows(ModelResolutionException.class, () -> resolver.resolve(blocksId.modelId(), HONEST));
        assertTrue(rv.getMessage().contains("revoked") && rv.getMessage().contains("blocks@1"), rv.getMessage());

        // Store alone (no registry): the recomputed model id is what binds.
        assertEquals(sil, new ModelResolver(null, s, ONNX).resolve(sileroId.modelId(), null).model());
    }

    @Test
    void theContractChecksDsseEnvelopesLikeJavaDoes() throws Exception {
        JsonNode v = new ObjectMapper().readTree(TestChain.repoRoot().resolve("spec/vectors/attestation.json").toFile());
        for (JsonNode c : v.get("pae")) {
            byte[] body = Hex.decode(c.get("payloadHex").asText());
            assertEquals(c.get("paeHex").asText(), Hex.encode(honest.dssePae(c.get("payloadType").asText(), body)), c.get("description").asText());
        }
        for (JsonNode e : v.get("envelopes")) {
            DsseEnvelope env = DsseEnvelope.parse(e.get("envelope").asText().getBytes(StandardCharsets.UTF_8));
            byte[] sig = env.signatures().get(0).sig();
            assertEquals(e.get("digest").asText(), honest.dsseDigest(env.payloadType(), env.payload()).hex());
            assertEquals(Optional.of(e.get("signer").asText()), honest.recoverDsseSigner(env.payloadType(), env.payload(), sig));
        }
        for (JsonNode r : v.get("rejections")) {
            DsseEnvelope env = DsseEnvelope.parse(r.get("envelope").asText().getBytes(StandardCharsets.UTF_8));
            Optional<String> who = honest.recoverDsseSigner(env.payloadType(), env.payload(), env.signatures().get(0).sig());
            assertEquals(EthDsse.recover(env.pae(), env.signatures().get(0).sig()), who, r.get("description").asText());
            if (r.get("description").asText().contains("keyid names")) {
                // The keyid is not signed: the contract (like DSSE) ignores it; the signature itself is the signer's.
                assertEquals(Optional.of(r.get("requiredSigner").asText()), who);
            } else {
                assertNotEquals(Optional.of(r.get("requiredSigner").asText()), who, r.get("description").asText());
            }
        }
        assertEquals(Optional.empty(), honest.recoverDsseSigner("t", new byte[0], new byte[64]), "a 64-byte signature recovers nobody");
    }

    @Test
    void gasOfEachCall() throws Exception {
        RegistryReceipt first = honest.register("gas-model", "1.0.0", d("g1"), d("ga1"),
                "https://models.example.org/gas-model/1.0.0/model.onnx", "onnx");
        RegistryReceipt second = honest.register("gas-model", "1.0.1", d("g2"), d("ga2"),
                "https://models.example.org/gas-model/1.0.1/model.onnx", "onnx");
        RegistryReceipt revoke = honest.revoke("gas-model", "1.0.0");
        JsonNode v = new ObjectMapper().readTree(TestChain.repoRoot().resolve("spec/vectors/attestation.json").toFile());
        DsseEnvelope env = DsseEnvelope.parse(v.get("envelopes").get(0).get("envelope").asText().getBytes(StandardCharsets.UTF_8));
        long recover = honest.recoverDsseSignerGas(env.payloadType(), env.payload(), env.signatures().get(0).sig());
        long calldata = calldataGas(Hex.decode(ModelRegistryAbi.encode(ModelRegistryAbi.recoverDsseSigner(env.payloadType(),
                env.payload(), env.signatures().get(0).sig())).substring(2)));
        System.out.printf("%nModelRegistry gas (anvil, solc 0.8.37, optimizer 200 runs):%n");
        System.out.printf("  deploy                                   %8d%n", deployGas);
        System.out.printf("  register, first version of a name        %8d  (%d-byte uri)%n", first.gasUsed(), first.entry().uri().length());
        System.out.printf("  register, next version                   %8d%n", second.gasUsed());
        System.out.printf("  revoke                                   %8d%n", revoke.gasUsed());
        System.out.printf("  recoverDsseSigner (estimate, as a tx)    %8d  for a %d-byte statement: 21000 base + %d calldata + %d execution%n",
                recover, env.payload().length, calldata, recover - 21000 - calldata);
        assertTrue(first.gasUsed() < 400_000 && second.gasUsed() < first.gasUsed() && revoke.gasUsed() < 60_000, "registry gas");
        assertTrue(recover - 21000 - calldata < 30_000, "checking an envelope on chain is cheap: " + (recover - 21000 - calldata));
    }

    /** EIP-2028 calldata gas: 4 per zero byte, 16 per other byte. */
    static long calldataGas(byte[] data) {
        long g = 0;
        for (byte b : data) {
            g += b == 0 ? 4 : 16;
        }
        return g;
    }
}
