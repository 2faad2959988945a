package dev.opg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.chain.ChainConfig;
import dev.opg.chain.ModelRegistryClient;
import dev.opg.chain.ModelResolutionException;
import dev.opg.chain.ModelResolver;
import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.MalformedInputException;
import dev.opg.core.model.ModelIds;
import dev.opg.core.store.ArtifactMismatchException;
import dev.opg.core.store.ModelNotInStoreException;
import dev.opg.core.store.ModelStore;
import dev.opg.core.store.StoredModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * A job pinned to a model id (a model reference by id: {@link ModelSource#expecting}, or a model
 * of the local store by its id, {@link ModelSource#fromStore}), on real Spark with a real PyTorch
 * MLP and real MNIST digits: the pinned model proves the same job as the unpinned one; a model
 * with another id at the path is refused by the executors before any row is committed, by the
 * driver for partitions a re-run leaves untouched, and by the verification job.
 */
class PinnedModelTest {
    static SparkSession spark;
    static Path model;
    static String id;
    static List<float[]> images;
    static final int ROWS = 20;

    @TempDir
    static Path shared;

    @BeforeAll
    static void start() throws Exception {
        spark = Fixtures.spark();
        model = Fixtures.mlp(shared.resolve("mlp"));
        images = Fixtures.digits(ROWS / 10);
        id = ModelIds.defaults().identify(model).modelId().hex();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    static SparkProver prover(ModelSource source, Path out) {
        return SparkProver.builder().model(source).keyColumn("id").input("x", 1, Fixtures.PIXELS).outputDir(out).build();
    }

    static Dataset<Row> data(int partitions) {
        return Fixtures.dataset(spark, images, partitions, partitions);
    }

    /** Another well-formed id: the pinned one with its first hex digit changed. */
    static String other(String hex) {
        return (hex.charAt(0) == '0' ? "1" : "0") + hex.substring(1);
    }

    /** The messages of {@code t} and its causes (Spark wraps a task's exception). */
    static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getClass().getName()).append(": ").append(c.getMessage()).append('\n');
        }
        return sb.toString();
    }

    static long committedPartitionFiles(Path out) throws Exception {
        Path parts = out.resolve("parts");
        if (!Files.isDirectory(parts)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(parts)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".opgpart")).count();
        }
    }

    @Test
    void aPinnedModelProvesTheSameJobAndAModelWithAnotherIdIsRefusedEverywhere(@TempDir Path tmp) throws Exception {
        ProvenJob plain = prover(ModelSource.of(model), tmp.resolve("plain")).prove(data(2));
        ProvenJob pinned = prover(ModelSource.of(model).expecting(id.toUpperCase(java.util.Locale.ROOT)), tmp.resolve("pinned"))
                .prove(data(3));
        assertEquals(plain.jobRoot(), pinned.jobRoot());
        assertEquals(id, pinned.modelId());
        assertEquals(ROWS, pinned.rowsProven());

        // the executors load the model at the path, compute its id and refuse it before a row is proven
        String wrong = other(id);
        Path refusedOut = tmp.resolve("refused");
        Exception e = assertThrows(Exception.class, () -> prover(ModelSource.of(model).expecting(wrong), refusedOut).prove(data(2)));
        String m = messages(e);
        assertTrue(m.contains(ArtifactMismatchException.class.getName()), m);
        assertTrue(m.contains("as loaded: model id " + id) && m.contains("pinned to model id " + wrong), m);
        assertEquals(0, committedPartitionFiles(refusedOut), "no partition is committed with a model the job is not pinned to");

        Path done = tmp.resolve("pinned");
        try (AnvilNode node = AnvilNode.start();
                TransactionSender sender = TransactionSender.connect(ChainConfig.of(node.rpcUrl()),
                        Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(0)))) {
            pinned.anchor(TranscriptAnchorClient.deploy(sender)); // writes each row's receipt, which the verification reads
        }

        // a re-run over a job whose partitions are all committed loads no model: the driver checks the ids the files record
        Exception rerun = assertThrows(ArtifactMismatchException.class, () -> prover(ModelSource.of(model).expecting(wrong), done)
                .prove(data(3)));
        assertTrue(rerun.getMessage().contains("as its committed file records") && rerun.getMessage().contains("model id " + id)
                && rerun.getMessage().contains("pinned to model id " + wrong), rerun.getMessage());

        // the verification job re-executes with its own model, which must be the pinned one
        JobVerifier.Report ok = new JobVerifier(prover(ModelSource.of(model).expecting(id), done).settings())
                .verify(data(2), pinned.jobRoot().root(), ROWS, Sample.all());
        assertTrue(ok.allValid(), ok.findings().toString());
        Exception v = assertThrows(Exception.class, () -> new JobVerifier(prover(ModelSource.of(model).expecting(wrong), done).settings())
                .verify(data(2), pinned.jobRoot().root(), ROWS, Sample.all()));
        assertTrue(messages(v).contains("pinned to model id " + wrong), messages(v));
    }

    @Test
    void aModelOfTheStoreIsFoundByItsIdAndPinnedToIt(@TempDir Path tmp) throws Exception {
        Path storeRoot = tmp.resolve("store");
        StoredModel stored = ModelStore.open(storeRoot).add(model, ModelIds.defaults());
        assertEquals(id, stored.modelId().hex());
        ModelSource source = ModelSource.fromStore(storeRoot, id);
        assertEquals(id, source.modelId());
        assertTrue(Path.of(source.path()).startsWith(storeRoot.toAbsolutePath().normalize()), source.path());
        ProvenJob fromStore = prover(source, tmp.resolve("job")).prove(data(2));
        ProvenJob byPath = prover(ModelSource.of(model), tmp.resolve("by-path")).prove(data(2));
        assertEquals(byPath.jobRoot(), fromStore.jobRoot());

        assertThrows(ModelNotInStoreException.class, () -> ModelSource.fromStore(storeRoot, other(id)));
        Path nowhere = tmp.resolve("no-store");
        assertThrows(ModelNotInStoreException.class, () -> ModelSource.fromStore(nowhere, id));
        assertFalse(Files.exists(nowhere), "looking a model up creates no store");
        assertThrows(MalformedInputException.class, () -> ModelSource.of(model).expecting("abc"));
        assertThrows(MalformedInputException.class, () -> ModelSource.fromStore(storeRoot, "not hex"));
    }

    @Test
    void aModelIdIsResolvedThroughTheOnChainRegistryAndTheStore(@TempDir Path tmp) throws Exception {
        Path storeRoot = tmp.resolve("store");
        ModelStore store = ModelStore.open(storeRoot);
        StoredModel stored = store.add(model, ModelIds.defaults());
        ProvenJob byPath = prover(ModelSource.of(model), tmp.resolve("by-path")).prove(data(2));
        try (AnvilNode node = AnvilNode.start();
                TransactionSender publisher = TransactionSender.connect(ChainConfig.of(node.rpcUrl()),
                        Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(0)));
                TransactionSender stranger = TransactionSender.connect(ChainConfig.of(node.rpcUrl()),
                        Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(1)))) {
            ModelRegistryClient registry = ModelRegistryClient.deploy(publisher);
            registry.register("mnist-mlp", "1", stored.modelId(), stored.artifactDigest(), "file:" + model, stored.kind());
            ModelResolver resolver = new ModelResolver(registry, store, ModelIds.defaults());

            ModelSource resolved = ModelSource.resolve(resolver, id, registry.publisher());
            assertEquals(id, resolved.modelId());
            assertEquals(stored.artifact().toAbsolutePath().toString(), resolved.path());
            assertEquals(byPath.jobRoot(), prover(resolved, tmp.resolve("resolved")).prove(data(3)).jobRoot());

            // only the publisher's live registrations count; an id nobody registered resolves to nothing
            String strangerAddress = ModelRegistryClient.at(stranger, registry.address()).publisher();
            assertThrows(ModelResolutionException.class, () -> ModelSource.resolve(resolver, id, strangerAddress));
            assertThrows(ModelResolutionException.class, () -> ModelSource.resolve(resolver, other(id), null));
            registry.revoke("mnist-mlp", "1");
            Exception revoked = assertThrows(ModelResolutionException.class, () -> ModelSource.resolve(resolver, id, null));
            assertTrue(revoked.getMessage().contains("revoked"), revoked.getMessage());
        }
    }
}
