package dev.opg.core.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.onnx.OnnxGraph.FlatNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The condition of one {@code If} node of a {@link Plan}: evaluated by a session over just the
 * nodes it depends on (its prefix), or read from the model input itself where it is one. The
 * nodes before the If are deterministic (random operators are refused), so equal inputs give
 * equal conditions, and the answer is remembered by what determines it:
 * <ul>
 *   <li>where {@link ShapeDependence} proves from the prefix that the condition is a function of
 *       the dtypes and shapes of the model inputs alone (Silero VAD's nested conditions test the
 *       shape of an intermediate), by the dtypes and shapes of the model inputs the prefix reads;</li>
 *   <li>else by their dtypes, shapes and bytes, when those are small ({@link #MAX_KEY_BYTES}), and
 *       not at all otherwise (the condition session runs on every input).</li>
 * </ul>
 */
final class Condition {
    /** Model inputs a condition depends on are remembered by value up to this many bytes in all. */
    private static final int MAX_KEY_BYTES = 256;
    /** Remembered answers per If. */
    private static final int MAX_ANSWERS = 256;

    private final OnnxGraph graph;
    private final Sessions sessions;
    private final FlatNode ifNode;
    /** The value the If reads as its condition. */
    private final String value;
    /** The nodes the condition depends on, in graph order. */
    private final List<FlatNode> prefix;
    private final List<Proto> inits;
    /** The model inputs the prefix reads, in the order of the model's inputs. */
    private final List<String> inputs;
    /** Null where the condition is proven a function of input dtypes and shapes alone; else why not. */
    private final String valueDependence;
    /** Condition sessions run so far (a test's view of what the cache saves). */
    private final AtomicLong runs = new AtomicLong();
    /** Answers by {@link #key}. */
    private final Map<String, Boolean> answers = new ConcurrentHashMap<>();
    private OrtSession session;

    Condition(OnnxGraph graph, Sessions sessions, List<FlatNode> nodes, int ifIndex, List<Proto> inits) {
        this.graph = graph;
        this.sessions = sessions;
        this.ifNode = nodes.get(ifIndex);
        if (ifNode.inputs().isEmpty()) {
            throw new MalformedInputException("If node '" + ifNode.stepName() + "' has no condition input");
        }
        this.value = ifNode.inputs().get(0);
        this.inits = inits;
        Set<String> needed = new HashSet<>();
        needed.add(value);
        List<FlatNode> pre = new ArrayList<>();
        for (int i = ifIndex - 1; i >= 0; i--) {
            FlatNode n = nodes.get(i);
            if (n.outputs().stream().anyMatch(needed::contains)) {
                pre.add(0, n);
                needed.addAll(n.inputs());
                needed.addAll(n.implicitInputs());
            }
        }
        this.prefix = List.copyOf(pre);
        this.inputs = graph.inputNames.stream().filter(needed::contains).toList();
        List<String> initNames = inits.stream().map(t -> t.string(OnnxGraph.T_NAME)).toList();
        this.valueDependence = ShapeDependence.unproven(prefix, value, initNames, inputs);
    }

    /** Whether answers are remembered by input dtypes and shapes (proven to determine them), not bytes. */
    boolean keyedByShapes() {
        return valueDependence == null;
    }

    /** Why the answer is not keyed by shapes ({@code null} where it is). */
    String valueDependence() {
        return valueDependence;
    }

    /** How many times the condition session ran. */
    long sessionRuns() {
        return runs.get();
    }

    /** The branch the If takes on the model inputs {@code feeds}. */
    boolean evaluate(Map<String, OnnxTensor> feeds) throws OrtException {
        return evaluate(feeds, true);
    }

    /** As {@link #evaluate(Map)}, without reading or filling the cache where {@code cached} is false (tests). */
    boolean evaluate(Map<String, OnnxTensor> feeds, boolean cached) throws OrtException {
        OnnxTensor given = feeds.get(value);
        if (given != null) {
            return truth(given);
        }
        String key = cached ? key(feeds) : null;
        if (key != null) {
            Boolean known = answers.get(key);
            if (known != null) {
                return known;
            }
        }
        boolean answer;
        runs.incrementAndGet();
        try (OrtSession.Result r = session().run(feeds)) {
            OnnxValue v = r.get(value).orElseThrow(() -> new OpgException("ONNX Runtime returned no condition '" + value + "'"));
            answer = truth(v);
        }
        if (key != null && answers.size() < MAX_ANSWERS) {
            answers.put(key, answer);
        }
        return answer;
    }

    private synchronized OrtSession session() throws OrtException {
        if (session == null) {
            session = sessions.open(graph.modelWith(prefix, null, inits, List.of(value), false).encode());
        }
        return session;
    }

    /**
     * What determines the answer on {@code feeds}: the dtype and shape of each model input the
     * prefix reads where the condition is proven to depend on nothing else, else also their bytes
     * (null where those are too large to remember).
     */
    private String key(Map<String, OnnxTensor> feeds) {
        StringBuilder k = new StringBuilder(valueDependence == null ? "shapes:" : "values:");
        long bytes = 0;
        for (String in : inputs) {
            OnnxTensor t = feeds.get(in);
            if (t == null || t.getInfo().type == OnnxJavaType.STRING) {
                return null;
            }
            if (valueDependence == null) {
                k.append(in).append('|').append(t.getInfo().type).append(Arrays.toString(t.getInfo().getShape())).append(';');
                continue;
            }
            long n = t.getInfo().getNumElements() * t.getInfo().type.size;
            bytes += n;
            if (bytes > MAX_KEY_BYTES) {
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

    private boolean truth(OnnxValue v) {
        if (!(v instanceof OnnxTensor t) || t.getInfo().type != OnnxJavaType.BOOL || t.getInfo().getNumElements() != 1) {
            throw new MalformedInputException("the condition of If node '" + ifNode.stepName() + "' is not one boolean: " + v.getInfo());
        }
        return t.getByteBuffer().get(0) != 0;
    }
}
