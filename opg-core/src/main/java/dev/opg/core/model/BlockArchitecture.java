package dev.opg.core.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.util.Pair;

/**
 * The architecture description of a DJL block tree that a {@code djl-block} model commitment
 * hashes: one line per block, depth first, {@code path TAB class [TAB hyperparameters]}, then one
 * line per direct parameter, {@code path/name TAB type TAB shape}.
 *
 * <p>What it covers: the tree's shape, each block's class, parameter names and shapes,
 * convolution kernel/stride/padding/dilation/filters/groups and lambda names. What it does not: the
 * code inside a {@link LambdaBlock} (pooling, activations), which DJL keeps in a closure; two
 * lambdas with the same name and different code describe alike. The execution transcript still
 * separates them, since their outputs differ.
 */
public final class BlockArchitecture {
    private BlockArchitecture() {}

    /** The description of {@code root}. */
    public static String describe(Block root) {
        StringBuilder sb = new StringBuilder();
        walk(root, "", sb);
        return sb.toString();
    }

    private static void walk(Block block, String path, StringBuilder sb) {
        sb.append(path).append('\t').append(block.getClass().getName());
        if (block instanceof LambdaBlock l) {
            sb.append("\tname=").append(l.getName());
        } else if (block instanceof Convolution c) {
            sb.append("\tkernel=").append(c.getKernelShape()).append(" stride=").append(c.getStride())
                    .append(" pad=").append(c.getPadding()).append(" dilation=").append(c.getDilation())
                    .append(" filters=").append(c.getFilters()).append(" groups=").append(c.getGroups());
        }
        sb.append('\n');
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            Parameter param = p.getValue();
            Shape shape = param.isInitialized() ? param.getArray().getShape() : param.getShape();
            sb.append(path).append('/').append(p.getKey()).append('\t').append(param.getType())
                    .append('\t').append(shape).append('\n');
        }
        for (Pair<String, Block> child : block.getChildren()) {
            walk(child.getValue(), path + "/" + child.getKey(), sb);
        }
    }
}
