package dev.opg.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Facts a benchmark learns while it runs and the results table needs beside the timings (steps
 * per model, bytes per transcript step, questions a bisection asked): one file per fact, named by
 * its key, in the folder given by {@code -Dopg.bench.facts} (default
 * {@code benchmarks/target/facts}; JMH passes the host's {@code -D} options to its forks).
 */
final class Facts {
    static final String PROPERTY = "opg.bench.facts";

    private Facts() {}

    static void put(String key, Object value) {
        Path dir = Path.of(System.getProperty(PROPERTY, "benchmarks/target/facts"));
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(key), String.valueOf(value), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write benchmark fact " + key + " to " + dir, e);
        }
    }
}
