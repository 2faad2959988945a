package dev.opg.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.RepoFiles;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.testmodels.TestModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The content-addressed store on two real ONNX models (spec/vectors/models/blocks.onnx and Silero VAD v5 from npm), identified by loading
 * them with ONNX Runtime: what goes in is checked coming out, and anything changed on disk is refused.
 */
class ModelStoreTest {
    /** Loads an .onnx file (or the one .onnx in a directory) with ONNX Runtime and computes its model id. */
    static final ModelIdentifier ONNX = artifact -> {
        Path f = artifact;
        if (Files.isDirectory(artifact)) {
            try (Stream<Path> s = Files.list(artifact)) {
                List<Path> onnx = s.filter(p -> p.toString().endsWith(".onnx")).toList();
                if (onnx.size() != 1) {
                    throw new MalformedInputException(artifact + " holds " + onnx.size() + " .onnx files");
                }
                f = onnx.get(0);
            }
        }
        try (Model m = TestModels.loadOnnx(f); VerifiableModel vm = VerifiableModel.wrap(m, TestModels.onnxProfile())) {
            return new ModelIdentity(vm.modelId(), vm.commitment().kind());
        } catch (ai.djl.MalformedModelException e) {
            throw new MalformedInputException("cannot load " + f + ": " + e.getMessage(), e);
        }
    };

    @TempDir
    Path tmp;
    ModelStore store;
    Path blocks;
    Path sileroDir;

    @BeforeEach
    void setUp() throws IOException {
        store = ModelStore.open(tmp.resolve("store"));
        blocks = Files.copy(RepoFiles.resolve("spec/vectors/models/blocks.onnx"), Files.createDirectories(tmp.resolve("in")).resolve("blocks.onnx"));
        sileroDir = Files.createDirectories(tmp.resolve("silero-model"));
        Files.copy(TestModels.sileroVadV5(), sileroDir.resolve("silero_vad_v5.onnx"));
        Files.writeString(sileroDir.resolve("README"), "a model directory with a note beside the graph\n");
    }

    @Test
    void addsAFileAndADirectoryAndHandsBackCheckedCopies() throws Exception {
        StoredModel b = store.add(blocks, ONNX);
        assertEquals(ArtifactLayout.FILE, b.layout());
        assertEquals(ArtifactDigest.of(blocks).digest(), b.artifactDigest());
        assertEquals(ONNX.identify(blocks), new ModelIdentity(b.modelId(), b.kind()));
        assertEquals("onnx", b.kind());
        assertTrue(b.artifact().startsWith(store.root().resolve("objects").resolve(b.artifactDigest().hex())));

        StoredModel c = store.add(sileroDir, ONNX);
        assertEquals(ArtifactLayout.DIRECTORY, c.layout());
        assertEquals(ArtifactDigest.of(sileroDir).digest(), c.artifactDigest());
        assertNotEquals(b.modelId(), c.modelId());

        assertEquals(b, store.add(blocks, ONNX), "adding again returns the entry already there");
        assertEquals(List.of(b), store.withModelId(b.modelId()));
        assertEquals(2, store.list().size());
        assertEquals(b, store.open(b.artifactDigest(), b.modelId(), ONNX));
        assertEquals(c, store.findChecked(c.modelId(), ONNX));
        try (Stream<Path> s = Files.list(store.root().resolve("tmp"))) {
            assertEquals(0, s.count(), "no staging directory is left behind");
        }
    }

    @Test
    void aTamperedArtifactIsRefusedAndAnHonestOneBesideItStillServes() throws Exception {
        StoredModel b = store.add(blocks, ONNX);
        StoredModel c = store.add(sileroDir, ONNX);
        // Change one byte of the stored graph.
        Path stored = b.artifact();
        stored.toFile().setWritable(true);
        byte[] bytes = Files.readAllBytes(stored);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(stored, bytes);
        ArtifactMismatchException e = assertThrows(ArtifactMismatchException.class, () -> store.open(b.artifactDigest(), b.modelId(), ONNX));
        assertTrue(e.getMessage().contains("altered after it was added"), e.getMessage());
        assertThrows(ArtifactMismatchException.class, () -> store.findChecked(b.modelId(), ONNX));
        // The honest control beside it.
        assertEquals(c, store.open(c.artifactDigest(), c.modelId(), ONNX));
        // Adding the artifact again moves the damaged copy aside and serves a fresh one.
        StoredModel again = store.add(blocks, ONNX);
        assertEquals(b, again);
        assertEquals(b, store.open(b.artifactDigest(), b.modelId(), ONNX));
        assertTrue(Files.isDirectory(store.root().resolve("quarantine")));
    }

    @Test
    void anotherModelSwappedInUnderAnHonestKeyIsRefused() throws Exception {
        StoredModel b = store.add(blocks, ONNX);
        StoredModel c = store.add(sileroDir, ONNX);
        // Put the Silero graph's bytes where the blocks graph was: the digest no longer matches the key.
        b.artifact().toFile().setWritable(true);
        Files.copy(sileroDir.resolve("silero_vad_v5.onnx"), b.artifact(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThrows(ArtifactMismatchException.class, () -> store.open(b.artifactDigest(), b.modelId(), ONNX));
        // Asking for one model under another's artifact is refused before anything loads.
        ArtifactMismatchException e = assertThrows(ArtifactMismatchException.class,
                () -> store.open(c.artifactDigest(), b.modelId(), ONNX));
        assertTrue(e.getMessage().contains("not the expected"), e.getMessage());
    }

    @Test
    void aRewrittenEntryFileIsRefused() throws Exception {
        StoredModel b = store.add(blocks, ONNX);
        StoredModel c = store.add(sileroDir, ONNX);
        Path entry = store.objectDir(b.artifactDigest()).resolve("entry.json");
        String json = Files.readString(entry);
        // Claim the other model's id: the model loaded from the files says otherwise.
        Files.writeString(entry, json.replace(b.modelId().hex(), c.modelId().hex()));
        ArtifactMismatchException e = assertThrows(ArtifactMismatchException.class,
                () -> store.open(b.artifactDigest(), c.modelId(), ONNX));
        assertTrue(e.getMessage().contains("loads as model " + b.modelId().hex()), e.getMessage());
        // A file name that walks out of the store.
        Files.writeString(entry, json.replace("\"blocks.onnx\"", "\"../../../in/blocks.onnx\""));
        e = assertThrows(ArtifactMismatchException.class, () -> store.get(b.artifactDigest()));
        assertTrue(e.getMessage().contains("damaged"), e.getMessage());
        // Another entry's digest.
        Files.writeString(entry, json.replace(b.artifactDigest().hex(), c.artifactDigest().hex()));
        assertThrows(ArtifactMismatchException.class, () -> store.get(b.artifactDigest()));
        Files.writeString(entry, "{\"format\":1}");
        assertThrows(ArtifactMismatchException.class, () -> store.get(b.artifactDigest()));
        Files.writeString(entry, json);
        assertEquals(b, store.open(b.artifactDigest(), b.modelId(), ONNX));
    }

    @Test
    void refusesWhatItCannotKeep() throws Exception {
        Path link = tmp.resolve("in/link.onnx");
        Files.createSymbolicLink(link, blocks);
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> store.add(link, ONNX));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        Path odd = Files.copy(blocks, tmp.resolve("in/my model.onnx"));
        e = assertThrows(MalformedInputException.class, () -> store.add(odd, ONNX));
        assertTrue(e.getMessage().contains("cannot be kept"), e.getMessage());
        Path notAModel = tmp.resolve("in/notes.onnx");
        Files.writeString(notAModel, "not a graph", StandardCharsets.UTF_8);
        assertThrows(Exception.class, () -> store.add(notAModel, ONNX));
        assertEquals(0, store.list().size(), "nothing half-added");
        ModelNotInStoreException n = assertThrows(ModelNotInStoreException.class,
                () -> store.open(Digest.fromHex("11".repeat(32)), Digest.fromHex("22".repeat(32)), ONNX));
        assertTrue(n.getMessage().contains("opg model add"), n.getMessage());
    }
}
