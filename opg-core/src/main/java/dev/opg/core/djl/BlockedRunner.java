package dev.opg.core.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import dev.opg.core.MalformedInputException;
import dev.opg.core.model.ModelCommitment;
import dev.opg.core.transcript.Blocks;
import dev.opg.core.transcript.Blocks.Block;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.Dataflow.Source;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.StepPlan;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model at {@link Granularity#BLOCK} or {@link Granularity#OUTPUT}: each step is a block of
 * the node steps of the model's own runner ({@link Blocks}, spec section 3.14). The blocks are
 * derived from the node plan for each input (an ONNX graph's plan depends on its {@code If}
 * conditions) and kept per plan.
 *
 * <p>Running: {@link ModelRunner#runBlocks} of the node runner (ONNX Runtime runs the whole graph
 * exposing only the block boundaries). Re-running one block ({@link #runStep}) runs its node steps
 * one by one through the node runner, the very computation a dispute's descent re-runs node by
 * node. {@link #descend} gives the runner of one block's nodes for such a descent.
 */
final class BlockedRunner implements ModelRunner {
    private static final int MAX_PLANS = 64;

    private final ModelRunner nodes;
    private final Granularity granularity;
    private final List<String> cuts;
    private final Map<StepPlan, Blocks> byPlan = Collections.synchronizedMap(new IdentityHashMap<>());
    /** Every block name seen, with the node steps it runs: one name must always mean one computation. */
    private final Map<String, List<String>> names = Collections.synchronizedMap(new HashMap<>());

    BlockedRunner(ModelRunner nodes, Granularity granularity, List<String> cuts) {
        if (granularity == Granularity.NODE) {
            throw new IllegalArgumentException("node granularity is the node runner itself");
        }
        if (granularity == Granularity.OUTPUT && cuts != null && !cuts.isEmpty()) {
            throw new MalformedInputException("output granularity is one block; it takes no cuts (got " + cuts + ")");
        }
        this.nodes = nodes;
        this.granularity = granularity;
        this.cuts = cuts == null ? null : List.copyOf(cuts);
    }

    /** The blocks of the node plan for {@code inputs}. */
    Blocks blocks(NDList inputs) {
        return blocks(nodes.plan(inputs));
    }

    private Blocks blocks(StepPlan plan) {
        Blocks b = byPlan.get(plan);
        if (b == null) {
            List<String> c = granularity == Granularity.OUTPUT ? List.of() : cuts != null ? cuts : nodes.defaultCuts(plan);
            b = Blocks.of(plan, granularity, c);
            for (Block k : b.blocks()) {
                List<String> run = k.nodes().stream().map(j -> plan.steps().get(j).name()).toList();
                List<String> before = names.putIfAbsent(k.name(), run);
                if (before != null && !before.equals(run)) {
                    throw new UnsupportedModelException("block '" + k.name() + "' runs other node steps on another input (" + before.size()
                            + " vs " + run.size() + " steps); opg re-runs blocks by name and cannot tell them apart (pass cuts that "
                            + "keep If branches inside one block apart)");
                }
            }
            if (byPlan.size() < MAX_PLANS) {
                byPlan.put(plan, b);
            }
        }
        return b;
    }

    @Override
    public ModelCommitment commitment() {
        return nodes.commitment();
    }

    @Override
    public Granularity granularity() {
        return granularity;
    }

    @Override
    public List<String> cuts(NDList inputs) {
        return blocks(inputs).cuts();
    }

    @Override
    public List<String> stepNames() {
        StepPlan fixed = nodes.fixedPlan();
        return fixed == null ? List.of() : blocks(fixed).blockPlan().names();
    }

    @Override
    public StepPlan plan(NDList inputs) {
        return blocks(inputs).blockPlan();
    }

    @Override
    public Dataflow dataflow(NDList inputs) {
        return plan(inputs).withDigests(commitment().modelId(), ModelRunner.digests(inputs));
    }

    @Override
    public List<String> inputBinding(NDList inputs) {
        return nodes.inputBinding(inputs);
    }

    @Override
    public NDList run(ParameterStore parameterStore, NDList inputs, StepSink sink) {
        Blocks b = blocks(inputs);
        sink.partition(b.cuts()); // the partition these steps follow, found once per prediction
        return nodes.runBlocks(parameterStore, inputs, b, sink);
    }

    @Override
    public NDList runStep(ParameterStore parameterStore, String name, NDList inputs) {
        Blocks owner = null;
        Block block = null;
        StepPlan fixed = nodes.fixedPlan();
        if (fixed != null) {
            blocks(fixed); // a model whose plan does not depend on the input knows its blocks before any prediction
        }
        synchronized (byPlan) {
            for (Blocks b : byPlan.values()) {
                var k = b.block(name);
                if (k.isPresent()) {
                    owner = b;
                    block = k.get();
                    break;
                }
            }
        }
        if (block == null) {
            throw new MalformedInputException("the model has no block '" + name + "' (at " + granularity.specName()
                    + " granularity; blocks are known once the model's plan for an input is)");
        }
        return runBlock(nodes, parameterStore, owner, block.index(), inputs, null);
    }

    @Override
    public ByteBuffer dataInPlace(NDArray array) {
        return nodes.dataInPlace(array);
    }

    @Override
    public void close() {
        try {
            nodes.close();
        } catch (Exception e) {
            throw new dev.opg.core.OpgException("closing the model runner failed: " + e.getMessage(), e);
        }
    }

    /**
     * The runner of block {@code blockIndex}'s node steps on the model input {@code inputs}
     * (which fixes the plan): a dispute's descent (spec section 3.14). Its inputs are the block's
     * inputs; its steps the block's node steps and the constants they read; its outputs the
     * block's outputs; its transcripts carry the block's name as their scope.
     */
    ModelRunner descend(NDList inputs, int blockIndex) {
        Blocks b = blocks(inputs);
        if (blockIndex < 0 || blockIndex >= b.blocks().size()) {
            throw new MalformedInputException("the model has no block " + blockIndex + "; it runs " + b.blocks().size()
                    + " blocks on this input");
        }
        return new Descent(nodes, b, blockIndex);
    }

    /**
     * Runs block {@code index} of {@code blocks} node by node on its inputs {@code inputs},
     * reporting every node step to {@code sink} (when not null); returns the block's outputs.
     */
    static NDList runBlock(ModelRunner nodes, ParameterStore ps, Blocks blocks, int index, NDList inputs, StepSink sink) {
        Block block = blocks.blocks().get(index);
        StepPlan plan = blocks.nodes();
        List<Integer> subs = blocks.descentSteps(index);
        boolean sequential = plan.sequential();
        if (!sequential && inputs.size() != block.inputs().size()) {
            throw new MalformedInputException("block '" + block.name() + "' reads " + block.inputs().size() + " values; got " + inputs.size());
        }
        Map<Long, NDArray> values = new HashMap<>();
        NDList current = inputs;
        for (int j : subs) {
            String name = plan.steps().get(j).name();
            NDList in;
            if (sequential) {
                in = current;
            } else {
                in = new NDList();
                for (Source s : plan.steps().get(j).inputs()) {
                    int at = block.inputs().indexOf(s);
                    if (at >= 0) {
                        in.add(inputs.get(at));
                    } else if (s instanceof Source.Output o && values.containsKey(key(o.step(), o.index()))) {
                        in.add(values.get(key(o.step(), o.index())));
                    } else {
                        throw new IllegalStateException("step '" + name + "' reads " + s + ", which block '" + block.name() + "' lacks");
                    }
                }
            }
            NDList out = nodes.runStep(ps, name, in);
            if (sink != null) {
                sink.step(name, in, out);
            }
            for (int k = 0; k < out.size(); k++) {
                values.put(key(j, k), out.get(k));
            }
            current = out;
        }
        if (sequential) {
            return current;
        }
        NDList out = new NDList(block.outputs().size());
        for (Source s : block.outputs()) {
            Source.Output o = (Source.Output) s;
            out.add(values.get(key(o.step(), o.index())));
        }
        return out;
    }

    private static long key(int step, int index) {
        return ((long) step << 20) | index;
    }

    /**
     * The default {@link ModelRunner#runBlocks}: runs the node steps and reports block {@code b}
     * when its last node step has run, reading the block's inputs and outputs from the node
     * steps' arrays.
     */
    static NDList runByNodes(ModelRunner nodes, ParameterStore ps, NDList inputs, Blocks blocks, StepSink sink) {
        StepPlan plan = blocks.nodes();
        NDList[] outputs = new NDList[plan.steps().size()];
        int[] next = {0};
        int[] block = {0};
        List<Block> all = blocks.blocks();
        NDList result = nodes.run(ps, inputs, (name, in, out) -> {
            int j = next[0]++;
            if (j >= plan.steps().size() || !plan.steps().get(j).name().equals(name)) {
                throw new IllegalStateException("node step " + j + " ran as '" + name + "', not as planned");
            }
            outputs[j] = out;
            while (block[0] < all.size() && all.get(block[0]).last() == j) {
                Block k = all.get(block[0]++);
                sink.step(k.name(), gather(k.inputs(), inputs, outputs), gather(k.outputs(), inputs, outputs));
            }
        });
        if (block[0] != all.size()) {
            throw new IllegalStateException("only " + block[0] + " of " + all.size() + " blocks ran");
        }
        return result;
    }

    static NDList gather(List<Source> sources, NDList inputs, NDList[] outputs) {
        NDList l = new NDList(sources.size());
        for (Source s : sources) {
            switch (s) {
                case Source.Input in -> l.add(inputs.get(in.index()));
                case Source.AllInputs a -> l.addAll(inputs);
                case Source.Output o -> l.add(outputs[o.step()].get(o.index()));
                case Source.AllOutputs o -> l.addAll(outputs[o.step()]);
            }
        }
        return l;
    }

    /** The node steps of one block, run from the block's inputs: a dispute's descent. */
    static final class Descent implements ModelRunner {
        private final ModelRunner nodes;
        private final Blocks blocks;
        private final int index;
        private final List<String> stepNames;

        Descent(ModelRunner nodes, Blocks blocks, int index) {
            this.nodes = nodes;
            this.blocks = blocks;
            this.index = index;
            this.stepNames = blocks.descentSteps(index).stream().map(j -> blocks.nodes().steps().get(j).name()).toList();
        }

        @Override
        public ModelCommitment commitment() {
            return nodes.commitment();
        }

        @Override
        public String scope() {
            return blocks.blocks().get(index).name();
        }

        @Override
        public List<String> stepNames() {
            return stepNames;
        }

        @Override
        public StepPlan plan(NDList inputs) {
            return blocks.descentPlan(index, inputs.size());
        }

        @Override
        public Dataflow dataflow(NDList inputs) {
            return plan(inputs).withDigests(commitment().modelId(), ModelRunner.digests(inputs));
        }

        @Override
        public List<String> inputBinding(NDList inputs) {
            return plan(inputs).inputNames();
        }

        @Override
        public NDList run(ParameterStore parameterStore, NDList inputs, StepSink sink) {
            return runBlock(nodes, parameterStore, blocks, index, inputs, sink);
        }

        @Override
        public NDList runStep(ParameterStore parameterStore, String name, NDList inputs) {
            if (!stepNames.contains(name)) {
                throw new MalformedInputException("block '" + scope() + "' has no node step '" + name + "'");
            }
            return nodes.runStep(parameterStore, name, inputs);
        }

        @Override
        public ByteBuffer dataInPlace(NDArray array) {
            return nodes.dataInPlace(array);
        }

        @Override
        public ModelRunner at(Granularity granularity, List<String> cuts) {
            if (granularity != Granularity.NODE) {
                throw new MalformedInputException("a descent into a block runs at node granularity");
            }
            return this;
        }
    }
}
