package dev.opg.core.onnx;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.djl.UnsupportedModelException;
import dev.opg.core.model.ModelCommitment;
import dev.opg.core.model.ParameterEntry;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX model file read with {@link Proto}: its commitment, its top-level graph as a list of
 * {@link FlatNode}s, and the rewriting that inlines an {@code If} branch and exposes intermediate
 * values. Field numbers are those of {@code onnx.proto3}.
 */
final class OnnxGraph {
    // ModelProto
    static final int MODEL_IR_VERSION = 1;
    static final int MODEL_GRAPH = 7;
    static final int MODEL_OPSET_IMPORT = 8;
    static final int MODEL_FUNCTIONS = 25;
    // GraphProto
    static final int GRAPH_NODE = 1;
    static final int GRAPH_NAME = 2;
    static final int GRAPH_INITIALIZER = 5;
    static final int GRAPH_INPUT = 11;
    static final int GRAPH_OUTPUT = 12;
    static final int GRAPH_VALUE_INFO = 13;
    static final int GRAPH_SPARSE_INITIALIZER = 15;
    // NodeProto
    static final int NODE_INPUT = 1;
    static final int NODE_OUTPUT = 2;
    static final int NODE_NAME = 3;
    static final int NODE_OP_TYPE = 4;
    static final int NODE_ATTRIBUTE = 5;
    static final int NODE_DOMAIN = 7;
    // AttributeProto
    static final int ATTR_NAME = 1;
    static final int ATTR_T = 5;
    static final int ATTR_G = 6;
    static final int ATTR_TENSORS = 10;
    static final int ATTR_GRAPHS = 11;
    static final int ATTR_SPARSE_TENSOR = 22;
    static final int ATTR_SPARSE_TENSORS = 23;
    static final int MODEL_TRAINING_INFO = 20;
    static final int FUNCTION_NODE = 7;
    // TensorProto
    static final int T_DIMS = 1;
    static final int T_DATA_TYPE = 2;
    static final int T_FLOAT_DATA = 4;
    static final int T_INT32_DATA = 5;
    static final int T_INT64_DATA = 7;
    static final int T_NAME = 8;
    static final int T_RAW_DATA = 9;
    static final int T_DOUBLE_DATA = 10;
    static final int T_EXTERNAL_DATA = 13;
    static final int T_DATA_LOCATION = 14;
    // ValueInfoProto / TypeProto
    static final int VI_NAME = 1;
    static final int VI_TYPE = 2;

    /** A node of the graph being run: its step name, its NodeProto (named with the step name), and its value names. */
    record FlatNode(String stepName, Proto node, String opType, List<String> inputs, List<String> outputs, List<String> implicitInputs) {
        boolean isIf() {
            return opType.equals("If") && domainIsDefault(node);
        }
    }

    final Proto model;
    final Proto graph;
    final List<String> inputNames;
    final List<String> outputNames;
    /** Every initializer of every graph, by name. */
    final Map<String, Proto> initializers = new LinkedHashMap<>();
    final List<FlatNode> topNodes;
    final ModelCommitment commitment;

    OnnxGraph(byte[] file, String where) {
        this.model = Proto.parse(file);
        Proto g = model.message(MODEL_GRAPH);
        if (g == null || model.all(MODEL_OPSET_IMPORT).isEmpty()) {
            throw new MalformedInputException(where + " is not an ONNX model (no graph or no opset_import)");
        }
        this.graph = g;
        refuseOutsideReferences(model, where);
        List<ParameterEntry> params = new ArrayList<>();
        collectParameters(g, params, where);
        Set<String> inits = initializers.keySet();
        List<String> ins = new ArrayList<>();
        for (Proto vi : g.messages(GRAPH_INPUT)) {
            if (!inits.contains(vi.string(VI_NAME))) {
                ins.add(vi.string(VI_NAME));
            }
        }
        this.inputNames = List.copyOf(ins);
        this.outputNames = g.messages(GRAPH_OUTPUT).stream().map(v -> v.string(VI_NAME)).toList();
        this.topNodes = nodesOf(g, "");
        Proto stripped = model.mapMessages(MODEL_GRAPH, OnnxGraph::stripInitializers);
        byte[] arch = stripped.encode();
        byte[] desc = new dev.opg.core.transcript.LeafWriter("OPG-ONNX", 1).u64(arch.length).bytes(arch).toByteArray();
        this.commitment = ModelCommitment.of(ModelCommitment.KIND_ONNX, sha256(desc), params);
    }

    static boolean domainIsDefault(Proto node) {
        String d = node.string(NODE_DOMAIN);
        return d.isEmpty() || d.equals("ai.onnx");
    }

    /** The graph's nodes as steps; {@code prefix} qualifies names of nodes inlined from a branch. */
    List<FlatNode> nodesOf(Proto g, String prefix) {
        List<Proto> nodes = g.messages(GRAPH_NODE);
        List<FlatNode> out = new ArrayList<>(nodes.size());
        Set<String> used = new HashSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            Proto n = nodes.get(i);
            String own = n.string(NODE_NAME);
            String base = own.isEmpty() ? n.string(NODE_OP_TYPE) + "#" + i : own;
            if (!used.add(base)) {
                base = base + "#" + i;
                used.add(base);
            }
            String step = prefix + base;
            List<String> implicit = new ArrayList<>();
            for (Proto a : n.messages(NODE_ATTRIBUTE)) {
                for (Proto sg : a.messages(ATTR_G)) {
                    freeVariables(sg, new HashSet<>(), implicit);
                }
                for (Proto sg : a.messages(ATTR_GRAPHS)) {
                    freeVariables(sg, new HashSet<>(), implicit);
                }
            }
            Proto renamed = n.without(NODE_NAME).plus(Proto.stringField(NODE_NAME, step));
            out.add(new FlatNode(step, renamed, n.string(NODE_OP_TYPE), n.strings(NODE_INPUT), n.strings(NODE_OUTPUT),
                    List.copyOf(new LinkedHashSet<>(implicit))));
        }
        return out;
    }

    /** Names a subgraph reads from enclosing scopes, in first-use order. */
    private static void freeVariables(Proto g, Set<String> outerDefined, List<String> out) {
        Set<String> defined = new HashSet<>(outerDefined);
        for (Proto vi : g.messages(GRAPH_INPUT)) {
            defined.add(vi.string(VI_NAME));
        }
        for (Proto t : g.messages(GRAPH_INITIALIZER)) {
            defined.add(t.string(T_NAME));
        }
        List<Proto> nodes = g.messages(GRAPH_NODE);
        for (Proto n : nodes) {
            for (String in : n.strings(NODE_INPUT)) {
                if (!in.isEmpty() && !defined.contains(in) && !out.contains(in)) {
                    out.add(in);
                }
            }
            for (Proto a : n.messages(NODE_ATTRIBUTE)) {
                List<Proto> subs = new ArrayList<>(a.messages(ATTR_G));
                subs.addAll(a.messages(ATTR_GRAPHS));
                for (Proto sg : subs) {
                    List<String> inner = new ArrayList<>();
                    freeVariables(sg, defined, inner);
                    for (String s : inner) {
                        if (!out.contains(s)) {
                            out.add(s);
                        }
                    }
                }
            }
            defined.addAll(n.strings(NODE_OUTPUT));
        }
        for (Proto vi : g.messages(GRAPH_OUTPUT)) {
            String s = vi.string(VI_NAME);
            if (!defined.contains(s) && !out.contains(s)) {
                out.add(s);
            }
        }
    }

    /**
     * {@code nodes} with the {@code If} at {@code index} replaced by the nodes of its branch
     * ({@code then_branch} if {@code cond}, else {@code else_branch}), named
     * {@code <If step>/<branch>/<node>}, followed by one {@code Identity} per If output, named
     * {@code <If step>/<branch>/output:<k>}, that maps the branch's k-th output onto it.
     */
    List<FlatNode> inline(List<FlatNode> nodes, int index, boolean cond, List<Proto> initsOut) {
        FlatNode ifNode = nodes.get(index);
        String attr = cond ? "then_branch" : "else_branch";
        Proto branch = null;
        for (Proto a : ifNode.node().messages(NODE_ATTRIBUTE)) {
            if (a.string(ATTR_NAME).equals(attr)) {
                branch = a.message(ATTR_G);
            }
        }
        if (branch == null) {
            throw new MalformedInputException("If node '" + ifNode.stepName() + "' has no " + attr + " graph");
        }
        if (!branch.all(GRAPH_SPARSE_INITIALIZER).isEmpty()) {
            throw new UnsupportedModelException("If node '" + ifNode.stepName() + "': sparse initializers in its " + attr
                    + " are not supported");
        }
        String prefix = ifNode.stepName() + "/" + attr + "/";
        List<FlatNode> body = nodesOf(branch, prefix);
        Set<String> outer = new HashSet<>(inputNames);
        for (FlatNode n : nodes) {
            outer.addAll(n.outputs());
        }
        for (FlatNode n : body) {
            for (String o : n.outputs()) {
                if (!o.isEmpty() && outer.contains(o)) {
                    throw new UnsupportedModelException("If node '" + ifNode.stepName() + "': its " + attr + " defines value '" + o
                            + "', which the enclosing graph also defines; cannot inline it");
                }
            }
        }
        initsOut.addAll(branch.messages(GRAPH_INITIALIZER));
        List<String> branchOuts = branch.messages(GRAPH_OUTPUT).stream().map(v -> v.string(VI_NAME)).toList();
        if (branchOuts.size() != ifNode.outputs().size()) {
            throw new MalformedInputException("If node '" + ifNode.stepName() + "' has " + ifNode.outputs().size()
                    + " outputs but its " + attr + " has " + branchOuts.size());
        }
        List<FlatNode> out = new ArrayList<>(nodes.size() + body.size() + branchOuts.size());
        out.addAll(nodes.subList(0, index));
        out.addAll(body);
        for (int k = 0; k < branchOuts.size(); k++) {
            String target = ifNode.outputs().get(k);
            if (target.isEmpty()) {
                continue;
            }
            String step = prefix + "output:" + k;
            Proto id = Proto.of(List.of(Proto.stringField(NODE_INPUT, branchOuts.get(k)), Proto.stringField(NODE_OUTPUT, target),
                    Proto.stringField(NODE_NAME, step), Proto.stringField(NODE_OP_TYPE, "Identity")));
            out.add(new FlatNode(step, id, "Identity", List.of(branchOuts.get(k)), List.of(target), List.of()));
        }
        out.addAll(nodes.subList(index + 1, nodes.size()));
        return out;
    }

    /** Every step reachable through any choice of If branches, by name. */
    Map<String, FlatNode> allSteps() {
        Map<String, FlatNode> all = new LinkedHashMap<>();
        addSteps(topNodes, all);
        return all;
    }

    private void addSteps(List<FlatNode> nodes, Map<String, FlatNode> all) {
        for (int i = 0; i < nodes.size(); i++) {
            FlatNode n = nodes.get(i);
            if (n.isIf()) {
                for (boolean c : new boolean[] {true, false}) {
                    List<FlatNode> inlined = inline(nodes, i, c, new ArrayList<>());
                    int end = i + (inlined.size() - nodes.size()) + 1;
                    addSteps(inlined.subList(i, end), all);
                }
            } else {
                all.putIfAbsent(n.stepName(), n);
            }
        }
    }

    /**
     * A model whose graph runs {@code nodes} and outputs {@code outputs} (names), with
     * {@code inputs} as graph inputs (each a full ValueInfoProto; null: the original inputs), {@code inits}
     * as initializers, and the original outputs first where {@code originalOutputs}.
     */
    Proto modelWith(List<FlatNode> nodes, List<Proto> inputs, List<Proto> inits, List<String> outputs, boolean originalOutputs) {
        List<Proto.Field> gf = new ArrayList<>();
        for (Proto.Field f : graph.fields()) {
            int num = f.number();
            if (num == GRAPH_NODE || num == GRAPH_OUTPUT || num == GRAPH_VALUE_INFO || num == GRAPH_INPUT
                    || num == GRAPH_INITIALIZER || num == GRAPH_SPARSE_INITIALIZER) {
                continue;
            }
            gf.add(f);
        }
        Proto g = Proto.of(gf);
        List<Proto.Field> more = new ArrayList<>();
        for (FlatNode n : nodes) {
            more.add(Proto.messageField(GRAPH_NODE, n.node()));
        }
        for (Proto t : inits) {
            more.add(Proto.messageField(GRAPH_INITIALIZER, t));
        }
        Set<String> seen = new HashSet<>();
        if (inputs == null) {
            more.addAll(graph.all(GRAPH_INPUT));
        } else {
            for (Proto vi : inputs) {
                more.add(Proto.messageField(GRAPH_INPUT, vi));
            }
        }
        if (originalOutputs) {
            for (Proto.Field f : graph.all(GRAPH_OUTPUT)) {
                more.add(f);
                seen.add(Proto.parse(f.payload()).string(VI_NAME));
            }
        }
        for (String o : outputs) {
            if (!o.isEmpty() && seen.add(o)) {
                more.add(Proto.messageField(GRAPH_OUTPUT, Proto.of(List.of(Proto.stringField(VI_NAME, o)))));
            }
        }
        g = g.plusAll(more);
        List<Proto.Field> mf = new ArrayList<>();
        for (Proto.Field f : model.fields()) {
            mf.add(f.number() == MODEL_GRAPH ? Proto.messageField(MODEL_GRAPH, g) : f);
        }
        return Proto.of(mf);
    }

    /** A ValueInfoProto with a tensor type of the given ONNX element type and fixed shape. */
    static Proto valueInfo(String name, int elemType, long[] shape) {
        List<Proto.Field> dims = new ArrayList<>();
        for (long d : shape) {
            dims.add(Proto.messageField(1, Proto.of(List.of(Proto.varintField(1, d)))));
        }
        Proto tensorType = Proto.of(List.of(Proto.varintField(1, elemType), Proto.messageField(2, Proto.of(dims))));
        Proto type = Proto.of(List.of(Proto.messageField(1, tensorType)));
        return Proto.of(List.of(Proto.stringField(VI_NAME, name), Proto.messageField(VI_TYPE, type)));
    }

    private static Proto stripInitializers(Proto g) {
        return g.without(GRAPH_INITIALIZER, GRAPH_SPARSE_INITIALIZER)
                .mapMessages(GRAPH_NODE, n -> n.mapMessages(NODE_ATTRIBUTE,
                        a -> a.mapMessages(ATTR_G, OnnxGraph::stripInitializers).mapMessages(ATTR_GRAPHS, OnnxGraph::stripInitializers)));
    }

    private void collectParameters(Proto g, List<ParameterEntry> params, String where) {
        if (!g.all(GRAPH_SPARSE_INITIALIZER).isEmpty()) {
            throw new UnsupportedModelException(where + ": graph '" + g.string(GRAPH_NAME) + "' has sparse initializers, "
                    + "which opg cannot commit to yet");
        }
        for (Proto t : g.messages(GRAPH_INITIALIZER)) {
            String name = t.string(T_NAME);
            if (initializers.put(name, t) != null) {
                throw new MalformedInputException(where + ": two initializers are named '" + name + "'");
            }
            params.add(entry(name, t));
        }
        for (Proto n : g.messages(GRAPH_NODE)) {
            boolean constant = n.string(NODE_OP_TYPE).equals("Constant") && domainIsDefault(n);
            for (Proto a : n.messages(NODE_ATTRIBUTE)) {
                if (constant && a.string(ATTR_NAME).equals("value") && a.has(ATTR_T) && !n.strings(NODE_OUTPUT).isEmpty()) {
                    params.add(entry(n.strings(NODE_OUTPUT).get(0), a.message(ATTR_T)));
                }
                for (Proto sg : a.messages(ATTR_G)) {
                    collectParameters(sg, params, where);
                }
                for (Proto sg : a.messages(ATTR_GRAPHS)) {
                    collectParameters(sg, params, where);
                }
            }
        }
    }

    static ParameterEntry entry(String name, Proto t) {
        DType dtype = dtypeOf((int) t.varint(T_DATA_TYPE, 0), "tensor '" + name + "'");
        long[] shape = t.varints(T_DIMS);
        return new ParameterEntry(name, dtype, shape, TensorDigest.of(dtype, shape, tensorData(name, t, dtype, shape)));
    }

    /** The element bytes (little-endian, row-major) of a TensorProto. */
    static byte[] tensorData(String name, Proto t, DType dtype, long[] shape) {
        refuseExternal(t, "tensor '" + name + "'");
        long expected = TensorDigest.byteLength(dtype, shape);
        byte[] data;
        byte[] raw = t.bytes(T_RAW_DATA);
        if (raw != null) {
            data = raw;
        } else if (dtype == DType.FLOAT32) {
            data = t.fixed(T_FLOAT_DATA, 4);
        } else if (dtype == DType.FLOAT64) {
            data = t.fixed(T_DOUBLE_DATA, 8);
        } else if (dtype == DType.INT64) {
            long[] v = t.varints(T_INT64_DATA);
            ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long x : v) {
                b.putLong(x);
            }
            data = b.array();
        } else {
            long[] v = t.varints(T_INT32_DATA);
            int w = dtype.byteSize();
            ByteBuffer b = ByteBuffer.allocate(v.length * w).order(ByteOrder.LITTLE_ENDIAN);
            for (long x : v) {
                switch (w) {
                    case 1 -> b.put((byte) x);
                    case 2 -> b.putShort((short) x);
                    default -> b.putInt((int) x);
                }
            }
            data = b.array();
        }
        if (data.length != expected) {
            throw new MalformedInputException("tensor '" + name + "' has " + data.length + " data bytes but its dtype "
                    + dtype.specName() + " and shape " + java.util.Arrays.toString(shape) + " need " + expected);
        }
        return data;
    }

    /**
     * Refuses a model in which any TensorProto (initializers, sparse initializers, attribute
     * tensors of any node, Constant values, subgraphs, local functions, training info) could make
     * ONNX Runtime read bytes from outside the file, and any singular message field given twice
     * (protobuf merges repeated occurrences, so the engine would load a merged value that neither
     * occurrence alone describes). The rule is on field presence, not on decoded values, so no
     * encoding (repeated fields where the last wins, over-long varints, enum values other than
     * 0/1, another wire type) can mark a tensor external without being refused.
     */
    static void refuseOutsideReferences(Proto model, String where) {
        singular(model, MODEL_GRAPH, where + ": ModelProto.graph");
        for (Proto g : model.messages(MODEL_GRAPH)) {
            scanGraph(g, where, 0);
        }
        for (Proto ti : model.messages(MODEL_TRAINING_INFO)) {
            for (int f : new int[] {1, 3}) {
                singular(ti, f, where + ": training_info graph");
                for (Proto g : ti.messages(f)) {
                    scanGraph(g, where, 0);
                }
            }
        }
        for (Proto fn : model.messages(MODEL_FUNCTIONS)) {
            for (Proto n : fn.messages(FUNCTION_NODE)) {
                scanNode(n, where, 0);
            }
        }
    }

    private static void scanGraph(Proto g, String where, int depth) {
        if (depth > Proto.maxDepth()) {
            throw new MalformedInputException(where + ": subgraphs nested deeper than " + Proto.maxDepth());
        }
        for (Proto t : g.messages(GRAPH_INITIALIZER)) {
            refuseExternal(t, where + ": initializer '" + t.string(T_NAME) + "'");
        }
        for (Proto sp : g.messages(GRAPH_SPARSE_INITIALIZER)) {
            scanSparse(sp, where + ": sparse initializer");
        }
        for (Proto n : g.messages(GRAPH_NODE)) {
            scanNode(n, where, depth);
        }
    }

    private static void scanNode(Proto n, String where, int depth) {
        for (Proto a : n.messages(NODE_ATTRIBUTE)) {
            String what = where + ": attribute '" + a.string(ATTR_NAME) + "' of node '" + n.string(NODE_NAME) + "' ("
                    + n.string(NODE_OP_TYPE) + ")";
            for (int f : new int[] {ATTR_T, ATTR_G, ATTR_SPARSE_TENSOR}) {
                singular(a, f, what);
            }
            for (int f : new int[] {ATTR_T, ATTR_TENSORS}) {
                for (Proto t : a.messages(f)) {
                    refuseExternal(t, what);
                }
            }
            for (int f : new int[] {ATTR_SPARSE_TENSOR, ATTR_SPARSE_TENSORS}) {
                for (Proto sp : a.messages(f)) {
                    scanSparse(sp, what);
                }
            }
            for (int f : new int[] {ATTR_G, ATTR_GRAPHS}) {
                for (Proto sg : a.messages(f)) {
                    scanGraph(sg, where, depth + 1);
                }
            }
        }
    }

    private static void scanSparse(Proto sp, String what) {
        for (int f : new int[] {1, 2}) {
            singular(sp, f, what + " (sparse tensor)");
            for (Proto t : sp.messages(f)) {
                refuseExternal(t, what + " (sparse tensor)");
            }
        }
    }

    private static void singular(Proto m, int field, String what) {
        if (m.all(field).size() > 1) {
            throw new MalformedInputException(what + " gives field " + field + " " + m.all(field).size()
                    + " times; protobuf would merge them, so opg refuses it (expected at most once)");
        }
    }

    /** Refuses a TensorProto with any external_data entry or any data_location other than one varint 0. */
    static void refuseExternal(Proto t, String what) {
        boolean external = t.has(T_EXTERNAL_DATA);
        for (Proto.Field f : t.all(T_DATA_LOCATION)) {
            external |= f.wire() != Proto.VARINT || f.value() != 0;
        }
        if (external) {
            throw new UnsupportedModelException(what + " refers to external data (TensorProto field 13 external_data or "
                    + "data_location other than DEFAULT); opg reads only self-contained .onnx files, whose every byte the "
                    + "model id covers (re-save the model with the data inside)");
        }
    }

    /** ONNX TensorProto.DataType to opg dtype. */
    static DType dtypeOf(int onnx, String what) {
        return switch (onnx) {
            case 1 -> DType.FLOAT32;
            case 2 -> DType.UINT8;
            case 3 -> DType.INT8;
            case 6 -> DType.INT32;
            case 7 -> DType.INT64;
            case 9 -> DType.BOOLEAN;
            case 10 -> DType.FLOAT16;
            case 11 -> DType.FLOAT64;
            case 16 -> DType.BFLOAT16;
            default -> throw new UnsupportedModelException(what + " has ONNX data type " + onnx + ", which has no opg dtype "
                    + "(supported: float, uint8, int8, int32, int64, bool, float16, double, bfloat16)");
        };
    }

    /** opg dtype to ONNX TensorProto.DataType. */
    static int onnxType(DType d) {
        return switch (d) {
            case FLOAT32 -> 1;
            case UINT8 -> 2;
            case INT8 -> 3;
            case INT32 -> 6;
            case INT64 -> 7;
            case BOOLEAN -> 9;
            case FLOAT16 -> 10;
            case FLOAT64 -> 11;
            case BFLOAT16 -> 16;
        };
    }

    static Digest sha256(byte[] data) {
        try {
            return Digest.of(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new OpgException("this JVM has no SHA-256", e);
        }
    }

    static Map<String, Integer> index(List<String> names) {
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            m.putIfAbsent(names.get(i), i);
        }
        return m;
    }
}
