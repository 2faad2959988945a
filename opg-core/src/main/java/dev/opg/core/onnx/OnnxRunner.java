package dev.opg.core.onnx;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.djl.ModelRunner;
import dev.opg.core.djl.StepSink;
import dev.opg.core.djl.UnsupportedModelException;
import dev.opg.core.model.ModelCommitment;
import dev.opg.core.onnx.OnnxGraph.FlatNode;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.Blocks;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.StepPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
    private static final Set<String> RANDOM_OPS = Set.of("RandomNormal", "RandomUniform", "RandomNormalLike",
            "RandomUniformLike", "Multinomial", "Bernoulli");

    private final OnnxGraph graph;
    private final DeterminismProfile profile;
    private final Map<String, FlatNode> steps;
    private final List<String> stepNames;
    private final Sessions sessions;
    private final Planner planner;
    private final NodeRunner nodeRunner;
    private final BoundaryRunner boundaryRunner;
    private final StepRunner stepRunner;

    private OnnxRunner(byte[] file, String where, DeterminismProfile profile) {
        this.profile = OnnxProfiles.require(profile);
        try {
            this.graph = new OnnxGraph(file, where);
            this.steps = graph.allSteps();
            refuseUnsupported(graph, steps);
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
        this.sessions = new Sessions(this.profile);
        this.planner = new Planner(graph, sessions, steps);
        this.stepNames = planner.fixed() ? graph.topNodes.stream().map(FlatNode::stepName).toList() : List.of();
        this.nodeRunner = new NodeRunner(graph, planner, sessions);
        this.boundaryRunner = new BoundaryRunner(graph, planner, sessions);
        this.stepRunner = new StepRunner(graph, steps, planner, sessions);
    }

    /** Refuses random operators and names that would make a step read the wrong value. */
    private static void refuseUnsupported(OnnxGraph graph, Map<String, FlatNode> steps) {
        Set<String> initializerNames = graph.initializers.keySet();
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
    public Optional<NodeInfo> producer(String value) {
        for (FlatNode n : graph.topNodes) {
            if (n.outputs().contains(value)) {
                Map<String, Long> ints = new LinkedHashMap<>();
                for (Proto a : n.node().messages(OnnxGraph.NODE_ATTRIBUTE)) {
                    if (a.has(3)) {
                        ints.put(a.string(OnnxGraph.ATTR_NAME), a.varint(3, 0));
                    }
                }
                return Optional.of(new NodeInfo(n.stepName(), n.opType(), n.node().string(OnnxGraph.NODE_DOMAIN),
                        List.copyOf(n.inputs()), Map.copyOf(ints)));
            }
        }
        return Optional.empty();
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
        sessions.checkOpen();
        return nodeRunner.run(parameterStore.getManager(), inputs, inputBinding(inputs), sink);
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
        sessions.checkOpen();
        List<String> bound = inputBinding(inputs);
        return planner.stepPlan(planner.resolve(inputs, bound), bound);
    }

    /** The node plan of a graph without top-level {@code If} (inputs bound by position), else null. */
    @Override
    public StepPlan fixedPlan() {
        return planner.fixedPlan();
    }

    /**
     * Runs the whole graph in one session that exposes only the values crossing a block boundary
     * (and the model outputs), so ONNX Runtime plans the memory of everything inside the blocks;
     * the nodes and settings are those of {@link #run}, so every value is the one a node-by-node
     * run computes.
     */
    @Override
    public NDList runBlocks(ParameterStore parameterStore, NDList inputs, Blocks blocks, StepSink sink) {
        sessions.checkOpen();
        return boundaryRunner.run(parameterStore.getManager(), inputs, inputBinding(inputs), blocks, sink);
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
        sessions.checkOpen();
        return stepRunner.run(parameterStore.getManager(), name, inputs);
    }

    /**
     * A read-only view of ONNX Runtime's memory under {@code array} where it is an ONNX Runtime
     * array (a node output, or an input made by an ONNX Runtime manager); {@code null} otherwise.
     */
    @Override
    public ByteBuffer dataInPlace(NDArray array) {
        return TensorBridge.view(array);
    }

    /** The planner (tests look at the If conditions it resolves). */
    Planner planner() {
        return planner;
    }

    /** Closes every ONNX Runtime session this runner opened. */
    @Override
    public void close() {
        sessions.close();
    }
}
