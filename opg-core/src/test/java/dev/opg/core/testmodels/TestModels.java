package dev.opg.core.testmodels;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.util.Pair;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.PyTorchProfiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Seeded models and inputs for tests in this module and downstream (opg-verify, CLI, examples,
 * benchmarks; published in opg-core's test-jar). Weights come from {@link SplittableRandom}, not
 * from the engine's RNG, so they are the same bytes in every process.
 */
public final class TestModels {
    /** Input shape of {@link #mlp}: a flattened 28 x 28 image. */
    public static final Shape MLP_INPUT = new Shape(1, 784);
    /** Input shape of {@link #cnn}: one 28 x 28 grey image. */
    public static final Shape CNN_INPUT = new Shape(1, 1, 28, 28);
    private static DeterminismProfile profile;
    private static DeterminismProfile onnxProfile;

    private TestModels() {}

    /** The PyTorch profile the tests run under (1 intra-op and 1 inter-op thread, seed 42), applied once. */
    public static synchronized DeterminismProfile pytorchProfile() {
        if (profile == null) {
            profile = PyTorchProfiles.apply(1, 1, 42);
        }
        return profile;
    }

    /** MLP 784 -> 64 -> ReLU -> 32 -> ReLU -> 10, weights from {@code seed}. */
    public static Model mlp(long seed) {
        SequentialBlock b = new SequentialBlock()
                .add(Linear.builder().setUnits(64).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(32).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(10).build());
        return build("mlp", b, MLP_INPUT, seed);
    }

    /** CNN: conv 3x3 (8 filters) -> batch norm -> ReLU -> max pool 2 -> (conv 3x3 (8) -> ReLU) -> flatten -> linear 10. */
    public static Model cnn(long seed) {
        SequentialBlock inner = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(8).build())
                .add(Activation.reluBlock());
        SequentialBlock b = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(8).build())
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(inner)
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(10).build());
        return build("cnn", b, CNN_INPUT, seed);
    }

    private static Model build(String name, SequentialBlock block, Shape input, long seed) {
        Model model = Model.newInstance(name, "PyTorch");
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, input);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            boolean variance = p.getKey().endsWith("runningVar");
            for (int i = 0; i < v.length; i++) {
                v[i] = variance ? (float) (0.5 + rnd.nextDouble()) : (float) ((rnd.nextDouble() - 0.5) * 0.2);
            }
            a.set(v);
        }
        return model;
    }

    /** A seeded input in [0, 1). */
    public static NDList input(NDManager manager, Shape shape, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = new float[(int) shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextDouble();
        }
        return new NDList(manager.create(v, shape));
    }

    /** The repository root (system property {@code opg.repo.root}, else the working directory's parent chain). */
    public static Path repoRoot() {
        String p = System.getProperty("opg.repo.root");
        Path root = p != null ? Path.of(p) : Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("opg-core"))) {
            root = root.getParent();
        }
        if (root == null) {
            throw new IllegalStateException("cannot find the repository root; set -Dopg.repo.root");
        }
        return root;
    }

    /** Silero VAD v5 from npm {@code @ricky0123/vad-web}. */
    public static Path sileroVadV5() {
        Path p = repoRoot().resolve("node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("Silero VAD model missing at " + p + "; run `npm ci` in the repository root");
        }
        return p;
    }

    /** The ONNX Runtime profile the ONNX tests run under (1 intra-op and 1 inter-op thread, seed 0). */
    public static synchronized DeterminismProfile onnxProfile() {
        if (onnxProfile == null) {
            onnxProfile = dev.opg.core.onnx.OnnxProfiles.apply(1, 1, 0);
        }
        return onnxProfile;
    }

    /** Loads an ONNX file with DJL's OnnxRuntime engine (the model's name is the file name without {@code .onnx}). */
    public static Model loadOnnx(Path file) throws java.io.IOException, ai.djl.MalformedModelException {
        String name = file.getFileName().toString().replaceFirst("\\.onnx$", "");
        Model m = Model.newInstance(name, "OnnxRuntime");
        m.load(file.getParent(), name);
        return m;
    }

    /**
     * A seeded Silero VAD input: {@code input} float32 [1, 512] (16 kHz; [1, 256] at 8 kHz) in [-0.5, 0.5), {@code state}
     * float32 [2, 1, 128] zeros, {@code sr} int64 scalar {@code sampleRate}.
     */
    public static NDList sileroInput(NDManager manager, long seed, long sampleRate) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = new float[sampleRate == 8000 ? 256 : 512];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextDouble() - 0.5);
        }
        return new NDList(manager.create(v, new Shape(1, v.length)), manager.zeros(new Shape(2, 1, 128)),
                manager.create(sampleRate));
    }

    /** The committed TorchScript fixture (written by opg-core/scripts/make_torchscript_fixture.py). */
    public static Path torchScriptFixture() {
        Path p = repoRoot().resolve("opg-core/src/test/resources/torchscript/tiny_convnet.pt");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("TorchScript fixture missing at " + p
                    + "; regenerate it with /usr/bin/python3 opg-core/scripts/make_torchscript_fixture.py " + p);
        }
        return p;
    }
}
