package dev.opg.core.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.opg.core.djl.UnsupportedModelException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The architecture description of a DJL block tree that a {@code djl-block} model commitment
 * hashes (version 2; the grammar is in {@code docs/transcript-spec.md} section 3.5).
 *
 * <pre>
 * OPG-DJL-BLOCK TAB 2 LF
 * path TAB class [TAB field=value (SP field=value)*] LF      one per block, depth first
 * path/name TAB type TAB shape LF                           one per direct parameter
 * </pre>
 *
 * <p>What it covers: the tree's shape, each block's class, parameter names, types and shapes, and
 * every instance field that a block class below {@link AbstractBlock} declares (pooling kernel,
 * stride, padding and ceil mode, convolution hyperparameters, norms' axis/epsilon/momentum/center/
 * scale, linear units, dropout rate, {@code SequentialBlock.returnIntermediate}, ...), except
 * parameters, child blocks and the three fields DJL derives from the initialization shape
 * ({@code inputShape}, {@code inputFeatures}, {@code inChannels}). A function-valued field (a
 * {@link LambdaBlock}'s lambda, a {@code ParallelBlock}'s join) is rendered as the class that
 * defines the lambda and the values it captured, recursively, so {@code Pool.maxPool2dBlock(k, s)}
 * shows its kernel, stride, padding and ceil mode.
 *
 * <p>What it does not cover: the bytecode of a lambda. Two lambdas defined in the same class,
 * with the same block name and the same captured values, describe alike. That is sound for DJL's
 * built-in blocks and opg's {@code opg-block.json} layers, whose (class, name) fixes the code; a
 * library user who writes lambdas must give each distinct code its own name. A field or captured
 * value of any other type (an arbitrary object) is refused with {@link UnsupportedModelException},
 * since its effect on the output cannot be described.
 */
public final class BlockArchitecture {
    /** The first line of a version-2 text; version 1 had no header line. */
    public static final String HEADER = "OPG-DJL-BLOCK\t2\n";
    private static final Set<String> DERIVED_FROM_INPUT = Set.of("inputShape", "inputFeatures", "inChannels");
    private static final int MAX_LAMBDA_DEPTH = 8;

    private BlockArchitecture() {}

    /**
     * The description of {@code root}.
     *
     * @throws UnsupportedModelException if a block holds a value whose effect cannot be described
     */
    public static String describe(Block root) {
        StringBuilder sb = new StringBuilder(HEADER);
        walk(root, "", sb);
        return sb.toString();
    }

    private static void walk(Block block, String path, StringBuilder sb) {
        sb.append(path).append('\t').append(block.getClass().getName());
        String fields = fields(block, path);
        if (!fields.isEmpty()) {
            sb.append('\t').append(fields);
        }
        sb.append('\n');
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            Parameter param = p.getValue();
            Shape shape = param.isInitialized() ? param.getArray().getShape() : param.getShape();
            sb.append(path).append('/').append(escape(p.getKey())).append('\t').append(param.getType())
                    .append('\t').append(shape(shape == null ? new long[0] : shape.getShape())).append('\n');
        }
        for (Pair<String, Block> child : block.getChildren()) {
            walk(child.getValue(), path + "/" + escape(child.getKey()), sb);
        }
    }

    /** {@code field=value} pairs, superclass fields first, then by name within a class. */
    private static String fields(Block block, String path) {
        List<Class<?>> chain = new ArrayList<>();
        for (Class<?> c = block.getClass(); c != null && c != AbstractBlock.class && c != Object.class; c = c.getSuperclass()) {
            chain.add(0, c);
        }
        StringBuilder sb = new StringBuilder();
        for (Class<?> c : chain) {
            List<Field> fs = new ArrayList<>();
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic() || DERIVED_FROM_INPUT.contains(f.getName())
                        || Parameter.class.isAssignableFrom(f.getType()) || Block.class.isAssignableFrom(f.getType())) {
                    continue;
                }
                fs.add(f);
            }
            fs.sort(Comparator.comparing(Field::getName));
            for (Field f : fs) {
                sb.append(sb.length() == 0 ? "" : " ").append(escape(f.getName())).append('=')
                        .append(value(read(f, block, path), path + " field " + f.getName(), 0));
            }
        }
        return sb.toString();
    }

    private static Object read(Field f, Object owner, String where) {
        try {
            f.setAccessible(true);
            return f.get(owner);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new UnsupportedModelException("block '" + where + "': cannot read " + f.getName() + " to commit to it ("
                    + e.getMessage() + "); opg refuses blocks it cannot describe", e);
        }
    }

    private static String value(Object v, String where, int depth) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return v.toString();
        }
        if (v instanceof Float f) {
            return String.format("f32:%08x", Float.floatToRawIntBits(f));
        }
        if (v instanceof Double d) {
            return String.format("f64:%016x", Double.doubleToRawLongBits(d));
        }
        if (v instanceof Character ch) {
            return "\"" + escape(String.valueOf(ch)) + "\"";
        }
        if (v instanceof String s) {
            return "\"" + escape(s) + "\"";
        }
        if (v instanceof Enum<?> e) {
            return e.name();
        }
        if (v instanceof Shape s) {
            return shape(s.getShape());
        }
        if (v instanceof long[] a) {
            return shape(a);
        }
        if (v instanceof int[] a) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < a.length; i++) {
                sb.append(i == 0 ? "" : ",").append(a[i]);
            }
            return sb.append(']').toString();
        }
        Class<?> c = v.getClass();
        int lambda = c.getName().indexOf("$$Lambda");
        if (lambda > 0 && depth < MAX_LAMBDA_DEPTH) {
            // a lambda: its defining class and its captured values in capture order (arg$1, arg$2, ...)
            List<Field> captured = new ArrayList<>();
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    captured.add(f);
                }
            }
            captured.sort(Comparator.comparingInt(f -> argIndex(f.getName())));
            StringBuilder sb = new StringBuilder("fn<").append(c.getName(), 0, lambda).append(">(");
            for (int i = 0; i < captured.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(value(read(captured.get(i), v, where), where, depth + 1));
            }
            return sb.append(')').toString();
        }
        throw new UnsupportedModelException("block '" + where + "' holds a " + c.getName() + ", whose effect on the output "
                + "opg cannot describe in the model id; opg refuses such blocks (supported: numbers, booleans, strings, "
                + "enums, shapes, integer arrays and lambdas capturing those)");
    }

    private static int argIndex(String name) {
        int d = name.lastIndexOf('$');
        try {
            return Integer.parseInt(name.substring(d + 1));
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static String shape(long[] dims) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            sb.append(i == 0 ? "" : ",").append(dims[i]);
        }
        return sb.append(']').toString();
    }

    /** Escapes '\', '/', '=', '"', space, TAB, LF and CR so paths, names and values never split a line or a field. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\\' -> sb.append("\\\\");
                case '/' -> sb.append("\\/");
                case '=' -> sb.append("\\=");
                case '"' -> sb.append("\\\"");
                case ' ' -> sb.append("\\s");
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }
}
