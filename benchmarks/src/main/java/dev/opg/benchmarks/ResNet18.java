package dev.opg.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.util.Pair;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A ResNet-18-sized CNN built from DJL blocks (He et al. 2016, the 18-layer variant: 11.7 M
 * parameters, 1.8 GFLOPs at 224 x 224), with random weights from a fixed seed. The top-level
 * {@link SequentialBlock} has six children, so opg's default block partition (a block per child)
 * is: the stem (7x7/2 conv, BatchNorm, ReLU, 3x3/2 max pool), the four stages of two basic
 * residual units each (64, 128, 256, 512 channels; stages 2-4 start with stride 2 and a 1x1/2
 * projection shortcut), and the head (global average pool, flatten, linear 1000).
 *
 * <p>A residual unit is DJL's residual pattern: a {@link SequentialBlock} of a {@link ParallelBlock}
 * summing the main branch (3x3 conv, BatchNorm, ReLU, 3x3 conv, BatchNorm) and the shortcut
 * (identity, or the projection), then a ReLU. opg's node granularity records the ParallelBlock as
 * one step (its wiring is DJL's), so a unit is two node steps and the model 23.
 *
 * <p>Weights: He-uniform for convolutions (bound sqrt(6 / fan in)), uniform sqrt(1 / fan in) for
 * the linear layer, BatchNorm gamma in [0.8, 1.2), beta and running mean in [-0.1, 0.1), running
 * variance in [0.5, 1.5): activations stay of order one through all 18 layers (no overflow, no
 * subnormal floats that would slow the kernels down).
 */
final class ResNet18 {
    /** One 224 x 224 RGB image, NCHW. */
    static final Shape INPUT = new Shape(1, 3, 224, 224);

    private ResNet18() {}

    /** The model on {@code engine}, weights from {@code seed}. */
    static Model build(String engine, long seed) {
        SequentialBlock net = new SequentialBlock()
                .add(new SequentialBlock()
                        .add(conv(64, 7, 2, 3))
                        .add(BatchNorm.builder().build())
                        .add(Activation.reluBlock())
                        .add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1))))
                .add(stage(64, 1))
                .add(stage(128, 2))
                .add(stage(256, 2))
                .add(stage(512, 2))
                .add(new SequentialBlock()
                        .add(Pool.globalAvgPool2dBlock())
                        .add(Blocks.batchFlattenBlock())
                        .add(Linear.builder().setUnits(1000).build()));
        Model model = Model.newInstance("resnet18", engine);
        model.setBlock(net);
        net.initialize(model.getNDManager(), DataType.FLOAT32, INPUT);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Pair<String, Parameter> p : net.getParameters()) {
            NDArray a = p.getValue().getArray();
            String name = p.getKey();
            long[] shape = a.getShape().getShape();
            long fanIn = shape.length > 1 ? a.size() / shape[0] : 1;
            float[] v = new float[(int) a.size()];
            for (int i = 0; i < v.length; i++) {
                double u = rnd.nextDouble();
                v[i] = (float) (name.endsWith("runningVar") ? 0.5 + u
                        : name.endsWith("gamma") ? 0.8 + 0.4 * u
                        : name.endsWith("beta") || name.endsWith("runningMean") || name.endsWith("bias") ? (u - 0.5) * 0.2
                        : shape.length == 4 ? (2 * u - 1) * Math.sqrt(6.0 / fanIn)
                        : (2 * u - 1) * Math.sqrt(1.0 / fanIn));
            }
            a.set(v);
        }
        return model;
    }

    private static Block conv(int filters, int kernel, int stride, int pad) {
        return Conv2d.builder().setFilters(filters).setKernelShape(new Shape(kernel, kernel)).optStride(new Shape(stride, stride))
                .optPadding(new Shape(pad, pad)).optBias(false).build();
    }

    private static Block stage(int filters, int stride) {
        return new SequentialBlock().add(unit(filters, stride)).add(unit(filters, 1));
    }

    private static Block unit(int filters, int stride) {
        SequentialBlock main = new SequentialBlock()
                .add(conv(filters, 3, stride, 1))
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(conv(filters, 3, 1, 1))
                .add(BatchNorm.builder().build());
        Block shortcut = stride == 1 && filters == 64
                ? Blocks.identityBlock()
                : new SequentialBlock().add(conv(filters, 1, stride, 0)).add(BatchNorm.builder().build());
        ParallelBlock sum = new ParallelBlock(
                list -> new NDList(list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow())), List.of(main, shortcut));
        return new SequentialBlock().add(sum).add(Activation.reluBlock());
    }
}
