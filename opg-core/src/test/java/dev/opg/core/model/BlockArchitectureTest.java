package dev.opg.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import dev.opg.core.Digest;
import dev.opg.core.djl.UnsupportedModelException;
import dev.opg.core.testmodels.TestModels;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, class 4 (DJL): a block that differs only in a hyperparameter that changes its
 * output gets another model id; an honest rebuild gets the same id.
 */
class BlockArchitectureTest {
    private static final Shape INPUT = new Shape(1, 1, 8, 8);

    /** conv-free CNN: pool -> batch norm -> activation -> dropout -> flatten -> linear; all weights zero-seeded alike. */
    private static Model model(Supplier<Block> pool, Supplier<Block> norm, Supplier<Block> act, Supplier<Block> drop) {
        SequentialBlock b = new SequentialBlock().add(pool.get()).add(norm.get()).add(act.get()).add(drop.get())
                .add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(3).build());
        Model m = Model.newInstance("arch", "PyTorch");
        m.setBlock(b);
        b.initialize(m.getNDManager(), DataType.FLOAT32, INPUT);
        for (var p : b.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = p.getKey().endsWith("runningVar") ? 1f : (i % 7) * 0.1f - 0.3f;
            }
            a.set(v);
        }
        return m;
    }

    private static final Supplier<Block> POOL = () -> Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2));
    private static final Supplier<Block> NORM = () -> BatchNorm.builder().build();
    private static final Supplier<Block> ACT = () -> Activation.leakyReluBlock(0.1f);
    private static final Supplier<Block> DROP = () -> Dropout.builder().optRate(0.5f).build();

    private static Digest id(Model m) {
        try (m) {
            return ModelCommitment.ofBlock(m.getBlock()).modelId();
        }
    }

    private static float[] run(Model m) {
        try (m; NDManager nd = NDManager.newBaseManager()) {
            float[] x = new float[64];
            for (int i = 0; i < x.length; i++) {
                x[i] = (i * 37 % 11) - 5f;
            }
            NDList out = m.getBlock().forward(new ParameterStore(nd, false), new NDList(nd.create(x, INPUT)), false);
            return out.singletonOrThrow().toFloatArray();
        }
    }

    @Test
    void anHonestRebuildHasTheSameIdAndTheTextShowsEveryHyperparameter() {
        TestModels.pytorchProfile();
        assertEquals(id(model(POOL, NORM, ACT, DROP)), id(model(POOL, NORM, ACT, DROP)));
        try (Model m = model(POOL, NORM, ACT, DROP)) {
            String text = BlockArchitecture.describe(m.getBlock());
            assertTrue(text.startsWith(BlockArchitecture.HEADER), text);
            // kernel, stride, padding, ceil mode of the pool, captured by the lambda
            assertTrue(text.contains("fn<ai.djl.nn.pooling.Pool>([2,2],[2,2],[0,0],false)"), text);
            assertTrue(text.contains("epsilon=f32:") && text.contains("axis=1") && text.contains("rate=f32:3f000000"), text);
            assertTrue(text.contains("units=3"), text);
        }
        try (Model m = TestModels.cnn(1)) {
            String text = BlockArchitecture.describe(m.getBlock());
            if (System.getenv("OPG_PRINT_ARCH") != null) {
                System.out.println("ARCH-TEXT-BEGIN\n" + text + "ARCH-TEXT-END");
                ModelCommitment.ofBlock(m.getBlock()).parameters().forEach(p -> System.out.println("PARAM " + p.name()));
            }
            assertTrue(text.contains("filters=8") && text.contains("kernelShape=[3,3]") && text.contains("padding=[1,1]"), text);
        }
    }

    @Test
    void aMaxPoolStrideChangeChangesTheOutputAndTheId() {
        TestModels.pytorchProfile();
        Supplier<Block> stride1 = () -> Pool.maxPool2dBlock(new Shape(2, 2), new Shape(1, 1));
        Supplier<Block> ceil = () -> Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(0, 0), true);
        Supplier<Block> floor = () -> Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(0, 0), false);
        // the attack is real: same parameters (shapes differ with stride, so compare a ceil/floor pair too)
        assertNotEquals(id(model(POOL, NORM, ACT, DROP)), id(model(stride1, NORM, ACT, DROP)));
        assertNotEquals(id(model(ceil, NORM, ACT, DROP)), id(model(floor, NORM, ACT, DROP)));
        Supplier<Block> k3s1 = () -> Pool.maxPool2dBlock(new Shape(3, 3), new Shape(1, 1), new Shape(1, 1), false);
        Supplier<Block> k3s1avg = () -> Pool.avgPool2dBlock(new Shape(3, 3), new Shape(1, 1), new Shape(1, 1), false, true);
        // same parameter shapes, other outputs: only the architecture text can tell them apart
        assertNotEquals(java.util.Arrays.toString(run(model(k3s1, NORM, ACT, DROP))),
                java.util.Arrays.toString(run(model(k3s1avg, NORM, ACT, DROP))));
        assertNotEquals(id(model(k3s1, NORM, ACT, DROP)), id(model(k3s1avg, NORM, ACT, DROP)));
    }

    @Test
    void normActivationAndDropoutHyperparametersAreInTheId() {
        TestModels.pytorchProfile();
        Digest honest = id(model(POOL, NORM, ACT, DROP));
        assertNotEquals(honest, id(model(POOL, () -> BatchNorm.builder().optEpsilon(0.5f).build(), ACT, DROP)));
        assertNotEquals(honest, id(model(POOL, NORM, () -> Activation.leakyReluBlock(0.2f), DROP)));
        assertNotEquals(honest, id(model(POOL, NORM, () -> Activation.eluBlock(0.1f), DROP)));
        assertNotEquals(honest, id(model(POOL, NORM, ACT, () -> Dropout.builder().optRate(0.25f).build())));
        // output differs for the epsilon change: the attack the id now catches
        assertNotEquals(java.util.Arrays.toString(run(model(POOL, NORM, ACT, DROP))),
                java.util.Arrays.toString(run(model(POOL, () -> BatchNorm.builder().optEpsilon(0.5f).build(), ACT, DROP))));
    }

    /** A lambda capturing an arbitrary object cannot be described; it is refused, not committed by name. */
    @Test
    void aLambdaCapturingAnArbitraryObjectIsRefused() {
        Object state = new Object() {
            float scale = 2f;
        };
        Function<NDList, NDList> f = x -> new NDList(x.singletonOrThrow().mul(state.hashCode() == 0 ? 1 : 2));
        Block b = new SequentialBlock().add(new LambdaBlock(f, "scale"));
        assertThrows(UnsupportedModelException.class, () -> BlockArchitecture.describe(b));
    }

    @Test
    void namesThatCouldSplitALineOrAFieldAreEscaped() {
        assertEquals("a\\/b\\s\\=\\t\\n\\r\\\\\\\"", BlockArchitecture.escape("a/b =\t\n\r\\\""));
    }
}
