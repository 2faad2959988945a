package dev.opg.core.onnx;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.onnxruntime.engine.OrtNDArray;
import ai.djl.onnxruntime.engine.OrtNDManager;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.djl.ModelRunner;
import dev.opg.core.djl.StepSink;
import dev.opg.core.djl.UnsupportedModelException;
import dev.opg.core.Digest;
import dev.opg.core.model.ModelCommitment;
import dev.opg.core.transcript.Blocks;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.StepPlan;
import dev.opg.core.transcript.Dataflow.PlannedStep;
import dev.opg.core.transcript.Dataflow.Source;
import dev.opg.core.onnx.OnnxGraph.FlatNode;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs an ONNX model on ONNX Runtime with one step per graph node.
 *
 * <p>How: the model file is read with a small protobuf codec (unknown fields are kept byte for
 * byte) and rewritten so that every node output is also a graph output; one session run then
 * yields every intermediate value, and the steps are reported in the graph's (topological) node
 * order. Sessions use exactly the profile's settings ({@link OnnxProfiles#sessionOptions}),
 * optimization level {@code ORT_DISABLE_ALL}, so each node runs as written.
 *
 * <p>Node outputs are not copied: where the prediction's manager is ONNX Runtime's, each output
 * tensor of the session run becomes the array the steps report (DJL's {@code OrtNDArray} over the
 * very tensor), and {@link #dataInPlace} lets recording hash it from ONNX Runtime's memory. Inputs
 * that are already ONNX Runtime arrays are fed as they are.
 *
 * <p>{@code If} nodes are not steps: the condition is computed first (a session over just the
 * nodes it depends on, or the model input itself; the answer is remembered per value of the model
 * inputs it depends on, when those are small, so Silero's {@code sr} costs one extra run per
 * distinct rate), then the taken branch's nodes are inlined in
 * place of the {@code If} (they may read outer values, which are now in the same graph), followed
 * by one {@code Identity} node per If output mapping the branch output onto it. This repeats
 * until no top-level {@code If} is left, so nested Ifs along the taken path are opened too; the
 * rewritten model is cached per sequence of branch decisions. Nodes that hold other subgraphs
 * ({@code Loop}, {@code Scan}) stay one step each.
 *
 * <p>Step names: the node's name; a node without a name is {@code <op_type>#<index in its graph>};
 * a name that repeats within one graph gets {@code #<index>} appended; nodes inlined from a branch
 * are {@code <If step name>/then_branch/<name>} (or {@code else_branch}), and the Identity mapping
 * the k-th branch output {@code <If step name>/<branch>/output:<k>}. Step inputs are the node's
 * inputs that are neither empty (omitted optional inputs) nor initializers (those are in the model
 * commitment), in order, then the values its subgraphs read from the enclosing graph; step
 * outputs are its non-empty outputs.
 *
 * <p>{@link #runStep} builds a one-node model from the node, graph inputs typed and shaped as the
 * given arrays, and the initializers the node reads, and runs it with the same settings. Where ONNX
 * Runtime cannot run a node alone it throws {@link UnsupportedModelException} naming the node.
 *
 * <p>Commitment ({@code onnx} kind): parameters are every initializer of every graph (name, dtype,
 * shape, digest of its elements) plus the tensor of every {@code Constant} node's {@code value}
 * attribute, named by the node's output (exporters such as the one behind Silero VAD store all
 * weights that way); the architecture digest is SHA-256 of {@code "OPG-ONNX" u8 1 u64 n bytes},
 * the ModelProto as stored, with the {@code initializer} and {@code sparse_initializer} fields of
 * every graph removed.
 */
public final class OnnxRunner implements ModelRunner {
    /** Model inputs a condition depends on are remembered by value up to this many bytes in all. */
    private static final int MAX_CONDITION_KEY_BYTES = 256;
    /** Remembered conditions per If. */
    private static final int MAX_CONDITIONS = 256;
    /** {@code OrtNDManager.createInternal(OnnxTensor)}: an array over an existing tensor, no copy (null if unavailable). */
    private static final MethodHandle ADOPT = handle(OrtNDManager.class, "createInternal", MethodType.methodType(OrtNDArray.class, OnnxTensor.class));
    /** {@code OnnxTensor.getBuffer()}: a direct view of the tensor's memory, no copy (null if unavailable). */
    private static final MethodHandle VIEW = handle(OnnxTensor.class, "getBuffer", MethodType.methodType(ByteBuffer.class));
    private static final Set<String> RANDOM_OPS = Set.of("RandomNormal", "RandomUniform", "RandomNormalLike",
            "RandomUniformLike", "Multinomial", "Bernoulli");

    private final OnnxGraph graph;
    private final DeterminismProfile profile;
    private final OrtEnvironment env;
    private final Map<String, FlatNode> steps;
    private final Set<String> initializerNames;
    private final Plan root;
    private final List<String> stepNames;
    private final Map<String, OrtSession> stepSessions = new ConcurrentHashMap<>();
    /** The branch choices each node plan this runner handed out was made for (by identity; bounded by plans and bindings). */
    private final Map<StepPlan, Plan> planOf = java.util.Collections.synchronizedMap(new IdentityHashMap<>());
    private final List<OrtSession> sessions = new ArrayList<>();
    private volatile boolean closed;

    private OnnxRunner(byte[] file, String where, DeterminismProfile profile) {
        this.profile = OnnxProfiles.require(profile);
        this.env = OrtEnvironment.getEnvironment();
        try {
            this.graph = new OnnxGraph(file, where);
            this.steps = graph.allSteps();
            this.initializerNames = graph.initializers.keySet();
            for (FlatNode n : steps.values()) {
                // Refused with or without a seed: unseeded, ONNX Runtime has no global seed; seeded, its
                // kernel keeps the generator state across runs of one session, so the second prediction
                // differs from a fresh verifier's (issue 11, class 7). A session per prediction would
                // cost a model load per input.
                if (RANDOM_OPS.contains(n.opType()) && OnnxGraph.domainIsDefault(n.node())) {
                    boolean seeded = n.node().messages(OnnxGraph.NODE_ATTRIBUTE).stream().anyMatch(a -> a.string(OnnxGraph.ATTR_NAME).equals("seed"));
                    throw new UnsupportedModelException("node '" + n.stepName() + "' (" + n.opType() + ") is a random operator; "
                            + (seeded ? "with a seed, ONNX Runtime keeps its generator state across predictions in one session, "
                                    + "so a second prediction would differ from a fresh verifier's"
                                    : "it has no seed and ONNX Runtime has no global seed, so its output would differ between runs")
                            + "; opg refuses random operators");
                }
            }
            // Initializers are known by name across every graph (initializerNames): a step input of that
            // name is taken from the model, not committed. A node output or a graph input of the same name
            // would then be read from the wrong place (a subgraph's initializer instead of the value the
            // top-level graph computes), so such a model is refused.
            Set<String> topInits = new HashSet<>();
            for (Proto t : graph.graph.messages(OnnxGraph.GRAPH_INITIALIZER)) {
                topInits.add(t.string(OnnxGraph.T_NAME));
            }
            for (Proto vi : graph.graph.messages(OnnxGraph.GRAPH_INPUT)) {
                String in = vi.string(OnnxGraph.VI_NAME);
                if (initializerNames.contains(in) && !topInits.contains(in)) {
                    throw new UnsupportedModelException("model input '" + in + "' has the name of an initializer of a subgraph; "
                            + "opg cannot tell which one a node reads (rename one of them)");
                }
            }
            for (FlatNode n : steps.values()) {
                for (String o : n.outputs()) {
                    if (initializerNames.contains(o)) {
                        throw new UnsupportedModelException("node '" + n.stepName() + "' outputs '" + o + "', which is also the name "
                                + "of an initializer; opg cannot tell which one a node reads (rename one of them)");
                    }
                }
            }
            this.root = new Plan(graph.topNodes, graph.graph.messages(OnnxGraph.GRAPH_INITIALIZER));
            this.stepNames = root.ifIndex < 0 ? graph.topNodes.stream().map(FlatNode::stepName).toList() : List.of();
        } catch (MalformedInputException e) {
            // a file that is not a (well-formed) model: say which file
            if (e.getMessage() != null && e.getMessage().startsWith(where)) {
                throw e;
            }
            throw new MalformedInputException(where + " is not a well-formed ONNX model: " + e.getMessage(), e);
        } catch (OpgException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new MalformedInputException(where + " is not a well-formed ONNX model: " + e, e);
        }
    }

    /**
     * Opens the ONNX file {@code file} to run under {@code profile} (an {@link OnnxProfiles} profile).
     *
     * @throws MalformedInputException naming {@code file} if it is not a well-formed ONNX model (random bytes, truncated)
     */
    public static OnnxRunner open(Path file, DeterminismProfile profile) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ONNX model " + file, e);
        }
        return new OnnxRunner(bytes, file.toString(), profile);
    }

    /** The hook {@code VerifiableModel.wrap} calls for an {@code OrtSymbolBlock}. */
    public static OnnxRunner open(Model model, Path file, DeterminismProfile profile) {
        return open(file, profile);
    }

    /** As {@link #open(Model, Path, DeterminismProfile)} with {@code OnnxProfiles.apply(1, 1, 0)}. */
    public static OnnxRunner open(Model model, Path file) {
        return open(file, OnnxProfiles.apply(1, 1, 0));
    }

    public DeterminismProfile profile() {
        return profile;
    }

    /** The graph input names (without initializers), in the order inputs are bound by position. */
    public List<String> inputNames() {
        return graph.inputNames;
    }

    public List<String> outputNames() {
        return graph.outputNames;
    }

    /** Every step name any choice of If branches can produce. */
    public Set<String> allStepNames() {
        return steps.keySet();
    }

    @Override
    public ModelCommitment commitment() {
        return graph.commitment;
    }

    /**
     * The top-level node (before {@code If} inlining) that outputs {@code value}, as its step name,
     * op type, domain, input names and integer attributes; empty where no top-level node outputs it
     * (a model input, an initializer, or a value inside a subgraph). For callers that check a
     * model's structure, such as the decoder layout of {@code dev.opg.core.generate}.
     */
    public java.util.Optional<NodeInfo> producer(String value) {
        for (FlatNode n : graph.topNodes) {
            if (n.outputs().contains(value)) {
                Map<String, Long> ints = new LinkedHashMap<>();
                for (Proto a : n.node().messages(OnnxGraph.NODE_ATTRIBUTE)) {
                    if (a.has(3)) {
                        ints.put(a.string(OnnxGraph.ATTR_NAME), a.varint(3, 0));
                    }
                }
                return java.util.Optional.of(new NodeInfo(n.stepName(), n.opType(), n.node().string(OnnxGraph.NODE_DOMAIN),
                        List.copyOf(n.inputs()), Map.copyOf(ints)));
            }
        }
        return java.util.Optional.empty();
    }

    /** A node as {@link #producer} describes it; {@code domain} is empty for the default ONNX domain. */
    public record NodeInfo(String stepName, String opType, String domain, List<String> inputs, Map<String, Long> intAttributes) {}

    /** The step names in order when the graph has no top-level {@code If}; empty otherwise (they depend on the input). */
    @Override
    public List<String> stepNames() {
        return stepNames;
    }

    @Override
    public NDList run(ParameterStore parameterStore, NDList inputs, StepSink sink) {
        checkOpen();
        NDManager manager = parameterStore.getManager();
        Map<String, NDArray> values = new HashMap<>();
        List<String> binding = inputBinding(inputs);
        for (int i = 0; i < inputs.size(); i++) {
            values.put(binding.get(i), inputs.get(i));
        }
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        List<OnnxTensor> made = new ArrayList<>();
        try {
            for (var e : values.entrySet()) {
                feeds.put(e.getKey(), feed(e.getValue(), made));
            }
            Plan p = root;
            while (p.ifIndex >= 0) {
                p = p.child(condition(p, feeds));
            }
            OrtSession.Result r = p.session().run(feeds);
            adopt(manager, r, values);
            for (FlatNode n : p.nodes) {
                sink.step(n.stepName(), gather(values, stepInputNames(n), n), gather(values, nonEmpty(n.outputs()), n));
            }
            NDList out = new NDList(graph.outputNames.size());
            for (String o : graph.outputNames) {
                NDArray a = values.get(o);
                if (a == null) {
                    throw new OpgException("ONNX Runtime returned no value for model output '" + o + "'");
                }
                out.add(a);
            }
            return out;
        } catch (OrtException e) {
            throw new OpgException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            made.forEach(OnnxTensor::close);
        }
    }

    /**
     * The steps this graph runs on {@code inputs} (the conditions of {@code If} nodes evaluated on
     * them, as {@link #run} does) and their wiring: each step reads the values its node's input
     * names, and the names its subgraphs read, refer to: a model input (as bound by {@link #run})
     * or an output of the earlier step that produced it. A {@code Constant} node whose tensor is a
     * committed parameter has that tensor's digest as its known output.
     */
    @Override
    public Dataflow dataflow(NDList inputs) {
        return plan(inputs).withDigests(graph.commitment.modelId(), ModelRunner.digests(inputs));
    }

    /** The node plan for {@code inputs} ({@link #dataflow} without the digests), kept per branch choice and input binding. */
    @Override
    public StepPlan plan(NDList inputs) {
        checkOpen();
        List<String> bound = inputBinding(inputs);
        Plan p = resolve(inputs, bound);
        return p.stepPlans.computeIfAbsent(bound, b -> registered(p, stepPlan(p, b)));
    }

    /** The node plan of a graph without top-level {@code If} (inputs bound by position), else null. */
    @Override
    public StepPlan fixedPlan() {
        return root.ifIndex >= 0 ? null : root.stepPlans.computeIfAbsent(graph.inputNames, b -> registered(root, stepPlan(root, b)));
    }

    /** The plan (branch choices) {@link #run} takes for {@code inputs}. */
    private Plan resolve(NDList inputs, List<String> bound) {
        if (root.ifIndex < 0) {
            return root;
        }
        List<OnnxTensor> made = new ArrayList<>();
        try {
            Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
            for (int i = 0; i < inputs.size(); i++) {
                feeds.put(bound.get(i), feed(inputs.get(i), made));
            }
            Plan p = root;
            while (p.ifIndex >= 0) {
                p = p.child(condition(p, feeds));
            }
            return p;
        } catch (OrtException e) {
            throw new OpgException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            made.forEach(OnnxTensor::close);
        }
    }

    /** Remembers which branch choices {@code sp} was made for, so that running its blocks resolves no condition again. */
    private StepPlan registered(Plan p, StepPlan sp) {
        planOf.put(sp, p);
        return sp;
    }

    private StepPlan stepPlan(Plan p, List<String> bound) {
        Map<String, Source> producer = new HashMap<>();
        for (int i = 0; i < bound.size(); i++) {
            producer.put(bound.get(i), new Source.Input(i));
        }
        List<PlannedStep> plan = new ArrayList<>(p.nodes.size());
        Set<String> names = new HashSet<>();
        for (int s = 0; s < p.nodes.size(); s++) {
            FlatNode n = p.nodes.get(s);
            // A step is re-run by name (runStep): a name two nodes share would re-run the other node,
            // so a transcript of that node's arithmetic would pass for this one's.
            FlatNode byName = steps.get(n.stepName());
            if (!names.add(n.stepName()) || byName == null || !Arrays.equals(byName.node().encode(), n.node().encode())) {
                throw new UnsupportedModelException("step name '" + n.stepName() + "' (node " + s + ", " + n.opType()
                        + ") is also the step name of another node of the model; opg re-runs steps by name and cannot "
                        + "tell them apart (rename the nodes)");
            }
            List<Source> reads = new ArrayList<>();
            for (String v : stepInputNames(n)) {
                reads.add(source(producer, v, n.stepName()));
            }
            List<String> outs = nonEmpty(n.outputs());
            List<Digest> known = List.of();
            if (n.opType().equals("Constant") && OnnxGraph.domainIsDefault(n.node()) && outs.size() == 1
                    && graph.commitment.parameters().stream().anyMatch(e -> e.name().equals(outs.get(0)))) {
                known = List.of(graph.commitment.parameter(outs.get(0)).digest());
            }
            plan.add(new PlannedStep(n.stepName(), reads, outs.size(), known));
            for (int k = 0; k < outs.size(); k++) {
                producer.put(outs.get(k), new Source.Output(s, k));
            }
        }
        List<Source> returned = new ArrayList<>();
        for (String o : graph.outputNames) {
            returned.add(source(producer, o, "the model's outputs"));
        }
        return new StepPlan(bound, plan, returned);
    }

    /**
     * Runs the whole graph in one session that exposes only the values crossing a block boundary
     * (and the model outputs), so ONNX Runtime plans the memory of everything inside the blocks;
     * the nodes and settings are those of {@link #run}, so every value is the one a node-by-node
     * run computes.
     */
    @Override
    public NDList runBlocks(ParameterStore parameterStore, NDList inputs, Blocks blocks, StepSink sink) {
        checkOpen();
        NDManager manager = parameterStore.getManager();
        List<String> binding = inputBinding(inputs);
        Map<String, NDArray> values = new HashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            values.put(binding.get(i), inputs.get(i));
        }
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        List<OnnxTensor> made = new ArrayList<>();
        try {
            for (var e : values.entrySet()) {
                feeds.put(e.getKey(), feed(e.getValue(), made));
            }
            // the plan these blocks were derived from (this runner's plan for these inputs), else resolved again
            Plan p = planOf.get(blocks.nodes());
            if (p == null) {
                p = root;
                while (p.ifIndex >= 0) {
                    p = p.child(condition(p, feeds));
                }
            }
            List<String> exposed = new ArrayList<>(graph.outputNames);
            for (Blocks.Block b : blocks.blocks()) {
                for (Source s : b.outputs()) {
                    exposed.add(valueName(p, s));
                }
            }
            OrtSession session = p.blockSession(exposed);
            OrtSession.Result r = session.run(feeds);
            adopt(manager, r, values);
            for (Blocks.Block b : blocks.blocks()) {
                NDList in = new NDList(b.inputs().size());
                for (Source s : b.inputs()) {
                    in.add(s instanceof Source.Input i ? inputs.get(i.index()) : value(values, valueName(p, s)));
                }
                NDList out = new NDList(b.outputs().size());
                for (Source s : b.outputs()) {
                    out.add(value(values, valueName(p, s)));
                }
                sink.step(b.name(), in, out);
            }
            NDList out = new NDList(graph.outputNames.size());
            for (String o : graph.outputNames) {
                out.add(value(values, o));
            }
            return out;
        } catch (OrtException e) {
            throw new OpgException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            made.forEach(OnnxTensor::close);
        }
    }

    /**
     * Puts every value of a session result that {@code values} lacks into it as an array of
     * {@code manager}, over ONNX Runtime's own tensor where it can (no copy). The result is not
     * closed as a whole: the tensors taken over by arrays now belong to the manager; the others are closed.
     */
    private static void adopt(NDManager manager, OrtSession.Result r, Map<String, NDArray> values) {
        Set<OnnxValue> taken = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        try {
            for (var e : r) {
                if (!values.containsKey(e.getKey())) {
                    NDArray a = toArray(manager, e.getKey(), e.getValue());
                    values.put(e.getKey(), a);
                    if (a instanceof OrtNDArray o && o.getTensor() == e.getValue()) {
                        taken.add(e.getValue());
                    }
                }
            }
        } finally {
            for (var e : r) {
                if (!taken.contains(e.getValue())) {
                    e.getValue().close();
                }
            }
        }
    }

    private static String valueName(Plan p, Source s) {
        Source.Output o = (Source.Output) s;
        return nonEmpty(p.nodes.get(o.step()).outputs()).get(o.index());
    }

    private static NDArray value(Map<String, NDArray> values, String name) {
        NDArray a = values.get(name);
        if (a == null) {
            throw new OpgException("ONNX Runtime returned no value for '" + name + "'");
        }
        return a;
    }

    private static Source source(Map<String, Source> producer, String value, String reader) {
        Source s = producer.get(value);
        if (s == null) {
            throw new UnsupportedModelException("value '" + value + "' read by " + reader + " is produced by no earlier step "
                    + "and is no model input");
        }
        return s;
    }

    /**
     * The graph input each of {@code inputs} is fed to by {@link #run}: an array whose name is a
     * graph input name goes to that input, any other to the graph input at its position; this is
     * the one place {@code run} takes the binding from.
     *
     * @throws MalformedInputException if the count differs from the graph's inputs or an input is bound twice
     */
    @Override
    public List<String> inputBinding(NDList inputs) {
        List<String> names = graph.inputNames;
        if (inputs.size() != names.size()) {
            throw new MalformedInputException("the ONNX model takes " + names.size() + " inputs " + names + "; got " + inputs.size());
        }
        List<String> binding = new ArrayList<>(inputs.size());
        Set<String> bound = new HashSet<>();
        for (int i = 0; i < inputs.size(); i++) {
            NDArray a = inputs.get(i);
            String name = a.getName() != null && names.contains(a.getName()) ? a.getName() : names.get(i);
            if (!bound.add(name)) {
                throw new MalformedInputException("ONNX model input '" + name + "' is given twice");
            }
            binding.add(name);
        }
        return List.copyOf(binding);
    }

    @Override
    public NDList runStep(ParameterStore parameterStore, String name, NDList inputs) {
        checkOpen();
        FlatNode n = steps.get(name);
        if (n == null) {
            throw new MalformedInputException("the ONNX model has no step '" + name + "'");
        }
        List<String> ins = stepInputNames(n);
        if (inputs.size() != ins.size()) {
            throw new MalformedInputException("step '" + name + "' (" + n.opType() + ") takes " + ins.size() + " inputs " + ins
                    + "; got " + inputs.size());
        }
        Map<String, NDArray> byName = new LinkedHashMap<>();
        StringBuilder key = new StringBuilder(name);
        List<Proto> vis = new ArrayList<>();
        for (int i = 0; i < ins.size(); i++) {
            NDArray a = inputs.get(i);
            DType dt = DType.fromDjl(a.getDataType());
            long[] shape = a.getShape().getShape();
            key.append('|').append(dt.specName()).append(Arrays.toString(shape));
            if (byName.putIfAbsent(ins.get(i), a) == null) {
                vis.add(OnnxGraph.valueInfo(ins.get(i), OnnxGraph.onnxType(dt), shape));
            }
        }
        List<String> outs = nonEmpty(n.outputs());
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        List<OnnxTensor> made = new ArrayList<>();
        try {
            OrtSession s = stepSessions.computeIfAbsent(key.toString(), k -> {
                List<Proto> inits = new ArrayList<>();
                Set<String> reads = new HashSet<>(n.inputs());
                reads.addAll(n.implicitInputs());
                for (String r : reads) {
                    Proto t = graph.initializers.get(r);
                    if (t != null) {
                        inits.add(t);
                    }
                }
                byte[] m = graph.modelWith(List.of(n), vis, inits, outs, false).encode();
                try {
                    return newSession(m);
                } catch (OrtException e) {
                    throw new UnsupportedModelException("step '" + name + "' (" + n.opType() + ") cannot be run alone by ONNX "
                            + "Runtime: " + e.getMessage(), e);
                }
            });
            for (var e : byName.entrySet()) {
                feeds.put(e.getKey(), feed(e.getValue(), made));
            }
            NDList out = new NDList(outs.size());
            OrtSession.Result r = s.run(feeds);
            Set<OnnxValue> taken = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            try {
                for (String o : outs) {
                    OnnxValue v = r.get(o).orElseThrow(() -> new OpgException("ONNX Runtime returned no value for '" + o + "'"));
                    NDArray a = toArray(parameterStore.getManager(), o, v);
                    out.add(a);
                    if (a instanceof OrtNDArray oa && oa.getTensor() == v) {
                        taken.add(v);
                    }
                }
            } finally {
                for (var e : r) {
                    if (!taken.contains(e.getValue())) {
                        e.getValue().close();
                    }
                }
            }
            return out;
        } catch (OrtException e) {
            throw new UnsupportedModelException("step '" + name + "' (" + n.opType() + ") failed when run alone: " + e.getMessage(), e);
        } finally {
            made.forEach(OnnxTensor::close);
        }
    }

    /** The value names a step commits as inputs (see the class comment). */
    List<String> stepInputNames(FlatNode n) {
        List<String> r = new ArrayList<>();
        for (String s : n.inputs()) {
            if (!s.isEmpty() && !initializerNames.contains(s)) {
                r.add(s);
            }
        }
        for (String s : n.implicitInputs()) {
            if (!initializerNames.contains(s)) {
                r.add(s);
            }
        }
        return r;
    }

    private static List<String> nonEmpty(List<String> names) {
        return names.stream().filter(s -> !s.isEmpty()).toList();
    }

    private static NDList gather(Map<String, NDArray> values, List<String> names, FlatNode n) {
        NDList l = new NDList(names.size());
        for (String s : names) {
            NDArray a = values.get(s);
            if (a == null) {
                throw new OpgException("no value '" + s + "' for step '" + n.stepName() + "'; ONNX Runtime did not return it");
            }
            l.add(a);
        }
        return l;
    }

    private boolean condition(Plan p, Map<String, OnnxTensor> feeds) throws OrtException {
        FlatNode ifNode = p.nodes.get(p.ifIndex);
        if (ifNode.inputs().isEmpty()) {
            throw new MalformedInputException("If node '" + ifNode.stepName() + "' has no condition input");
        }
        String c = ifNode.inputs().get(0);
        OnnxTensor given = feeds.get(c);
        if (given != null) {
            return truth(ifNode, given);
        }
        String key = p.conditionKey(feeds);
        if (key != null) {
            Boolean known = p.conditions.get(key);
            if (known != null) {
                return known;
            }
        }
        boolean answer;
        try (OrtSession.Result r = p.condSession().run(feeds)) {
            OnnxValue v = r.get(c).orElseThrow(() -> new OpgException("ONNX Runtime returned no condition '" + c + "'"));
            answer = truth(ifNode, v);
        }
        if (key != null && p.conditions.size() < MAX_CONDITIONS) {
            p.conditions.put(key, answer);
        }
        return answer;
    }

    private static boolean truth(FlatNode ifNode, OnnxValue v) {
        if (!(v instanceof OnnxTensor t) || t.getInfo().type != OnnxJavaType.BOOL || t.getInfo().getNumElements() != 1) {
            throw new MalformedInputException("the condition of If node '" + ifNode.stepName() + "' is not one boolean: " + v.getInfo());
        }
        return t.getByteBuffer().get(0) != 0;
    }

    /** The tensor to feed for {@code a}: its own where it is an ONNX Runtime array, else a new one, added to {@code made}. */
    private OnnxTensor feed(NDArray a, List<OnnxTensor> made) throws OrtException {
        if (a instanceof OrtNDArray o) {
            OnnxTensor t = o.getTensor();
            if (t != null) {
                return t;
            }
        }
        OnnxTensor t = toTensor(a);
        made.add(t);
        return t;
    }

    /**
     * A read-only view of ONNX Runtime's memory under {@code array} where it is an ONNX Runtime
     * array (a node output, or an input made by an ONNX Runtime manager); {@code null} otherwise.
     */
    @Override
    public ByteBuffer dataInPlace(NDArray array) {
        if (VIEW == null || !(array instanceof OrtNDArray o)) {
            return null;
        }
        OnnxTensor t = o.getTensor();
        if (t == null || t.getInfo().type == OnnxJavaType.STRING) {
            return null;
        }
        try {
            ByteBuffer b = (ByteBuffer) VIEW.invokeExact(t);
            return b == null ? null : b.asReadOnlyBuffer().order(ByteOrder.nativeOrder());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            return null;
        }
    }

    private static MethodHandle handle(Class<?> owner, String name, MethodType type) {
        try {
            java.lang.reflect.Method m = owner.getDeclaredMethod(name, type.parameterArray());
            if (m.getReturnType() != type.returnType()) {
                return null;
            }
            m.setAccessible(true);
            MethodHandle h = MethodHandles.lookup().unreflect(m);
            return h.asType(MethodType.methodType(type.returnType(), owner).appendParameterTypes(type.parameterArray()));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // another ONNX Runtime or DJL version: fall back to copies
        }
    }

    private OnnxTensor toTensor(NDArray a) throws OrtException {
        DType dt = DType.fromDjl(a.getDataType());
        ByteBuffer src = a.toByteBuffer();
        ByteBuffer direct = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.nativeOrder());
        direct.put(src.duplicate().order(src.order())).rewind();
        return OnnxTensor.createTensor(env, direct, a.getShape().getShape(), javaType(dt));
    }

    private static NDArray toArray(NDManager manager, String name, OnnxValue v) {
        if (!(v instanceof OnnxTensor t)) {
            throw new UnsupportedModelException("value '" + name + "' is a " + v.getType() + ", not a tensor; opg records tensors only");
        }
        DType dt = dtypeOf(t.getInfo().type, name);
        if (ADOPT != null && manager instanceof OrtNDManager om) {
            try {
                return (OrtNDArray) ADOPT.invokeExact(om, t);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                // fall back to a copy
            }
        }
        long[] shape = t.getInfo().getShape();
        ByteBuffer b = t.getByteBuffer();
        ByteBuffer buf = manager.allocateDirect(b.remaining());
        buf.order(ByteOrder.nativeOrder()).put(b.order(ByteOrder.nativeOrder())).rewind();
        return manager.create(buf, new Shape(shape), dt.toDjl());
    }

    private static OnnxJavaType javaType(DType d) {
        return switch (d) {
            case FLOAT32 -> OnnxJavaType.FLOAT;
            case FLOAT64 -> OnnxJavaType.DOUBLE;
            case FLOAT16 -> OnnxJavaType.FLOAT16;
            case BFLOAT16 -> OnnxJavaType.BFLOAT16;
            case INT8 -> OnnxJavaType.INT8;
            case UINT8 -> OnnxJavaType.UINT8;
            case INT32 -> OnnxJavaType.INT32;
            case INT64 -> OnnxJavaType.INT64;
            case BOOLEAN -> OnnxJavaType.BOOL;
        };
    }

    private static DType dtypeOf(OnnxJavaType t, String name) {
        return switch (t) {
            case FLOAT -> DType.FLOAT32;
            case DOUBLE -> DType.FLOAT64;
            case FLOAT16 -> DType.FLOAT16;
            case BFLOAT16 -> DType.BFLOAT16;
            case INT8 -> DType.INT8;
            case UINT8 -> DType.UINT8;
            case INT32 -> DType.INT32;
            case INT64 -> DType.INT64;
            case BOOL -> DType.BOOLEAN;
            default -> throw new UnsupportedModelException("value '" + name + "' has ONNX Runtime type " + t + ", which has no opg dtype");
        };
    }

    private OrtSession newSession(byte[] model) throws OrtException {
        try (OrtSession.SessionOptions o = OnnxProfiles.sessionOptions(profile)) {
            OrtSession s = env.createSession(model, o);
            synchronized (sessions) {
                if (closed) {
                    s.close();
                    throw new IllegalStateException("the ONNX runner is closed");
                }
                sessions.add(s);
            }
            return s;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the ONNX runner is closed");
        }
    }

    /** Closes every ONNX Runtime session this runner opened. */
    @Override
    public void close() {
        synchronized (sessions) {
            closed = true;
            for (OrtSession s : sessions) {
                try {
                    s.close();
                } catch (OrtException e) {
                    // nothing more to release
                }
            }
            sessions.clear();
        }
    }

    /** The graph after a sequence of If decisions: the nodes, the first If left (or -1), and lazily its sessions. */
    private final class Plan {
        final List<FlatNode> nodes;
        final List<Proto> inits;
        final int ifIndex;
        private Plan thenPlan;
        private Plan elsePlan;
        private OrtSession session;
        private OrtSession condSession;
        /** Answers of the If condition by {@link #conditionKey}. */
        final Map<String, Boolean> conditions = new ConcurrentHashMap<>();
        /** The model inputs the condition depends on (null until known). */
        private volatile List<String> conditionInputs;
        /** The node plan per input binding. */
        final Map<List<String>, StepPlan> stepPlans = new ConcurrentHashMap<>();
        /** Sessions exposing only block boundaries, per list of exposed values. */
        private final Map<List<String>, OrtSession> blockSessions = new HashMap<>();

        Plan(List<FlatNode> nodes, List<Proto> inits) {
            this.nodes = List.copyOf(nodes);
            this.inits = List.copyOf(inits);
            int idx = -1;
            for (int i = 0; i < nodes.size(); i++) {
                if (nodes.get(i).isIf()) {
                    idx = i;
                    break;
                }
            }
            this.ifIndex = idx;
        }

        synchronized Plan child(boolean cond) {
            Plan p = cond ? thenPlan : elsePlan;
            if (p == null) {
                List<Proto> moreInits = new ArrayList<>(inits);
                List<FlatNode> inlined = graph.inline(nodes, ifIndex, cond, moreInits);
                p = new Plan(inlined, moreInits);
                if (cond) {
                    thenPlan = p;
                } else {
                    elsePlan = p;
                }
            }
            return p;
        }

        synchronized OrtSession session() throws OrtException {
            if (session == null) {
                List<String> outs = new ArrayList<>();
                for (FlatNode n : nodes) {
                    outs.addAll(n.outputs());
                }
                session = newSession(graph.modelWith(nodes, null, inits, outs, true).encode());
            }
            return session;
        }

        synchronized OrtSession blockSession(List<String> exposed) throws OrtException {
            OrtSession s = blockSessions.get(exposed);
            if (s == null) {
                s = newSession(graph.modelWith(nodes, null, inits, exposed, true).encode());
                if (blockSessions.size() < 16) {
                    blockSessions.put(List.copyOf(exposed), s);
                }
            }
            return s;
        }

        /** The nodes the condition depends on, in order; {@code needed} receives every value they read. */
        private List<FlatNode> conditionPrefix(Set<String> needed) {
            String c = nodes.get(ifIndex).inputs().get(0);
            needed.add(c);
            List<FlatNode> prefix = new ArrayList<>();
            for (int i = ifIndex - 1; i >= 0; i--) {
                FlatNode n = nodes.get(i);
                if (n.outputs().stream().anyMatch(needed::contains)) {
                    prefix.add(0, n);
                    needed.addAll(n.inputs());
                    needed.addAll(n.implicitInputs());
                }
            }
            return prefix;
        }

        synchronized OrtSession condSession() throws OrtException {
            if (condSession == null) {
                String c = nodes.get(ifIndex).inputs().get(0);
                condSession = newSession(graph.modelWith(conditionPrefix(new HashSet<>()), null, inits, List.of(c), false).encode());
            }
            return condSession;
        }

        /**
         * The values of the model inputs the condition depends on (dtype, shape and bytes of each),
         * or null where they are too large to remember. The nodes before the If are deterministic
         * (random ops without a seed are refused), so equal keys give equal conditions.
         */
        String conditionKey(Map<String, OnnxTensor> feeds) {
            List<String> ins = conditionInputs;
            if (ins == null) {
                Set<String> needed = new HashSet<>();
                conditionPrefix(needed);
                ins = graph.inputNames.stream().filter(needed::contains).toList();
                conditionInputs = ins;
            }
            StringBuilder k = new StringBuilder();
            long bytes = 0;
            for (String in : ins) {
                OnnxTensor t = feeds.get(in);
                if (t == null || t.getInfo().type == OnnxJavaType.STRING) {
                    return null;
                }
                long n = t.getInfo().getNumElements() * t.getInfo().type.size;
                bytes += n;
                if (bytes > MAX_CONDITION_KEY_BYTES) {
                    return null;
                }
                ByteBuffer b = t.getByteBuffer();
                byte[] raw = new byte[b.remaining()];
                b.get(raw);
                k.append(in).append('|').append(t.getInfo().type).append(Arrays.toString(t.getInfo().getShape()))
                        .append('|').append(HexFormat.of().formatHex(raw)).append(';');
            }
            return k.toString();
        }
    }
}
