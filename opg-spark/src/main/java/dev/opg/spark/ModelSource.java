package dev.opg.spark;

import ai.djl.Model;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.nio.file.LinkOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import dev.opg.chain.ModelResolutionException;
import dev.opg.chain.ModelResolver;
import dev.opg.core.Digest;
import dev.opg.core.store.ArtifactMismatchException;
import dev.opg.core.store.ModelNotInStoreException;
import dev.opg.core.store.ModelStore;
import dev.opg.core.model.ModelIds;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A model by path, loadable on any executor that sees the path: an {@code .onnx} file, a
 * TorchScript {@code .pt} file, or a DJL model directory ({@code opg-block.json} beside the
 * parameters), exactly what {@code opg prove --model} takes ({@link LoadedModel}). On a cluster
 * the path must exist on every executor (a shared mount, or the file shipped with
 * {@code spark-submit --files} / {@code --archives} and named by its local path).
 *
 * <p>A source may be pinned to a model id ({@link #expecting}, or {@link #fromStore}: a model of
 * the local model store by its id): every executor checks the id of the model it loaded from the
 * path before it proves a row, the driver checks the id every partition reports (partitions a
 * re-run leaves untouched too), and the verification job checks its own model's; a model with
 * another id fails the task, the job or the verification with {@link ArtifactMismatchException}
 * naming both ids. The id is computed from what the engine loaded, never taken from a file name
 * or a store's index.
 *
 * @param path the model's path as the executors see it
 * @param modelId the model id (hex) the model must have, or null for none
 */
public record ModelSource(String path, String modelId) implements Serializable {
    private static final long serialVersionUID = 2L;

    public ModelSource {
        if (path == null || path.isBlank()) {
            throw new MalformedInputException("a model source needs a path");
        }
        if (modelId != null) {
            modelId = Digest.fromHex(modelId).hex(); // 64 hex digits, written lower case
        }
    }

    /** The model at {@code path}, not pinned to a model id. */
    public ModelSource(String path) {
        this(path, null);
    }

    /** The model at {@code p}. */
    public static ModelSource of(Path p) {
        return new ModelSource(p.toAbsolutePath().toString());
    }

    /**
     * This model, pinned to model id {@code modelIdHex}: proving and verifying refuse a model at the
     * path whose id differs.
     *
     * @throws MalformedInputException if {@code modelIdHex} is not 64 hex digits
     */
    public ModelSource expecting(String modelIdHex) {
        return new ModelSource(path, modelIdHex);
    }

    /**
     * The model of id {@code modelIdHex} in the model store at {@code storeRoot} ({@code opg model
     * add}; the store's directory must be where the executors see it too), pinned to that id: the
     * store alone resolves it ({@link #resolve} without a registry), the stored artifact's digest and
     * model id checked here, and each executor checks the id of what it loads.
     *
     * @throws ModelNotInStoreException if there is no store at {@code storeRoot} or it holds no artifact of that id
     * @throws ArtifactMismatchException if the stored artifact is altered or not that model
     * @throws MalformedInputException if {@code modelIdHex} is not 64 hex digits
     */
    public static ModelSource fromStore(Path storeRoot, String modelIdHex) throws IOException {
        Digest.fromHex(modelIdHex); // a malformed id is refused before anything is read
        if (!Files.isDirectory(storeRoot.resolve("objects")) || !Files.isDirectory(storeRoot.resolve("ids"))) {
            throw new ModelNotInStoreException("there is no model store at " + storeRoot + " (opg model add creates one)");
        }
        return resolve(new ModelResolver(null, ModelStore.open(storeRoot), ModelIds.defaults()), modelIdHex, null);
    }

    /**
     * The model of id {@code modelIdHex} as {@code resolver} resolves it (opg-chain's
     * {@link ModelResolver}: through an on-chain ModelRegistry, optionally only {@code publisher}'s
     * live registrations, to an artifact of the local model store, whose digest and model id it
     * recomputes before answering), pinned to that id, so that every executor checks its own copy
     * too. The store must be where the executors see it.
     *
     * @param publisher the account whose registration is required, or null for any
     * @throws ModelResolutionException if the registry has no live registration of the id (by that publisher)
     * @throws ModelNotInStoreException if the store holds no registered artifact of it
     * @throws ArtifactMismatchException if the stored artifact is not the registered one or not that model
     */
    public static ModelSource resolve(ModelResolver resolver, String modelIdHex, String publisher) throws IOException {
        Digest id = Digest.fromHex(modelIdHex);
        ModelResolver.Resolved r = resolver.resolve(id, publisher);
        return new ModelSource(r.model().artifact().toAbsolutePath().toString(), id.hex());
    }

    /**
     * Checks the id of the model loaded from this source against the pin (a source without one
     * accepts any).
     *
     * @param where who loaded it, for the message
     * @throws ArtifactMismatchException if the ids differ
     */
    public void check(Digest loaded, String where) {
        if (modelId != null && !modelId.equals(loaded.hex())) {
            throw new ArtifactMismatchException(where + ": model id " + loaded.hex() + " (" + path + "), but the job is pinned to "
                    + "model id " + modelId + "; every executor must see the pinned model at that path");
        }
    }

    /**
     * Whether the path names a model on a Hadoop file system (a URI whose scheme is not
     * {@code file}, such as {@code hdfs://nn:8020/models/mlp}) rather than a path on this machine.
     */
    public boolean onHadoop() {
        int colon = path.indexOf(':');
        if (colon < 2) {
            return false; // no scheme, or a drive letter
        }
        String scheme = path.substring(0, colon);
        return scheme.matches("[A-Za-z][A-Za-z0-9+.-]*") && !scheme.equalsIgnoreCase("file") && path.startsWith(scheme + "://");
    }

    /**
     * This source with a path on this machine: itself where the path is local; for a model on a
     * Hadoop file system, its copy in this machine's model cache ({@code ModelCache}: fetched
     * through {@code conf} once per version of the remote files, checked, put in place in one
     * step), pinned as this source is.
     *
     * @throws MalformedInputException if there is no model at the URI
     */
    public ModelSource local(org.apache.hadoop.conf.Configuration conf) throws IOException {
        return onHadoop() ? new ModelSource(ModelCache.fetch(path, conf).toString(), modelId) : this;
    }

    /** The path on this machine: the path, or for a model on a Hadoop file system the copy {@link #local} fetched last. */
    private Path localPath() {
        if (!onHadoop()) {
            return Path.of(path);
        }
        return ModelCache.fetched(path).orElseThrow(() -> new OpgException("the model " + path + " is on a Hadoop file system and "
                + "has not been fetched on this machine (" + host() + "); ModelSource.local(conf) fetches it"));
    }

    /** The DJL engine the model runs on ({@code PyTorch} or {@code OnnxRuntime}). */
    public String engine() {
        try {
            return LoadedModel.engineOf(LoadedModel.kindOf(localPath()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + path + ": " + e.getMessage(), e);
        }
    }

    /** Loads the model (the caller closes it); the engine's determinism profile must already be applied. */
    public Model load() throws IOException {
        return LoadedModel.load(localPath());
    }

    /**
     * SHA-256 over the model's files (each regular file under the path, in order of relative name:
     * the name, its length and its bytes), hex: what lets a re-run tell that a partition file was
     * written for the same model without loading it. Not the model id (which needs the engine).
     *
     * <p>Each executor computes it once per model and keeps it while no file under the path
     * changes: the answer is reused only where every file still has the same name, size,
     * modification time, change time and file key (inode) as when it was hashed, and where the
     * newest of those times lay more than {@value #SETTLE_SECONDS} s before the hashing began, so
     * that a write within one timestamp tick of the hashing is never missed (the rule git applies
     * to its index). A file system without change times ({@code unix:ctime}) hashes every time.
     */
    public String filesDigest() {
        Path root = localPath();
        try {
            List<Path> files = files(root);
            List<Stamp> before = stamps(root, files);
            Cached c = DIGESTS.get(path);
            if (before != null && c != null && c.stamps().equals(before)) {
                return c.digest();
            }
            long started = System.currentTimeMillis();
            String digest = hash(root, files);
            List<Stamp> after = stamps(root, files(root));
            if (before != null && before.equals(after) && settled(before, started)) {
                DIGESTS.put(path, new Cached(before, digest));
            } else {
                DIGESTS.remove(path);
            }
            return digest;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + path + ": " + e.getMessage(), e);
        }
    }

    /** Seconds a file's times must lie before the hashing for its digest to be kept. */
    static final int SETTLE_SECONDS = 2;

    /** The file digests this JVM (executor) keeps, by model path. */
    private static final Map<String, Cached> DIGESTS = new ConcurrentHashMap<>();

    private record Stamp(String name, long size, long modifiedNanos, long changedNanos, Object fileKey) {}

    private record Cached(List<Stamp> stamps, String digest) {}

    private List<Path> files(Path root) throws IOException {
        if (Files.isDirectory(root)) {
            try (Stream<Path> s = Files.walk(root)) {
                return s.filter(Files::isRegularFile).sorted().toList();
            }
        } else if (Files.isRegularFile(root)) {
            return List.of(root);
        }
        throw new MalformedInputException("model " + path + " does not exist on this machine (" + host() + ")");
    }

    /** Each file's stamp, or null where the file system has no change time. */
    private static List<Stamp> stamps(Path root, List<Path> files) {
        List<Stamp> out = new ArrayList<>(files.size());
        try {
            for (Path f : files) {
                Map<String, Object> a = Files.readAttributes(f, "unix:size,lastModifiedTime,ctime,fileKey", LinkOption.NOFOLLOW_LINKS);
                Object key = a.get("fileKey");
                if (!(a.get("ctime") instanceof FileTime changed) || !(a.get("lastModifiedTime") instanceof FileTime modified)
                        || key == null) {
                    return null;
                }
                out.add(new Stamp(name(root, f), (Long) a.get("size"), modified.to(TimeUnit.NANOSECONDS),
                        changed.to(TimeUnit.NANOSECONDS), key));
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
        return out;
    }

    private static boolean settled(List<Stamp> stamps, long startedMillis) {
        long limit = TimeUnit.MILLISECONDS.toNanos(startedMillis) - TimeUnit.SECONDS.toNanos(SETTLE_SECONDS);
        for (Stamp s : stamps) {
            if (s.modifiedNanos() > limit || s.changedNanos() > limit) {
                return false;
            }
        }
        return true;
    }

    private static String name(Path root, Path f) {
        return Files.isDirectory(root) ? root.relativize(f).toString() : f.getFileName().toString();
    }

    private static String hash(Path root, List<Path> files) throws IOException {
        MessageDigest sha = PartitionFile.sha256();
        byte[] buf = new byte[1 << 16];
        for (Path f : files) {
            byte[] name = name(root, f).getBytes(StandardCharsets.UTF_8);
            sha.update(ByteBuffer.allocate(4).putInt(name.length).array());
            sha.update(name);
            sha.update(ByteBuffer.allocate(8).putLong(Files.size(f)).array());
            try (InputStream in = Files.newInputStream(f)) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                }
            }
        }
        return Hex.encode(sha.digest());
    }

    static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }
}
