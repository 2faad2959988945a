package dev.opg.core.onnx;

import dev.opg.core.onnx.OnnxGraph.FlatNode;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A static check on a list of nodes: is a value they compute determined by the dtypes and shapes
 * of the model inputs alone, whatever the elements of those inputs? Exporters guard code paths
 * with such values ({@code Shape} or {@code Size} of an intermediate, then {@code Gather},
 * {@code Equal}, {@code Not}, {@code Cast}); Silero VAD's nested {@code If} conditions are of this
 * kind. A condition proven so can be remembered by the input shapes instead of their bytes.
 *
 * <p>Two facts are tracked per value, from the model inputs forward in graph order:
 * <ul>
 *   <li><em>value known</em>: its elements are a function of the model input dtypes and shapes:
 *       initializers, {@code Constant} outputs, {@code Shape} and {@code Size} of a value whose
 *       shape is known, and the outputs of any other deterministic node of the default domain
 *       all of whose inputs (including the values its subgraphs read) are value known;</li>
 *   <li><em>shape known</em>: its dtype and shape are such a function: the model inputs, any value
 *       known value, and the outputs of the operators in {@link #RULES}, whose output shapes are
 *       fixed by their attributes, the shapes of some inputs and the elements of others (ONNX
 *       operator specifications), when those inputs are shape known or value known as the rule asks.</li>
 * </ul>
 * Anything else (an operator not listed, such as {@code NonZero}, whose output shape depends on
 * its input's elements; another domain; a name the list does not define) is neither, so the
 * check fails closed: a value it does not prove stays keyed by the input bytes.
 */
final class ShapeDependence {
    /** Operators whose outputs are not a function of their inputs (random draws; Dropout in training mode). */
    private static final Set<String> NOT_FUNCTIONS = Set.of("RandomNormal", "RandomUniform", "RandomNormalLike",
            "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout");

    private ShapeDependence() {}

    /** How an operator's output shapes follow from its inputs. */
    private record Rule(boolean allShapes, int[] shapes, int[] values) {
        /** Output shapes from the shapes of every input (elementwise and broadcasting operators, Conv, MatMul, LSTM, ...). */
        static Rule all() {
            return new Rule(true, new int[0], new int[0]);
        }

        /** Output shapes from the shape of input 0 and the elements of the inputs {@code values} (where present). */
        static Rule dataAnd(int... values) {
            return new Rule(false, new int[] {0}, values);
        }

        /** Output shapes from the elements of the inputs {@code values}. */
        static Rule valuesOf(int... values) {
            return new Rule(false, new int[0], values);
        }
    }

    /** Default-domain operators whose output shapes are determined as their rule says; attributes are part of the model. */
    static final Map<String, Rule> RULES = Map.ofEntries(
            // elementwise, unary: output shape is the input's
            Map.entry("Identity", Rule.all()), Map.entry("Cast", Rule.all()), Map.entry("Relu", Rule.all()),
            Map.entry("Sqrt", Rule.all()), Map.entry("Not", Rule.all()), Map.entry("Neg", Rule.all()), Map.entry("Abs", Rule.all()),
            Map.entry("Exp", Rule.all()), Map.entry("Log", Rule.all()), Map.entry("Sigmoid", Rule.all()), Map.entry("Tanh", Rule.all()),
            Map.entry("Erf", Rule.all()), Map.entry("Softmax", Rule.all()), Map.entry("LogSoftmax", Rule.all()),
            Map.entry("Reciprocal", Rule.all()), Map.entry("Floor", Rule.all()), Map.entry("Ceil", Rule.all()),
            Map.entry("Round", Rule.all()), Map.entry("Sign", Rule.all()), Map.entry("LeakyRelu", Rule.all()),
            Map.entry("Elu", Rule.all()), Map.entry("Gelu", Rule.all()), Map.entry("Softplus", Rule.all()),
            Map.entry("Sin", Rule.all()), Map.entry("Cos", Rule.all()), Map.entry("IsNaN", Rule.all()), Map.entry("IsInf", Rule.all()),
            Map.entry("Clip", Rule.all()),
            // broadcasting: output shape is the broadcast of the input shapes
            Map.entry("Add", Rule.all()), Map.entry("Sub", Rule.all()), Map.entry("Mul", Rule.all()), Map.entry("Div", Rule.all()),
            Map.entry("Pow", Rule.all()), Map.entry("Mod", Rule.all()), Map.entry("Equal", Rule.all()), Map.entry("Less", Rule.all()),
            Map.entry("Greater", Rule.all()), Map.entry("LessOrEqual", Rule.all()), Map.entry("GreaterOrEqual", Rule.all()),
            Map.entry("And", Rule.all()), Map.entry("Or", Rule.all()), Map.entry("Xor", Rule.all()), Map.entry("Where", Rule.all()),
            Map.entry("Max", Rule.all()), Map.entry("Min", Rule.all()), Map.entry("Sum", Rule.all()), Map.entry("Mean", Rule.all()),
            // shapes from input shapes and attributes
            Map.entry("Conv", Rule.all()), Map.entry("ConvTranspose", Rule.all()), Map.entry("MatMul", Rule.all()),
            Map.entry("Gemm", Rule.all()), Map.entry("LSTM", Rule.all()), Map.entry("GRU", Rule.all()), Map.entry("RNN", Rule.all()),
            Map.entry("Transpose", Rule.all()), Map.entry("Concat", Rule.all()), Map.entry("Gather", Rule.all()),
            Map.entry("Flatten", Rule.all()), Map.entry("MaxPool", Rule.all()), Map.entry("AveragePool", Rule.all()),
            Map.entry("GlobalAveragePool", Rule.all()), Map.entry("GlobalMaxPool", Rule.all()),
            Map.entry("BatchNormalization", Rule.all()), Map.entry("LayerNormalization", Rule.all()),
            Map.entry("InstanceNormalization", Rule.all()), Map.entry("Shape", Rule.all()), Map.entry("Size", Rule.all()),
            // shapes from the data's shape and the elements of shape-like inputs
            Map.entry("Reshape", Rule.dataAnd(1)), Map.entry("Expand", Rule.dataAnd(1)), Map.entry("Tile", Rule.dataAnd(1)),
            Map.entry("Pad", Rule.dataAnd(1, 3)), Map.entry("Slice", Rule.dataAnd(1, 2, 3, 4)),
            Map.entry("Unsqueeze", Rule.dataAnd(1)), Map.entry("Squeeze", Rule.dataAnd(1)), Map.entry("Split", Rule.dataAnd(1)),
            Map.entry("ReduceSum", Rule.dataAnd(1)), Map.entry("ReduceMean", Rule.dataAnd(1)), Map.entry("ReduceMax", Rule.dataAnd(1)),
            Map.entry("ReduceMin", Rule.dataAnd(1)), Map.entry("ReduceProd", Rule.dataAnd(1)), Map.entry("TopK", Rule.dataAnd(1)),
            Map.entry("ConstantOfShape", Rule.valuesOf(0)));

    /**
     * Null where the value {@code target}, as {@code nodes} (in graph order) compute it, is
     * determined by the dtypes and shapes of {@code modelInputs} alone; else the reason it is not
     * proven (the first value on its path that is not).
     *
     * @param initializers the initializer names in scope (their elements are part of the model)
     */
    static String unproven(List<FlatNode> nodes, String target, Collection<String> initializers, Collection<String> modelInputs) {
        Set<String> valueKnown = new HashSet<>(initializers);
        Set<String> shapeKnown = new HashSet<>(initializers);
        shapeKnown.addAll(modelInputs);
        valueKnown.add(""); // an omitted optional input
        shapeKnown.add("");
        for (FlatNode n : nodes) {
            if (!OnnxGraph.domainIsDefault(n.node())) {
                continue;
            }
            String op = n.opType();
            boolean values;
            if (NOT_FUNCTIONS.contains(op)) {
                values = false;
            } else if (op.equals("Constant")) {
                values = true;
            } else if (op.equals("Shape") || op.equals("Size")) {
                values = n.inputs().size() == 1 && shapeKnown.contains(n.inputs().get(0));
            } else {
                values = !n.inputs().isEmpty() && valueKnown.containsAll(n.inputs()) && valueKnown.containsAll(n.implicitInputs());
            }
            boolean shapes = values || shapesFollow(RULES.get(op), n.inputs(), shapeKnown, valueKnown);
            for (String o : n.outputs()) {
                if (values) {
                    valueKnown.add(o);
                }
                if (shapes) {
                    shapeKnown.add(o);
                }
            }
        }
        if (valueKnown.contains(target)) {
            return null;
        }
        for (FlatNode n : nodes) {
            if (n.outputs().contains(target)) {
                return "'" + target + "' (output of " + n.opType() + " node '" + n.stepName() + "') depends on the elements of "
                        + "the model inputs, as far as opg can prove";
            }
        }
        return "'" + target + "' is computed by none of the nodes";
    }

    private static boolean shapesFollow(Rule r, List<String> in, Set<String> shapeKnown, Set<String> valueKnown) {
        if (r == null || in.isEmpty()) {
            return false;
        }
        if (r.allShapes()) {
            return shapeKnown.containsAll(in);
        }
        for (int i : r.shapes()) {
            if (i >= in.size() || !shapeKnown.contains(in.get(i))) {
                return false;
            }
        }
        for (int i : r.values()) {
            if (i < in.size() && !valueKnown.contains(in.get(i))) {
                return false;
            }
        }
        return true;
    }
}
