package dev.opg.core.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local content-addressed store of model artifacts (spec section 5.2), keyed by artifact digest
 * and indexed by model id:
 *
 * <pre>
 * ROOT/objects/&lt;artifact digest&gt;/entry.json       what was added (layout, file name, model id, kind)
 * ROOT/objects/&lt;artifact digest&gt;/artifact/NAME    the file, for a file artifact
 * ROOT/objects/&lt;artifact digest&gt;/artifact/...     the tree, for a directory artifact
 * ROOT/ids/&lt;model id&gt;/&lt;artifact digest&gt;         an empty file per artifact of that model id
 * </pre>
 *
 * <p>{@link #add} copies the artifact into a staging directory, computes the digest and the model id
 * of the <em>copy</em> (so what is recorded is what is kept), and moves it into place atomically;
 * adding the same artifact again returns the entry already there. Nothing the store reads back is
 * trusted: {@link #check} recomputes the artifact digest and the model id from the files and
 * compares them with the key, the entry and whatever the caller expects, and a store entry whose
 * JSON or paths are not as written is refused. A file changed in the store is refused, never used.
 *
 * <p>Not protected: a process that can write the store can swap a file between {@link #check} and
 * the caller's own load of it; the verifier's own model-id check against the transcript still
 * catches a swap to another model.
 */
public final class ModelStore {
    private static final Logger log = LoggerFactory.getLogger(ModelStore.class);

    /** Environment variable naming the default store directory. */
    public static final String STORE_ENV = "OPG_MODEL_STORE";
    /** Value of an entry's {@code format} field. */
    public static final String ENTRY_FORMAT = "opg-model-store-entry";
    /** A stored file's name: what a model file may be called in the store. */
    public static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}");

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern KIND = Pattern.compile("[a-z0-9-]{1,32}");
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(4).maxDocumentLength(4096).build())
            .build());

    private final Path root;

    private ModelStore(Path root) {
        this.root = root;
    }

    /** Opens (creating if needed) the store at {@code root}. */
    public static ModelStore open(Path root) throws IOException {
        Path r = root.toAbsolutePath().normalize();
        Files.createDirectories(r.resolve("objects"));
        Files.createDirectories(r.resolve("ids"));
        Files.createDirectories(r.resolve("tmp"));
        return new ModelStore(r);
    }

    /** The default store: {@value #STORE_ENV} if set, else {@code ~/.opg/models}. */
    public static Path defaultRoot() {
        String env = System.getenv(STORE_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".opg", "models");
    }

    public Path root() {
        return root;
    }

    // ------------------------------------------------------------------ adding

    /**
     * Copies the artifact at {@code source} (a model file or directory) into the store and records
     * its artifact digest and model id, computed from the copy.
     *
     * @return the entry, freshly added or already there
     * @throws MalformedInputException if the artifact cannot be digested (a link, a special file,
     *     a file name the store cannot keep) or the identifier cannot load it
     */
    public StoredModel add(Path source, ModelIdentifier identifier) throws IOException {
        ArtifactLayout layout = ArtifactDigest.layoutOf(source);
        String fileName = null;
        if (layout == ArtifactLayout.FILE) {
            fileName = source.getFileName().toString();
            if (!FILE_NAME.matcher(fileName).matches()) {
                throw new MalformedInputException("model file name '" + fileName + "' cannot be kept in the store: it must match "
                        + FILE_NAME.pattern() + " (rename the file, keeping its extension)");
            }
        }
        Path staging = Files.createTempDirectory(root.resolve("tmp"), "add-");
        try {
            Path artifactDir = staging.resolve("artifact");
            Files.createDirectories(artifactDir);
            Path copy;
            if (layout == ArtifactLayout.FILE) {
                copy = artifactDir.resolve(fileName);
                Files.copy(source, copy, LinkOption.NOFOLLOW_LINKS);
            } else {
                for (String name : ArtifactDigest.files(source)) {
                    Path to = artifactDir.resolve(name);
                    Files.createDirectories(to.getParent());
                    Files.copy(source.resolve(name), to, LinkOption.NOFOLLOW_LINKS);
                }
                copy = artifactDir;
            }
            Digest digest = ArtifactDigest.compute(copy, layout);
            ModelIdentity id = identifier.identify(copy);
            if (!KIND.matcher(id.kind()).matches()) {
                throw new MalformedInputException("model kind '" + id.kind() + "' is not 1..32 of a-z, 0-9, '-'");
            }
            writeEntry(staging.resolve("entry.json"), digest, layout, fileName, id);
            readOnly(artifactDir);
            Path target = objectDir(digest);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Optional<StoredModel> existing = intact(digest, identifier);
                if (existing.isPresent()) {
                    log.debug("artifact {} is already in the store at {}", digest.hex(), target);
                    index(existing.get());
                    return existing.get();
                }
                Path aside = root.resolve("quarantine").resolve(digest.hex() + "-" + System.nanoTime());
                Files.createDirectories(aside.getParent());
                Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
                log.warn("the store's copy of {} was damaged; moved it to {} and stored a fresh copy", digest.hex(), aside);
            }
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                // Another adder won the race; use its copy if it is intact.
                Optional<StoredModel> existing = intact(digest, identifier);
                if (existing.isEmpty()) {
                    throw new ArtifactMismatchException("another process stored artifact " + digest.hex() + " at " + target
                            + " at the same time, and its copy does not check; run opg model add again");
                }
                index(existing.get());
                return existing.get();
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot move " + staging + " into " + target + " atomically (" + e.getMessage()
                        + "); the store's tmp and objects directories must be on one file system", e);
            }
            StoredModel stored = get(digest).orElseThrow(() -> new IOException("entry " + digest.hex() + " vanished after it was stored"));
            index(stored);
            log.info("stored model {} ({}) as artifact {} at {}", id.modelId().hex(), id.kind(), digest.hex(), stored.artifact());
            return stored;
        } finally {
            deleteTree(staging);
        }
    }

    private Optional<StoredModel> intact(Digest digest, ModelIdentifier identifier) throws IOException {
        try {
            Optional<StoredModel> m = get(digest);
            if (m.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(check(m.get(), null, identifier));
        } catch (MalformedInputException e) {
            log.warn("store entry {} does not check: {}", digest.hex(), e.getMessage());
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------ reading

    /**
     * The entry stored under {@code artifactDigest}, as its entry file says (not yet checked: see
     * {@link #check}); empty if there is none.
     *
     * @throws MalformedInputException if the entry file is damaged
     */
    public Optional<StoredModel> get(Digest artifactDigest) throws IOException {
        Path dir = objectDir(artifactDigest);
        Path entry = dir.resolve("entry.json");
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        byte[] bytes;
        try {
            if (Files.isSymbolicLink(entry) || Files.size(entry) > 4096) {
                throw damaged(artifactDigest, "entry.json is a link or larger than 4096 bytes");
            }
            bytes = Files.readAllBytes(entry);
        } catch (NoSuchFileException e) {
            throw damaged(artifactDigest, "it has no entry.json");
        }
        JsonNode n;
        try {
            n = JSON.readTree(bytes);
        } catch (IOException e) {
            throw damaged(artifactDigest, "entry.json is not valid JSON");
        }
        if (n == null || !n.isObject()) {
            throw damaged(artifactDigest, "entry.json is not a JSON object");
        }
        Set<String> fields = new TreeSet<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext();) {
            fields.add(it.next());
        }
        ArtifactLayout layout;
        try {
            layout = ArtifactLayout.fromSpecName(text(n, "layout", artifactDigest));
        } catch (MalformedInputException e) {
            throw damaged(artifactDigest, e.getMessage());
        }
        Set<String> expected = new TreeSet<>(List.of("format", "version", "artifactDigest", "layout", "modelId", "kind"));
        if (layout == ArtifactLayout.FILE) {
            expected.add("fileName");
        }
        if (!fields.equals(expected)) {
            throw damaged(artifactDigest, "entry.json has the fields " + fields + ", expected " + expected);
        }
        if (!ENTRY_FORMAT.equals(text(n, "format", artifactDigest)) || !n.get("version").isInt() || n.get("version").asInt() != 1) {
            throw damaged(artifactDigest, "entry.json is not an " + ENTRY_FORMAT + " version 1");
        }
        if (!artifactDigest.hex().equals(hex(n, "artifactDigest", artifactDigest))) {
            throw damaged(artifactDigest, "entry.json names artifact " + text(n, "artifactDigest", artifactDigest)
                    + " but lies under " + artifactDigest.hex());
        }
        Digest modelId = Digest.fromHex(hex(n, "modelId", artifactDigest));
        String kind = text(n, "kind", artifactDigest);
        if (!KIND.matcher(kind).matches()) {
            throw damaged(artifactDigest, "entry.json has the kind '" + kind + "'");
        }
        Path artifact = dir.resolve("artifact");
        if (layout == ArtifactLayout.FILE) {
            String fileName = text(n, "fileName", artifactDigest);
            if (!FILE_NAME.matcher(fileName).matches()) {
                throw damaged(artifactDigest, "entry.json has the file name '" + fileName + "'");
            }
            artifact = artifact.resolve(fileName);
        }
        return Optional.of(new StoredModel(artifactDigest, layout, modelId, kind, artifact));
    }

    /** Every entry whose entry file records {@code modelId} (not yet checked), oldest artifact digest first by name. */
    public List<StoredModel> withModelId(Digest modelId) throws IOException {
        Path dir = root.resolve("ids").resolve(modelId.hex());
        List<StoredModel> out = new ArrayList<>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        for (String name : names(dir)) {
            if (!HEX64.matcher(name).matches()) {
                continue;
            }
            try {
                get(Digest.fromHex(name)).filter(m -> m.modelId().equals(modelId)).ifPresent(out::add);
            } catch (MalformedInputException e) {
                log.warn("skipping damaged store entry {}: {}", name, e.getMessage());
            }
        }
        return out;
    }

    /** Every entry of the store (not yet checked), by artifact digest; damaged entries are skipped with a warning. */
    public List<StoredModel> list() throws IOException {
        List<StoredModel> out = new ArrayList<>();
        for (String name : names(root.resolve("objects"))) {
            if (!HEX64.matcher(name).matches()) {
                continue;
            }
            try {
                get(Digest.fromHex(name)).ifPresent(out::add);
            } catch (MalformedInputException e) {
                log.warn("skipping damaged store entry {}: {}", name, e.getMessage());
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ checking

    /**
     * Recomputes {@code m}'s artifact digest and model id from its files and requires them to be
     * the store key, the entry's model id and, if given, {@code expectedModelId}.
     *
     * @return {@code m}, checked
     * @throws ArtifactMismatchException naming the value that differs and the path
     */
    public StoredModel check(StoredModel m, Digest expectedModelId, ModelIdentifier identifier) throws IOException {
        Digest actual;
        try {
            actual = ArtifactDigest.compute(m.artifact(), m.layout());
        } catch (NoSuchFileException e) {
            throw new ArtifactMismatchException("the store's artifact " + m.artifactDigest().hex() + " is missing its file "
                    + e.getFile() + "; remove " + objectDir(m.artifactDigest()) + " and add the artifact again (opg model add)");
        }
        if (!actual.equals(m.artifactDigest())) {
            throw new ArtifactMismatchException("the artifact stored at " + m.artifact() + " has " + m.layout().inTotoAlgorithm()
                    + " " + actual.hex() + " but is stored as " + m.artifactDigest().hex()
                    + ": it was altered after it was added; it is not used. Remove " + objectDir(m.artifactDigest())
                    + " and add the artifact again from a source you trust (opg model add)");
        }
        if (expectedModelId != null && !expectedModelId.equals(m.modelId())) {
            throw new ArtifactMismatchException("the store's entry " + m.artifactDigest().hex() + " records model id "
                    + m.modelId().hex() + ", not the expected " + expectedModelId.hex());
        }
        ModelIdentity id = identifier.identify(m.artifact());
        if (!id.modelId().equals(m.modelId())) {
            throw new ArtifactMismatchException("the artifact stored at " + m.artifact() + " loads as model " + id.modelId().hex()
                    + ", but its entry records model " + m.modelId().hex() + "; it is not used. Remove "
                    + objectDir(m.artifactDigest()) + " and add the artifact again (opg model add)");
        }
        if (!id.kind().equals(m.kind())) {
            throw new ArtifactMismatchException("the artifact stored at " + m.artifact() + " loads as a " + id.kind()
                    + " model, but its entry records " + m.kind());
        }
        return m;
    }

    /**
     * The artifact stored under {@code artifactDigest}, checked to be exactly that artifact and to
     * load as {@code expectedModelId}.
     *
     * @throws ModelNotInStoreException if the store does not hold it
     * @throws ArtifactMismatchException if the stored copy does not check
     */
    public StoredModel open(Digest artifactDigest, Digest expectedModelId, ModelIdentifier identifier) throws IOException {
        StoredModel m = get(artifactDigest).orElseThrow(() -> new ModelNotInStoreException("the store " + root
                + " holds no artifact " + artifactDigest.hex() + "; fetch the model and run opg model add FILE|DIR"));
        return check(m, expectedModelId, identifier);
    }

    /**
     * An artifact of model {@code modelId}, checked; without a registry, the store's own index is
     * the only source, so the model id recomputed from the files is what binds it.
     *
     * @throws ModelNotInStoreException if the store holds none
     * @throws ArtifactMismatchException if every stored copy fails its check (the first failure)
     */
    public StoredModel findChecked(Digest modelId, ModelIdentifier identifier) throws IOException {
        List<StoredModel> candidates = withModelId(modelId);
        if (candidates.isEmpty()) {
            throw new ModelNotInStoreException("the store " + root + " holds no artifact of model " + modelId.hex()
                    + "; fetch the model and run opg model add FILE|DIR");
        }
        ArtifactMismatchException first = null;
        for (StoredModel m : candidates) {
            try {
                return check(m, modelId, identifier);
            } catch (ArtifactMismatchException e) {
                first = first == null ? e : first;
            }
        }
        throw first;
    }

    // ------------------------------------------------------------------ plumbing

    /** The directory of the artifact {@code artifactDigest}. */
    public Path objectDir(Digest artifactDigest) {
        return root.resolve("objects").resolve(artifactDigest.hex());
    }

    private void index(StoredModel m) throws IOException {
        Path dir = root.resolve("ids").resolve(m.modelId().hex());
        Files.createDirectories(dir);
        try {
            Files.createFile(dir.resolve(m.artifactDigest().hex()));
        } catch (FileAlreadyExistsException e) {
            // already indexed
        }
    }

    private static void writeEntry(Path file, Digest digest, ArtifactLayout layout, String fileName, ModelIdentity id)
            throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", ENTRY_FORMAT);
        n.put("version", 1);
        n.put("artifactDigest", digest.hex());
        n.put("layout", layout.specName());
        if (fileName != null) {
            n.put("fileName", fileName);
        }
        n.put("modelId", id.modelId().hex());
        n.put("kind", id.kind());
        Files.write(file, (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void readOnly(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).forEach(p -> p.toFile().setWritable(false, false));
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void deleteTree(Path p) {
        try {
            dev.opg.core.io.FileTrees.delete(p);
        } catch (IOException e) {
            log.warn("could not remove the staging directory {}: {}", p, e.getMessage());
        }
    }

    private static String text(JsonNode n, String field, Digest d) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw damaged(d, "entry.json lacks the string field " + field);
        }
        return v.asText();
    }

    private static String hex(JsonNode n, String field, Digest d) {
        String s = text(n, field, d);
        if (!HEX64.matcher(s).matches()) {
            throw damaged(d, "entry.json field " + field + " is not 64 lower-case hex digits");
        }
        return s;
    }

    private static ArtifactMismatchException damaged(Digest d, String why) {
        return new ArtifactMismatchException("store entry " + d.hex() + " is damaged (" + why
                + "); remove its directory objects/" + d.hex() + " and add the artifact again (opg model add)");
    }

    @Override
    public String toString() {
        return "ModelStore[" + root + "]";
    }
}
