package dev.opg.spark;

import ai.djl.Model;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.stream.Stream;

/**
 * A model by path, loadable on any executor that sees the path: an {@code .onnx} file, a
 * TorchScript {@code .pt} file, or a DJL model directory ({@code opg-block.json} beside the
 * parameters), exactly what {@code opg prove --model} takes ({@link LoadedModel}). On a cluster
 * the path must exist on every executor (a shared mount, or the file shipped with
 * {@code spark-submit --files} / {@code --archives} and named by its local path).
 *
 * @param path the model's path as the executors see it
 */
public record ModelSource(String path) implements Serializable {
    private static final long serialVersionUID = 1L;

    public ModelSource {
        if (path == null || path.isBlank()) {
            throw new MalformedInputException("a model source needs a path");
        }
    }

    /** The model at {@code p}. */
    public static ModelSource of(Path p) {
        return new ModelSource(p.toAbsolutePath().toString());
    }

    /** The DJL engine the model runs on ({@code PyTorch} or {@code OnnxRuntime}). */
    public String engine() {
        try {
            return LoadedModel.engineOf(LoadedModel.kindOf(Path.of(path)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + path + ": " + e.getMessage(), e);
        }
    }

    /** Loads the model (the caller closes it); the engine's determinism profile must already be applied. */
    public Model load() throws IOException {
        return LoadedModel.load(Path.of(path));
    }

    /**
     * SHA-256 over the model's files (each regular file under the path, in order of relative name:
     * the name, its length and its bytes), hex: what lets a re-run tell that a partition file was
     * written for the same model without loading it. Not the model id (which needs the engine).
     */
    public String filesDigest() {
        Path root = Path.of(path);
        try {
            MessageDigest sha = PartitionFile.sha256();
            List<Path> files;
            if (Files.isDirectory(root)) {
                try (Stream<Path> s = Files.walk(root)) {
                    files = s.filter(Files::isRegularFile).sorted().toList();
                }
            } else if (Files.isRegularFile(root)) {
                files = List.of(root);
            } else {
                throw new MalformedInputException("model " + path + " does not exist on this machine (" + host() + ")");
            }
            byte[] buf = new byte[1 << 16];
            for (Path f : files) {
                String rel = Files.isDirectory(root) ? root.relativize(f).toString() : f.getFileName().toString();
                byte[] name = rel.getBytes(StandardCharsets.UTF_8);
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
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + path + ": " + e.getMessage(), e);
        }
    }

    static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown host";
        }
    }
}
