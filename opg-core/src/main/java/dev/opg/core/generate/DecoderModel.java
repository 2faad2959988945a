package dev.opg.core.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.djl.ModelRunner;
import dev.opg.core.djl.StepSink;
import dev.opg.core.djl.UnsupportedModelException;
import dev.opg.core.onnx.OnnxRunner;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.transcript.Granularity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A causal language model exported to ONNX in the common decoder layout (spec section 3.16),
 * with its tokenizer. The model directory holds one {@code .onnx} file, a {@code tokenizer.json}
 * and a {@code generation.json} ({@code numHeads}, {@code headDim}, {@code maxPositions},
 * {@code eosTokenId}).
 *
 * <p>The layout is checked on the model itself, never taken on trust: inputs {@code input_ids},
 * {@code attention_mask}, optionally {@code position_ids}, and {@code past_key_values.{i}.key} /
 * {@code .value} for i = 0..n-1, nothing else; outputs {@code logits} and
 * {@code present.{i}.key} / {@code .value}; and each {@code present} is produced by a
 * {@code Concat} on axis 2 (or -2) whose first input is the matching {@code past}, so that the
 * cache after a token is the cache before it followed by the new positions ({@link KvDigest}
 * relies on exactly that).
 */
public final class DecoderModel implements AutoCloseable {
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String POSITION_IDS = "position_ids";
    public static final String LOGITS = "logits";

    private final Path dir;
    private final OnnxRunner nodes;
    private final TextTokenizer tokenizer;
    private final int layers;
    private final int heads;
    private final int headDim;
    private final int maxPositions;
    private final int vocab;
    private final Integer eos;
    private final List<String> inputNames;
    private final List<String> outputNames;
    private final NDManager manager;
    private final Map<String, ModelRunner> runners = new HashMap<>();

    private DecoderModel(Path dir, OnnxRunner nodes, TextTokenizer tokenizer, JsonNode config) {
        this.dir = dir;
        this.nodes = nodes;
        this.tokenizer = tokenizer;
        this.inputNames = nodes.inputNames();
        this.outputNames = nodes.outputNames();
        this.heads = positive(config, "numHeads");
        this.headDim = positive(config, "headDim");
        this.maxPositions = positive(config, "maxPositions");
        this.vocab = positive(config, "vocabSize");
        this.eos = config.hasNonNull("eosTokenId") ? config.get("eosTokenId").asInt() : null;
        this.layers = checkLayout();
        List<String> presentNames = presentNames();
        this.presentIndex = new int[presentNames.size()];
        for (int i = 0; i < presentIndex.length; i++) {
            presentIndex[i] = outputNames.indexOf(presentNames.get(i)); // checkLayout found every one
        }
        this.manager = NDManager.newBaseManager(dev.opg.core.onnx.OnnxProfiles.ENGINE);
    }

    /**
     * Opens the decoder in {@code dir} under {@code profile} (an ONNX Runtime profile,
     * {@code OnnxProfiles.apply}).
     *
     * @throws MalformedInputException if a file is missing or unreadable
     * @throws UnsupportedModelException if the model is not in the decoder layout
     */
    public static DecoderModel open(Path dir, DeterminismProfile profile) {
        if (!Files.isDirectory(dir)) {
            throw new MalformedInputException("decoder model directory " + dir + " does not exist; it holds one .onnx file, "
                    + "tokenizer.json and generation.json");
        }
        Path onnx;
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> found = s.filter(p -> p.getFileName().toString().endsWith(".onnx")).sorted().toList();
            if (found.size() != 1) {
                throw new MalformedInputException("decoder model directory " + dir + " holds " + found.size() + " .onnx files "
                        + found + "; it must hold exactly one");
            }
            onnx = found.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        Path tok = dir.resolve("tokenizer.json");
        Path cfg = dir.resolve("generation.json");
        for (Path p : List.of(tok, cfg)) {
            if (!Files.isRegularFile(p)) {
                throw new MalformedInputException("decoder model directory " + dir + " has no " + p.getFileName());
            }
        }
        JsonNode config;
        try {
            if (Files.size(cfg) > 1 << 20) {
                throw new MalformedInputException(cfg + " is over 1 MiB");
            }
            config = new ObjectMapper().readTree(cfg.toFile());
        } catch (IOException e) {
            throw new MalformedInputException(cfg + " is not JSON: " + e.getMessage(), e);
        }
        OnnxRunner runner = OnnxRunner.open(onnx, profile);
        TextTokenizer t = null;
        try {
            t = TextTokenizer.open(tok);
            return new DecoderModel(dir, runner, t, config);
        } catch (RuntimeException e) {
            runner.close();
            if (t != null) {
                t.close();
            }
            throw e;
        }
    }

    private static int positive(JsonNode config, String field) {
        JsonNode n = config.get(field);
        if (n == null || !n.canConvertToInt() || n.asInt() < 1) {
            throw new MalformedInputException("generation.json needs a positive integer '" + field + "'; got " + n);
        }
        return n.asInt();
    }

    /** Checks the decoder layout; returns the number of layers. */
    private int checkLayout() {
        int n = 0;
        while (inputNames.contains(past(n, "key"))) {
            n++;
        }
        if (n == 0 || !inputNames.contains(INPUT_IDS) || !inputNames.contains(ATTENTION_MASK)) {
            throw new UnsupportedModelException("the model's inputs " + inputNames + " are not in the decoder layout: it needs "
                    + "input_ids, attention_mask, optional position_ids and past_key_values.{i}.key/.value");
        }
        List<String> expected = new ArrayList<>(List.of(INPUT_IDS, ATTENTION_MASK));
        if (inputNames.contains(POSITION_IDS)) {
            expected.add(POSITION_IDS);
        }
        List<String> expectedOut = new ArrayList<>(List.of(LOGITS));
        for (int i = 0; i < n; i++) {
            for (String kv : List.of("key", "value")) {
                expected.add(past(i, kv));
                expectedOut.add(present(i, kv));
            }
        }
        if (!new java.util.HashSet<>(inputNames).equals(new java.util.HashSet<>(expected)) || inputNames.size() != expected.size()) {
            throw new UnsupportedModelException("the model's inputs " + inputNames + " are not exactly " + expected);
        }
        if (!new java.util.HashSet<>(outputNames).equals(new java.util.HashSet<>(expectedOut)) || outputNames.size() != expectedOut.size()) {
            throw new UnsupportedModelException("the model's outputs " + outputNames + " are not exactly " + expectedOut);
        }
        for (int i = 0; i < n; i++) {
            for (String kv : List.of("key", "value")) {
                String out = present(i, kv);
                OnnxRunner.NodeInfo p = nodes.producer(out).orElseThrow(() -> new UnsupportedModelException(
                        "output " + out + " is computed by no top-level node; opg needs present = Concat(past, new) on axis 2"));
                Long axis = p.intAttributes().get("axis");
                if (!p.opType().equals("Concat") || !p.domain().isEmpty() || axis == null || (axis != 2 && axis != -2)
                        || p.inputs().size() != 2 || !p.inputs().get(0).equals(past(i, kv))) {
                    throw new UnsupportedModelException("output " + out + " is computed by " + p.opType() + " node '" + p.stepName()
                            + "' from " + p.inputs() + " (axis " + axis + "); opg needs Concat(" + past(i, kv) + ", new) on axis 2, "
                            + "so that the cache only grows by the new positions");
                }
            }
        }
        return n;
    }

    public static String past(int layer, String kv) {
        return "past_key_values." + layer + "." + kv;
    }

    public static String present(int layer, String kv) {
        return "present." + layer + "." + kv;
    }

    private List<String> pastCache;
    /** Where each of {@link #presentNames} is among the outputs. */
    private final int[] presentIndex;

    List<String> pastNamesCached() {
        if (pastCache == null) {
            pastCache = List.copyOf(pastNames());
        }
        return pastCache;
    }

    /** The cache input and output names, in the model's layer order: past of layer i key, value, ... */
    public List<String> pastNames() {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            l.add(past(i, "key"));
            l.add(past(i, "value"));
        }
        return l;
    }

    public List<String> presentNames() {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            l.add(present(i, "key"));
            l.add(present(i, "value"));
        }
        return l;
    }

    /** Whether {@code name} is a cache value (committed by its {@link KvDigest}). */
    public static boolean isCache(String name) {
        return name.startsWith("past_key_values.") || name.startsWith("present.");
    }

    public Path dir() {
        return dir;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public Digest modelId() {
        return nodes.commitment().modelId();
    }

    public DeterminismProfile profile() {
        return nodes.profile();
    }

    public int layers() {
        return layers;
    }

    public int heads() {
        return heads;
    }

    public int headDim() {
        return headDim;
    }

    public int maxPositions() {
        return maxPositions;
    }

    public int vocabSize() {
        return vocab;
    }

    /** The end-of-text token of generation.json, if it names one. */
    public java.util.Optional<Integer> eosTokenId() {
        return java.util.Optional.ofNullable(eos);
    }

    public NDManager manager() {
        return manager;
    }

    /** The node runner (ONNX node steps). */
    public OnnxRunner nodeRunner() {
        return nodes;
    }

    /** The runner at {@code g} with {@code cuts} ({@code null}: the default partition), kept per choice. */
    public synchronized ModelRunner runner(Granularity g, List<String> cuts) {
        String key = g.specName() + "|" + cuts;
        return runners.computeIfAbsent(key, k -> nodes.at(g, cuts));
    }

    private static final java.util.regex.Pattern LAYER = java.util.regex.Pattern.compile("[./](?:layers|layer|h|blocks)\\.(\\d+)/");

    /**
     * The partition opg uses for generation at block granularity when none is given: one block
     * before the first layer (embeddings, mask), one block per transformer layer, one after the
     * last (final norm, head). Layers are recognised by the node names exporters write
     * ({@code /layers.3/...}, {@code /transformer/h.3/...}, {@code /model/layers.3/...}); where the
     * names do not show n layers in order, null (the rule of spec section 3.14.1 applies). The
     * cuts are committed in the header like any other.
     */
    public synchronized List<String> layerCuts() {
        if (!layerCutsKnown) {
            layerCuts = findLayerCuts(); // a property of the model file: found once
            layerCutsKnown = true;
        }
        return layerCuts;
    }

    private List<String> layerCuts;
    private boolean layerCutsKnown;

    private List<String> findLayerCuts() {
        dev.opg.core.transcript.StepPlan plan = nodes.fixedPlan();
        if (plan == null) {
            return null;
        }
        dev.opg.core.transcript.Blocks all = dev.opg.core.transcript.Blocks.of(plan, Granularity.OUTPUT, List.of());
        List<String> order = new ArrayList<>();
        List<Integer> layerOf = new ArrayList<>();
        for (int j = 0; j < plan.steps().size(); j++) {
            if (all.hoisted(j)) {
                continue;
            }
            String name = plan.steps().get(j).name();
            java.util.regex.Matcher m = LAYER.matcher(name);
            order.add(name);
            layerOf.add(m.find() ? Integer.parseInt(m.group(1)) : -1);
        }
        List<String> cuts = new ArrayList<>();
        int expect = 0;
        int lastOfLast = -1;
        for (int q = 0; q < order.size(); q++) {
            int l = layerOf.get(q);
            if (l == expect) {
                if (q > 0) {
                    cuts.add(order.get(q));
                }
                expect++;
            } else if (l > expect || (l >= 0 && l < expect - 1)) {
                return null; // layers out of order or interleaved: leave it to the rule
            }
            if (l == layers - 1) {
                lastOfLast = q;
            }
        }
        if (expect != layers || lastOfLast < 0) {
            return null;
        }
        if (lastOfLast + 1 < order.size()) {
            cuts.add(order.get(lastOfLast + 1));
        }
        return List.copyOf(cuts);
    }

    /** The cache digest before any token: c_0 of {@link KvDigest} for this model's caches (float32, batch 1). */
    public Digest emptyCacheDigest() {
        return KvDigest.empty(DType.FLOAT32, 1, heads, headDim);
    }

    /**
     * The model inputs of one forward pass, in the graph's input order, each named by its input:
     * {@code ids} fed at positions {@code pastLength .. pastLength + ids.length - 1} after a cache of
     * {@code pastLength} positions ({@code past}, in {@link #pastNames} order; null for the empty
     * cache of a prefill).
     */
    public NDList inputs(NDManager m, int[] ids, int pastLength, NDList past) {
        int total = pastLength + ids.length;
        if (total > maxPositions) {
            throw new GenerationException("the sequence would reach " + total + " positions; the model has " + maxPositions
                    + " (shorten the prompt or lower --max-new-tokens)");
        }
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new MalformedInputException("token " + id + " is outside the vocabulary 0.." + (vocab - 1));
            }
        }
        NDList in = new NDList(inputNames.size());
        List<String> pasts = pastNamesCached();
        for (String name : inputNames) {
            NDArray a;
            switch (name) {
                case INPUT_IDS -> {
                    long[] v = new long[ids.length];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = ids[i];
                    }
                    a = m.create(v, new Shape(1, ids.length));
                }
                case ATTENTION_MASK -> {
                    long[] v = new long[total];
                    java.util.Arrays.fill(v, 1L);
                    a = m.create(v, new Shape(1, total));
                }
                case POSITION_IDS -> {
                    long[] v = new long[ids.length];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = pastLength + i;
                    }
                    a = m.create(v, new Shape(1, ids.length));
                }
                default -> {
                    int k = pasts.indexOf(name);
                    if (past == null) {
                        a = m.create(ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder()), new Shape(1, heads, 0, headDim),
                                DataType.FLOAT32);
                    } else {
                        a = past.get(k);
                    }
                }
            }
            a.setName(name);
            in.add(a);
        }
        return in;
    }

    /** Runs {@code runner} on {@code inputs}; outputs in the graph's output order, named. */
    public NDList run(ModelRunner runner, NDManager m, NDList inputs, StepSink sink) {
        NDList out = runner.run(new ParameterStore(m, false), inputs, sink);
        for (int i = 0; i < out.size(); i++) {
            out.get(i).setName(outputNames.get(i));
        }
        return out;
    }

    /** The output named {@code name} of {@code outputs} (as {@link #run} returns them). */
    public NDArray output(NDList outputs, String name) {
        int i = outputNames.indexOf(name);
        if (i < 0) {
            throw new MalformedInputException("the model has no output '" + name + "'");
        }
        return outputs.get(i);
    }

    /** The cache outputs in {@link #presentNames} order. */
    public NDList presents(NDList outputs) {
        int[] at = presentIndex;
        NDList l = new NDList(at.length);
        for (int i : at) {
            l.add(outputs.get(i));
        }
        return l;
    }

    /** The data of {@code a} as a little-endian-or-native buffer, in place where ONNX Runtime holds it. */
    public ByteBuffer data(NDArray a) {
        ByteBuffer b = nodes.dataInPlace(a);
        return b != null ? b : a.toByteBuffer();
    }

    /** Row {@code row} of the logits [1, T, V]. */
    public float[] logitsRow(NDArray logits, int row) {
        long[] s = logits.getShape().getShape();
        if (s.length != 3 || s[0] != 1 || s[2] != vocab || row < 0 || row >= s[1]) {
            throw new GenerationException("logits of shape " + logits.getShape() + " have no row " + row + " of " + vocab
                    + " values; expected [1, T, " + vocab + "]");
        }
        ByteBuffer b = data(logits).duplicate().order(ByteOrder.nativeOrder());
        float[] out = new float[vocab];
        int base = b.position() + row * vocab * 4;
        for (int i = 0; i < vocab; i++) {
            out[i] = b.getFloat(base + 4 * i);
        }
        return out;
    }

    /** The section-1 digest of {@code a}, read in place where possible. */
    public Digest digest(NDArray a) {
        ByteBuffer b = nodes.dataInPlace(a);
        if (b == null) {
            return TensorDigest.of(a);
        }
        return TensorDigest.of(DType.fromDjl(a.getDataType()), shapeOf(a), b);
    }

    /**
     * The dimensions of {@code a}: read from ONNX Runtime's tensor where it is one (DJL builds a
     * {@code Shape} object for each new array, a fixed cost per value hashed per token), else from DJL.
     */
    static long[] shapeOf(NDArray a) {
        if (a instanceof ai.djl.onnxruntime.engine.OrtNDArray o) {
            ai.onnxruntime.OnnxTensor t = o.getTensor();
            if (t != null) {
                return t.getInfo().getShape();
            }
        }
        return a.getShape().getShape();
    }

    @Override
    public void close() {
        manager.close();
        nodes.close();
        tokenizer.close();
    }
}
