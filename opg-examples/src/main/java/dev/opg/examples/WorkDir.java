package dev.opg.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The directory an example writes into: the one its first argument names (kept), or a temporary one (removed at the end). */
final class WorkDir implements AutoCloseable {
    private final Path path;
    private final boolean temporary;

    private WorkDir(Path path, boolean temporary) {
        this.path = path;
        this.temporary = temporary;
    }

    /** {@code args[0]} when given and not blank, else a new temporary directory named after {@code prefix}. */
    static WorkDir of(String[] args, String prefix) throws IOException {
        if (args.length > 0 && !args[0].isBlank()) {
            return new WorkDir(Path.of(args[0]), false);
        }
        Path p = Files.createTempDirectory(prefix);
        System.out.println("work dir " + p + " (temporary, removed at the end; pass a directory as the first argument to keep the files)");
        return new WorkDir(p, true);
    }

    Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        if (temporary) {
            dev.opg.core.io.FileTrees.delete(path);
        }
    }
}
