package dev.opg.core.store;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;

/**
 * The digest of a model artifact as it lies on disk (spec section 5.1), the value a registry entry
 * records as {@code artifactDigest}:
 * <ul>
 *   <li>a regular file: SHA-256 of its bytes (what {@code sha256sum FILE} prints; in-toto
 *       {@code sha256});</li>
 *   <li>a directory: in-toto {@code dirHash}, Go's {@code dirhash.Hash1} in hex: SHA-256 over the
 *       lines {@code hex(SHA-256(file)) SP SP name LF}, one per regular file below the directory,
 *       {@code name} its path relative to the directory with {@code /} separators, lines sorted by
 *       the UTF-8 bytes of the name (what
 *       {@code find . -type f | cut -c3- | LC_ALL=C sort | xargs -r sha256sum | sha256sum} prints
 *       inside it, for names without blanks).</li>
 * </ul>
 * Symbolic links (at the top or anywhere inside), devices, pipes and sockets are refused rather than
 * followed or skipped, as are names holding a line feed, an empty directory, more than
 * {@value #MAX_FILES} files and nesting deeper than {@value #MAX_DEPTH}.
 *
 * @param layout file or directory
 * @param digest the 32-byte digest
 */
public record ArtifactDigest(ArtifactLayout layout, Digest digest) {
    /** Most files one directory artifact may hold. */
    public static final int MAX_FILES = 65_536;
    /** Deepest nesting of directories in an artifact. */
    public static final int MAX_DEPTH = 64;

    public ArtifactDigest {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(digest, "digest");
    }

    /** The digest of the file or directory at {@code path}, whichever it is. */
    public static ArtifactDigest of(Path path) throws IOException {
        return new ArtifactDigest(layoutOf(path), compute(path, layoutOf(path)));
    }

    /** The digest of {@code path} read as {@code layout}; refused if it is not of that layout. */
    public static Digest compute(Path path, ArtifactLayout layout) throws IOException {
        ArtifactLayout actual = layoutOf(path);
        if (actual != layout) {
            throw new ArtifactMismatchException(path + " is a " + actual.specName() + ", expected a " + layout.specName());
        }
        return layout == ArtifactLayout.FILE ? ofFile(path) : ofDirectory(path);
    }

    /** Whether {@code path} is a file or a directory (a symbolic link or anything else is refused). */
    public static ArtifactLayout layoutOf(Path path) throws IOException {
        BasicFileAttributes a = attributes(path);
        if (a.isSymbolicLink()) {
            throw new MalformedInputException("model artifact " + path + " is a symbolic link; pass the file or directory itself");
        }
        if (a.isRegularFile()) {
            return ArtifactLayout.FILE;
        }
        if (a.isDirectory()) {
            return ArtifactLayout.DIRECTORY;
        }
        throw new MalformedInputException("model artifact " + path + " is neither a regular file nor a directory");
    }

    /** SHA-256 of a regular file's bytes. */
    public static Digest ofFile(Path file) throws IOException {
        BasicFileAttributes a = attributes(file);
        if (!a.isRegularFile() || a.isSymbolicLink()) {
            throw new MalformedInputException(file + " is not a regular file");
        }
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0;) {
                md.update(buf, 0, n);
            }
        }
        return Digest.of(md.digest());
    }

    /** in-toto {@code dirHash} of a directory. */
    public static Digest ofDirectory(Path dir) throws IOException {
        MessageDigest md = sha256();
        for (String name : files(dir)) {
            String line = ofFile(dir.resolve(name)).hex() + "  " + name + "\n";
            md.update(line.getBytes(StandardCharsets.UTF_8));
        }
        return Digest.of(md.digest());
    }

    /** The regular files below {@code dir}, relative with {@code /} separators, sorted by their UTF-8 bytes. */
    public static List<String> files(Path dir) throws IOException {
        if (layoutOf(dir) != ArtifactLayout.DIRECTORY) {
            throw new MalformedInputException(dir + " is not a directory");
        }
        List<String> names = new ArrayList<>();
        Files.walkFileTree(dir, EnumSet.noneOf(java.nio.file.FileVisitOption.class), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                if (dir.relativize(d).getNameCount() > MAX_DEPTH) {
                    throw new LimitExceededException("model artifact " + dir + " nests directories deeper than " + MAX_DEPTH);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                String name = relativeName(dir, f);
                if (attrs.isSymbolicLink()) {
                    throw new MalformedInputException("model artifact " + dir + " holds the symbolic link " + name
                            + "; an artifact holds regular files only (copy the file it points to)");
                }
                if (!attrs.isRegularFile()) {
                    throw new MalformedInputException("model artifact " + dir + " holds " + name
                            + ", which is not a regular file or directory");
                }
                if (name.indexOf('\n') >= 0) {
                    throw new MalformedInputException("model artifact " + dir + " holds a file whose name contains a line feed;"
                            + " dirHash cannot digest it");
                }
                if (names.size() >= MAX_FILES) {
                    throw new LimitExceededException("model artifact " + dir + " holds more than " + MAX_FILES + " files");
                }
                names.add(name);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                throw e;
            }
        });
        if (names.isEmpty()) {
            throw new MalformedInputException("model artifact " + dir + " holds no files");
        }
        names.sort((a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
        return names;
    }

    /** {@code algorithm:hex}, e.g. {@code sha256:...} or {@code dirHash:...}. */
    @Override
    public String toString() {
        return layout.inTotoAlgorithm() + ":" + digest.hex();
    }

    private static String relativeName(Path root, Path f) {
        Path rel = root.relativize(f);
        List<String> parts = new ArrayList<>(rel.getNameCount());
        for (Path p : rel) {
            parts.add(p.toString());
        }
        return String.join("/", parts);
    }

    private static BasicFileAttributes attributes(Path p) throws IOException {
        return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
