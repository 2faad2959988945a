package dev.opg.core;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locates files of the repository (spec vectors, npm fixtures) from a test. */
public final class RepoFiles {
    private RepoFiles() {}

    /** The repository root: the {@code opg.repo.root} system property Surefire sets, else the nearest parent holding {@code spec/}. */
    public static Path root() {
        String prop = System.getProperty("opg.repo.root");
        if (prop != null && Files.isDirectory(Paths.get(prop, "spec"))) {
            return Paths.get(prop);
        }
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("spec/vectors"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the repository root (no spec/vectors above "
                + Paths.get("").toAbsolutePath() + "); run the tests from the repository");
    }

    public static Path resolve(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException(relative + " is missing under " + root());
        }
        return p;
    }
}
