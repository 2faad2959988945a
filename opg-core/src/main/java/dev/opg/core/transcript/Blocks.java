package dev.opg.core.transcript;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.Dataflow.PlannedStep;
import dev.opg.core.transcript.Dataflow.Source;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A model's node steps grouped into blocks (spec section 3.14): what a transcript at
 * {@link Granularity#BLOCK} or {@link Granularity#OUTPUT} commits to, derived from the node-level
 * {@link StepPlan} (the model and the input) and a cut list, never from a transcript.
 *
 * <p>Hoisted steps: a node step that reads nothing and whose outputs the model id already fixes
 * ({@link PlannedStep#knownOutputs()}, an ONNX {@code Constant} holding a parameter) and that is
 * not a model output belongs to no block; its values are committed by the model id, like
 * initializers, and are neither a block's input nor its output. Every other node step belongs to
 * exactly one block; blocks are contiguous runs of these steps in execution order.
 *
 * <p>A block's inputs are the values its nodes read from outside it (model inputs, outputs of
 * earlier blocks), each once, in the order first read; its outputs are the values its nodes
 * produce that a later block reads or the model returns, in the order produced. For a
 * {@linkplain StepPlan#sequential() sequential} plan (DJL), a block reads every output of the
 * block before it and returns every output of its last node.
 *
 * <p>A block's name is the name of its first node step, or {@code "<first> .. <last>"} for a
 * block of more than one node step.
 */
public final class Blocks {
    /** What separates the first and last node names in a block name. */
    public static final String NAME_SEPARATOR = " .. ";
    private static final Pattern NUMBERED = Pattern.compile(".*[._][0-9]+");

    private final StepPlan nodes;
    private final Granularity granularity;
    private final boolean sequential;
    private final boolean[] hoisted;
    private final List<Block> blocks;
    private final int[] blockOf;
    private final Map<Long, Integer> outputIndex = new HashMap<>();
    private final List<String> cuts;

    /**
     * One block.
     *
     * @param index its position among the blocks (its step index)
     * @param name its step name
     * @param nodes the node steps it runs, as indices into the node plan, ascending
     * @param inputs what it reads from outside, as node-level sources ({@link Source.Input},
     *     {@link Source.Output}; for a sequential plan one {@link Source.AllInputs} or {@link Source.AllOutputs})
     * @param outputs what it commits as outputs, as node-level sources
     */
    public record Block(int index, String name, List<Integer> nodes, List<Source> inputs, List<Source> outputs) {
        public Block {
            nodes = List.copyOf(nodes);
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }

        public int first() {
            return nodes.get(0);
        }

        public int last() {
            return nodes.get(nodes.size() - 1);
        }
    }

    private Blocks(StepPlan nodes, Granularity granularity, List<String> cutNames) {
        if (granularity == Granularity.NODE) {
            throw new IllegalArgumentException("node granularity has no blocks: every node step is a step");
        }
        this.nodes = Objects.requireNonNull(nodes, "nodes");
        this.granularity = granularity;
        this.sequential = nodes.sequential();
        int n = nodes.steps().size();
        this.hoisted = hoisted(nodes);
        List<Integer> order = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            if (!hoisted[j]) {
                order.add(j);
            }
        }
        if (granularity == Granularity.OUTPUT && !cutNames.isEmpty()) {
            throw new PartitionException("output granularity is one block; it takes no cuts (got " + cutNames + ")");
        }
        // Where each block starts, as a position in `order`.
        List<Integer> starts = new ArrayList<>();
        if (!order.isEmpty()) {
            starts.add(0);
        }
        Map<String, Integer> position = new HashMap<>();
        for (int q = 0; q < order.size(); q++) {
            position.put(nodes.steps().get(order.get(q)).name(), q);
        }
        for (String c : cutNames) {
            Integer q = position.get(c);
            if (q == null) {
                throw new PartitionException("cut '" + c + "' is not a node step of the model on this input"
                        + (nodeNamed(c) ? " that a block can start at (it is a constant the model id fixes)" : ""));
            }
            if (q <= starts.get(starts.size() - 1)) {
                throw new PartitionException("cut '" + c + "' does not come after the previous one; cuts name the first node "
                        + "step of blocks 2, 3, ... in execution order");
            }
            starts.add(q);
        }
        this.cuts = List.copyOf(cutNames);
        this.blockOf = new int[n];
        java.util.Arrays.fill(blockOf, -1);
        List<List<Integer>> members = new ArrayList<>();
        for (int b = 0; b < starts.size(); b++) {
            int end = b + 1 < starts.size() ? starts.get(b + 1) : order.size();
            List<Integer> m = new ArrayList<>(order.subList(starts.get(b), end));
            for (int j : m) {
                blockOf[j] = b;
            }
            members.add(m);
        }
        this.blocks = sequential ? sequentialBlocks(members) : graphBlocks(members);
    }

    private boolean nodeNamed(String c) {
        return nodes.steps().stream().anyMatch(s -> s.name().equals(c));
    }

    /**
     * Groups the node steps of {@code nodes} at {@code granularity} ({@link Granularity#BLOCK} or
     * {@link Granularity#OUTPUT}), blocks starting at the node steps named in {@code cuts}
     * (block granularity only; empty for one block).
     *
     * @throws MalformedInputException if a cut is not a node step of the plan, or cuts are out of order
     */
    public static Blocks of(StepPlan nodes, Granularity granularity, List<String> cuts) {
        return new Blocks(nodes, granularity, cuts == null ? List.of() : cuts);
    }

    private static boolean[] hoisted(StepPlan nodes) {
        int n = nodes.steps().size();
        boolean[] h = new boolean[n];
        if (nodes.sequential()) {
            return h;
        }
        for (int j = 0; j < n; j++) {
            PlannedStep s = nodes.steps().get(j);
            h[j] = s.inputs().isEmpty() && !s.knownOutputs().isEmpty();
        }
        for (Source s : nodes.outputs()) {
            if (s instanceof Source.Output o) {
                h[o.step()] = false;
            }
        }
        return h;
    }

    private List<Block> sequentialBlocks(List<List<Integer>> members) {
        List<Block> out = new ArrayList<>();
        for (int b = 0; b < members.size(); b++) {
            List<Integer> m = members.get(b);
            Source in = m.get(0) == 0 ? new Source.AllInputs() : new Source.AllOutputs(m.get(0) - 1);
            out.add(new Block(b, name(m), m, List.of(in), List.of(new Source.AllOutputs(m.get(m.size() - 1)))));
        }
        return List.copyOf(out);
    }

    private List<Block> graphBlocks(List<List<Integer>> members) {
        int n = nodes.steps().size();
        // The last block that reads each value (p, k); the model's outputs count as read after every block.
        Map<Long, Integer> lastReader = new HashMap<>();
        for (int j = 0; j < n; j++) {
            if (hoisted[j]) {
                continue;
            }
            for (Source s : nodes.steps().get(j).inputs()) {
                if (s instanceof Source.Output o && !hoisted[o.step()]) {
                    lastReader.merge(key(o.step(), o.index()), blockOf[j], Math::max);
                }
            }
        }
        for (Source s : nodes.outputs()) {
            if (s instanceof Source.Output o) {
                lastReader.put(key(o.step(), o.index()), Integer.MAX_VALUE);
            }
        }
        List<Block> out = new ArrayList<>();
        for (int b = 0; b < members.size(); b++) {
            List<Integer> m = members.get(b);
            LinkedHashSet<Source> ins = new LinkedHashSet<>();
            for (int j : m) {
                for (Source s : nodes.steps().get(j).inputs()) {
                    switch (s) {
                        case Source.Input in -> ins.add(in);
                        case Source.Output o -> {
                            if (!hoisted[o.step()] && blockOf[o.step()] != b) {
                                ins.add(o);
                            }
                        }
                        default -> throw new IllegalArgumentException("a graph plan reads values one by one; step "
                                + nodes.steps().get(j).name() + " reads " + s);
                    }
                }
            }
            List<Source> outs = new ArrayList<>();
            for (int j : m) {
                int count = nodes.steps().get(j).outputCount();
                for (int k = 0; k < count; k++) {
                    Integer r = lastReader.get(key(j, k));
                    if (r != null && r > b) {
                        outputIndex.put(key(j, k), outs.size());
                        outs.add(new Source.Output(j, k));
                    }
                }
            }
            out.add(new Block(b, name(m), m, new ArrayList<>(ins), outs));
        }
        return List.copyOf(out);
    }

    private String name(List<Integer> m) {
        String first = nodes.steps().get(m.get(0)).name();
        return m.size() == 1 ? first : first + NAME_SEPARATOR + nodes.steps().get(m.get(m.size() - 1)).name();
    }

    private static long key(int step, int index) {
        return ((long) step << 20) | index;
    }

    public Granularity granularity() {
        return granularity;
    }

    /** The node plan the blocks group. */
    public StepPlan nodes() {
        return nodes;
    }

    public List<Block> blocks() {
        return blocks;
    }

    /** The cut list the header records (empty at output granularity). */
    public List<String> cuts() {
        return cuts;
    }

    /** Whether node step {@code j} belongs to no block (a constant the model id fixes). */
    public boolean hoisted(int j) {
        return hoisted[j];
    }

    /** The block named {@code name}, if any. */
    public java.util.Optional<Block> block(String name) {
        return blocks.stream().filter(b -> b.name().equals(name)).findFirst();
    }

    /** The block-level plan: one step per block, each reading the block outputs its inputs are. */
    public StepPlan blockPlan() {
        List<PlannedStep> steps = new ArrayList<>(blocks.size());
        for (Block b : blocks) {
            if (sequential) {
                steps.add(PlannedStep.of(b.name(), List.of(b.index() == 0 ? new Source.AllInputs() : new Source.AllOutputs(b.index() - 1))));
            } else {
                steps.add(new PlannedStep(b.name(), b.inputs().stream().map(this::toBlockSource).toList(), b.outputs().size(), List.of()));
            }
        }
        List<Source> outs;
        if (sequential) {
            outs = List.of(blocks.isEmpty() ? new Source.AllInputs() : new Source.AllOutputs(blocks.size() - 1));
        } else {
            outs = nodes.outputs().stream().map(this::toBlockSource).toList();
        }
        return new StepPlan(nodes.inputNames(), steps, outs);
    }

    private Source toBlockSource(Source s) {
        return switch (s) {
            case Source.Input in -> in;
            case Source.Output o -> {
                Integer k = outputIndex.get(key(o.step(), o.index()));
                if (k == null) {
                    throw new IllegalStateException("value " + o + " crosses no block boundary");
                }
                yield new Source.Output(blockOf[o.step()], k);
            }
            default -> throw new IllegalArgumentException("not a graph source: " + s);
        };
    }

    /**
     * The node steps a descent into block {@code b} runs, as indices into the node plan: the
     * hoisted constants the block reads, then (in execution order, merged) the block's own nodes.
     */
    public List<Integer> descentSteps(int b) {
        Block block = blocks.get(b);
        TreeSet<Integer> all = new TreeSet<>(block.nodes());
        if (!sequential) {
            for (int j : block.nodes()) {
                for (Source s : nodes.steps().get(j).inputs()) {
                    if (s instanceof Source.Output o && hoisted[o.step()]) {
                        all.add(o.step());
                    }
                }
            }
        }
        return List.copyOf(all);
    }

    /**
     * The names a descent into block {@code b} binds its inputs to: {@code input:<model input
     * name>} for a model input, {@code output:<k>:<node step name>} for output k of a node step
     * of an earlier block; for a sequential plan the positions {@code "0", "1", ...} of its
     * {@code count} inputs.
     */
    public List<String> descentInputNames(int b, int count) {
        if (sequential) {
            return TranscriptHeader.positionalNames(count);
        }
        List<String> names = new ArrayList<>();
        for (Source s : blocks.get(b).inputs()) {
            names.add(switch (s) {
                case Source.Input in -> "input:" + nodes.inputNames().get(in.index());
                case Source.Output o -> "output:" + o.index() + ":" + nodes.steps().get(o.step()).name();
                default -> throw new IllegalStateException("not a graph source: " + s);
            });
        }
        return names;
    }

    /**
     * The node-level plan inside block {@code b}, for a descent (spec section 3.14): its "model
     * inputs" are the block's inputs, its steps {@link #descentSteps}, its outputs the block's outputs.
     *
     * @param inputCount how many inputs the block was given (checked against the block's inputs for a graph plan)
     */
    public StepPlan descentPlan(int b, int inputCount) {
        Block block = blocks.get(b);
        List<Integer> subs = descentSteps(b);
        Map<Integer, Integer> local = new HashMap<>();
        for (int i = 0; i < subs.size(); i++) {
            local.put(subs.get(i), i);
        }
        List<PlannedStep> steps = new ArrayList<>();
        if (sequential) {
            for (int i = 0; i < subs.size(); i++) {
                steps.add(PlannedStep.of(nodes.steps().get(subs.get(i)).name(),
                        List.of(i == 0 ? new Source.AllInputs() : new Source.AllOutputs(i - 1))));
            }
            return new StepPlan(TranscriptHeader.positionalNames(inputCount), steps, List.of(new Source.AllOutputs(subs.size() - 1)));
        }
        if (inputCount != block.inputs().size()) {
            throw new MalformedInputException("block '" + block.name() + "' reads " + block.inputs().size() + " values; got " + inputCount);
        }
        for (int j : subs) {
            PlannedStep p = nodes.steps().get(j);
            List<Source> ins = new ArrayList<>();
            for (Source s : p.inputs()) {
                ins.add(s instanceof Source.Output o && local.containsKey(o.step())
                        ? new Source.Output(local.get(o.step()), o.index())
                        : new Source.Input(block.inputs().indexOf(s)));
            }
            steps.add(new PlannedStep(p.name(), ins, p.outputCount(), p.knownOutputs()));
        }
        List<Source> outs = new ArrayList<>();
        for (Source s : block.outputs()) {
            Source.Output o = (Source.Output) s;
            outs.add(new Source.Output(local.get(o.step()), o.index()));
        }
        return new StepPlan(descentInputNames(b, inputCount), steps, outs);
    }

    /** The dataflow of a descent into block {@code b} whose inputs have the digests {@code inputs}. */
    public Dataflow descentDataflow(Digest modelId, int b, List<Digest> inputs) {
        return descentPlan(b, inputs.size()).withDigests(modelId, inputs);
    }

    // ------------------------------------------------------------------------------------------
    // The default partition rule for graphs (spec section 3.14.1)

    /**
     * The cuts the spec's default rule places in a graph plan ({@link Granularity#BLOCK}, no
     * explicit partition): runs of equal module key, small runs merged, long runs split where
     * the fewest values are live. See spec section 3.14.1 for the rule in words.
     */
    public static List<String> ruleCuts(StepPlan nodes) {
        boolean[] h = hoisted(nodes);
        List<Integer> order = new ArrayList<>();
        for (int j = 0; j < nodes.steps().size(); j++) {
            if (!h[j]) {
                order.add(j);
            }
        }
        int n = order.size();
        if (n <= 1) {
            return List.of();
        }
        int s = (int) Math.ceil(Math.sqrt(n));
        int[] live = liveCounts(nodes, h, order);
        // 1. runs of equal module key
        List<int[]> runs = new ArrayList<>();
        String prev = null;
        for (int q = 0; q < n; q++) {
            String k = moduleKey(nodes.steps().get(order.get(q)).name());
            if (q == 0 || !k.equals(prev)) {
                runs.add(new int[] {q, q + 1});
            } else {
                runs.get(runs.size() - 1)[1] = q + 1;
            }
            prev = k;
        }
        // 2. merge a run into the block before it while the two together hold at most S node steps
        List<int[]> merged = new ArrayList<>();
        for (int[] r : runs) {
            int[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && (last[1] - last[0]) + (r[1] - r[0]) <= s) {
                last[1] = r[1];
            } else {
                merged.add(new int[] {r[0], r[1]});
            }
        }
        // 3. split every block of more than 4S node steps at the positions with the fewest live values
        List<Integer> starts = new ArrayList<>();
        for (int[] r : merged) {
            starts.add(r[0]);
            if (r[1] - r[0] > 4 * s) {
                int a = r[0];
                while (r[1] - a > 2 * s) {
                    int best = -1;
                    int lo = a + (s + 1) / 2;
                    int hi = Math.min(a + 2 * s, r[1] - 1);
                    for (int c = lo; c <= hi; c++) {
                        if (best < 0 || live[c] < live[best]) {
                            best = c;
                        }
                    }
                    starts.add(best);
                    a = best;
                }
            }
        }
        List<String> cuts = new ArrayList<>();
        for (int i = 1; i < starts.size(); i++) {
            cuts.add(nodes.steps().get(order.get(starts.get(i))).name());
        }
        return List.copyOf(cuts);
    }

    /**
     * The module key of a node name (spec section 3.14.1): for a name {@code /c1/c2/.../cm/op}
     * (starting with {@code /}), the components {@code c1..cm} up to and including the first that
     * ends in {@code .<digits>} or {@code _<digits>} (a numbered layer such as {@code layer.0}),
     * or {@code c1} alone where none does, joined by {@code /}; the empty key for {@code /op}
     * and for every name that does not start with {@code /}.
     */
    public static String moduleKey(String name) {
        if (!name.startsWith("/")) {
            return "";
        }
        String[] parts = name.substring(1).split("/", -1);
        int m = parts.length - 1; // the last component is the operator
        if (m < 1) {
            return "";
        }
        for (int i = 0; i < m; i++) {
            if (NUMBERED.matcher(parts[i]).matches()) {
                return String.join("/", java.util.Arrays.asList(parts).subList(0, i + 1));
            }
        }
        return parts[0];
    }

    /**
     * For each position c in {@code order} (a cut before {@code order[c]}), the number of distinct
     * values produced before c by non-hoisted steps and read at or after c, or returned by the model.
     */
    static int[] liveCounts(StepPlan nodes, boolean[] hoisted, List<Integer> order) {
        int n = order.size();
        int[] pos = new int[nodes.steps().size()];
        java.util.Arrays.fill(pos, -1);
        for (int q = 0; q < n; q++) {
            pos[order.get(q)] = q;
        }
        Map<Long, Integer> lastUse = new HashMap<>();
        boolean seq = nodes.sequential();
        for (int q = 0; q < n; q++) {
            for (Source s : nodes.steps().get(order.get(q)).inputs()) {
                if (s instanceof Source.Output o && !hoisted[o.step()]) {
                    lastUse.merge(key(o.step(), o.index()), q, Math::max);
                } else if (s instanceof Source.AllOutputs o) {
                    lastUse.merge(key(o.step(), 0), q, Math::max);
                }
            }
        }
        for (Source s : nodes.outputs()) {
            if (s instanceof Source.Output o) {
                lastUse.put(key(o.step(), o.index()), n);
            } else if (s instanceof Source.AllOutputs o) {
                lastUse.put(key(o.step(), 0), n);
            }
        }
        int[] delta = new int[n + 2];
        for (var e : lastUse.entrySet()) {
            int producer = pos[(int) (e.getKey() >>> 20)];
            if (producer < 0) {
                continue;
            }
            // live at every cut c with producer < c <= lastUse
            delta[producer + 1]++;
            delta[Math.min(e.getValue(), n) + 1]--;
        }
        int[] live = new int[n + 1];
        int run = 0;
        for (int c = 0; c <= n; c++) {
            run += delta[c];
            live[c] = run;
        }
        return live;
    }
}
