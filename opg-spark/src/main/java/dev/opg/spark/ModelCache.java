package dev.opg.spark;

import dev.opg.core.Hex;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.io.FileTrees;
import dev.opg.core.store.ModelStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This machine's copies of models that live on a Hadoop file system ({@code hdfs://},
 * {@code s3a://}, ...): an engine loads a model from local files, so each executor (and the driver)
 * fetches the model's file or directory tree once per version of it and loads the copy.
 *
 * <p>A version is the remote listing: every file's name relative to the model, its length and its
 * modification time. The copy of a version lives under
 * {@code <cache>/<hash of the URI>/<hash of the listing>/<the model's own name>} ({@code <cache>}:
 * the system property {@value #DIR_PROPERTY}, else {@code opg-model-cache} in the temporary
 * directory; created readable by its user alone, and refused if another user owns it). It is written in a temporary directory, checked (each file's length, and the listing
 * read again after the copy, so that a model changed while it was fetched is refused), and renamed
 * into place in one step, so that a task never loads half a copy and two tasks that fetch at once
 * leave one. A changed model is a new listing, hence a new copy; nothing is taken from a copy whose
 * listing differs. The bytes themselves are not trusted on the listing's word: the executor's model
 * id ({@link ModelSource#check}) and, for re-use across runs, the digest of the copied files
 * ({@link ModelSource#filesDigest()}) are computed from the copy.
 */
final class ModelCache {
    private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
    /** The system property naming the cache directory. */
    static final String DIR_PROPERTY = "opg.spark.modelCache";
    /** The most files a model may have. */
    static final int MAX_FILES = 10_000;
    private static final String COMPLETE = ".opg-complete";
    /** The copy last fetched in this JVM for each model URI. */
    private static final Map<String, Path> FETCHED = new ConcurrentHashMap<>();

    private ModelCache() {}

    /** The copy of {@code uri} this JVM fetched last, if any. */
    static Optional<Path> fetched(String uri) {
        return Optional.ofNullable(FETCHED.get(uri));
    }

    static Path root() {
        String p = System.getProperty(DIR_PROPERTY);
        return p != null && !p.isBlank() ? Path.of(p) : Path.of(System.getProperty("java.io.tmpdir"), "opg-model-cache");
    }

    /**
     * The cache directory, created readable by this user alone where the file system has POSIX
     * permissions; one that exists and belongs to another user is refused (whoever can write it
     * can plant a copy that this machine would load).
     */
    static Path privateRoot() throws IOException {
        Path r = root().toAbsolutePath();
        if (!Files.exists(r)) {
            Files.createDirectories(r.getParent());
            try {
                Files.createDirectory(r, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException e) {
                Files.createDirectories(r);
            } catch (FileAlreadyExistsException e) {
                // made by another task meanwhile: checked below like any existing one
            }
        }
        try {
            java.nio.file.attribute.UserPrincipal owner = Files.getOwner(r);
            java.nio.file.attribute.UserPrincipal me = whoAmI();
            if (!owner.equals(me)) {
                throw new OpgException("the model cache " + r + " belongs to " + owner.getName() + ", not to " + me.getName()
                        + "; set the system property " + DIR_PROPERTY + " to a directory of your own");
            }
        } catch (UnsupportedOperationException e) {
            // no owners on this file system
        }
        return r;
    }

    /** The owner of a file this process creates (no name lookup: a user without a passwd entry still compares). */
    private static java.nio.file.attribute.UserPrincipal whoAmI() throws IOException {
        Path probe = Files.createTempFile("opg-owner-", ".tmp");
        try {
            return Files.getOwner(probe);
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    /** One remote file of a model: its name relative to the model (empty for a model that is one file), length, modification time. */
    private record Entry(String name, long length, long modified, org.apache.hadoop.fs.Path path) {}

    /**
     * The local copy of the model at {@code uri} (a file or a directory tree), fetched through
     * {@code conf} unless this machine holds the copy of its current version.
     *
     * @throws MalformedInputException if nothing is at {@code uri}, or a name in it is not one a local file can have
     * @throws LimitExceededException if the model has more than {@value #MAX_FILES} files
     * @throws OpgException if the model changed while it was fetched
     */
    static synchronized Path fetch(String uri, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(uri);
        FileSystem fs = src.getFileSystem(conf);
        List<Entry> listing = list(fs, src, uri);
        String name = src.getName();
        if (!plain(name)) {
            throw new MalformedInputException("the model " + uri + " is named '" + name + "'; a local copy needs a plain file name");
        }
        Path dir = privateRoot().resolve(hash(uri).substring(0, 24)).resolve(hash(describe(listing)).substring(0, 32));
        Path copy = dir.resolve(name);
        if (Files.isRegularFile(dir.resolve(COMPLETE))) {
            FETCHED.put(uri, copy);
            return copy;
        }
        Files.createDirectories(dir.getParent());
        Path tmp = Files.createTempDirectory(dir.getParent(), "fetch-");
        try {
            long bytes = 0;
            for (Entry e : listing) {
                Path local = e.name().isEmpty() ? tmp.resolve(name) : tmp.resolve(name).resolve(e.name()).normalize();
                if (!local.startsWith(tmp.resolve(name))) {
                    throw new MalformedInputException("the model " + uri + " holds '" + e.name() + "', which would land outside its copy");
                }
                Files.createDirectories(local.getParent());
                try (InputStream in = fs.open(e.path())) {
                    Files.copy(in, local);
                }
                if (Files.size(local) != e.length()) {
                    throw new OpgException("fetching " + e.path() + " gave " + Files.size(local) + " bytes; its listing says " + e.length());
                }
                bytes += e.length();
            }
            if (!describe(list(fs, src, uri)).equals(describe(listing))) {
                throw new OpgException("the model " + uri + " changed while it was fetched; run the job again once it is in place");
            }
            Files.writeString(tmp.resolve(COMPLETE), describe(listing), StandardCharsets.UTF_8);
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                LOG.info("fetched {} ({} files, {} bytes) to {}", uri, listing.size(), bytes, copy);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                if (!Files.isRegularFile(dir.resolve(COMPLETE))) {
                    throw new OpgException("cannot put the copy of " + uri + " in place at " + dir + ": " + e, e);
                }
                delete(tmp); // another task of this machine fetched the same version first
            }
        } catch (IOException | RuntimeException e) {
            delete(tmp);
            throw e;
        }
        FETCHED.put(uri, copy);
        return copy;
    }

    private static List<Entry> list(FileSystem fs, org.apache.hadoop.fs.Path src, String uri) throws IOException {
        FileStatus top;
        try {
            top = fs.getFileStatus(src);
        } catch (FileNotFoundException e) {
            throw new MalformedInputException("there is no model at " + uri, e);
        }
        List<Entry> out = new ArrayList<>();
        if (!top.isDirectory()) {
            out.add(new Entry("", top.getLen(), top.getModificationTime(), top.getPath()));
            return out;
        }
        String base = top.getPath().toUri().getPath();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(top.getPath(), true);
        while (it.hasNext()) {
            LocatedFileStatus f = it.next();
            if (out.size() == MAX_FILES) {
                throw new LimitExceededException("the model " + uri + " has more than " + MAX_FILES + " files");
            }
            String p = f.getPath().toUri().getPath();
            if (!p.startsWith(base + "/")) {
                throw new MalformedInputException("the model " + uri + " lists " + p + ", which is not under it");
            }
            String rel = p.substring(base.length() + 1);
            for (String part : rel.split("/", -1)) {
                if (!plain(part)) {
                    throw new MalformedInputException("the model " + uri + " holds '" + rel + "'; a local copy needs plain file names");
                }
            }
            out.add(new Entry(rel, f.getLen(), f.getModificationTime(), f.getPath()));
        }
        out.sort(Comparator.comparing(Entry::name));
        return out;
    }

    /** Whether {@code name} is a plain file name a copy may use: the model store's rule (no separators, no "." or ".."). */
    private static boolean plain(String name) {
        return ModelStore.FILE_NAME.matcher(name).matches();
    }

    private static String describe(List<Entry> listing) {
        StringBuilder sb = new StringBuilder();
        for (Entry e : listing) {
            sb.append(e.name()).append('\t').append(e.length()).append('\t').append(e.modified()).append('\n');
        }
        return sb.toString();
    }

    private static String hash(String s) {
        MessageDigest md = PartitionFile.sha256();
        return Hex.encode(md.digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    private static void delete(Path p) {
        try {
            FileTrees.delete(p);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", p, e.getMessage());
        }
    }
}
