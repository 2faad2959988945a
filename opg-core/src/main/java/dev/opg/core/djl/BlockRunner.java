package dev.opg.core.djl;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.opg.core.MalformedInputException;
import dev.opg.core.model.ModelCommitment;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.Dataflow.PlannedStep;
import dev.opg.core.transcript.Dataflow.Source;
import dev.opg.core.transcript.StepPlan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a DJL block tree one leaf block at a time, exactly as {@link SequentialBlock} would:
 * {@code current = child.forward(parameterStore, current, false)} for each child in order.
 *
 * <p>Step granularity: a {@link SequentialBlock} (nested to any depth) is opened and each of its
 * children becomes a step or is opened in turn; every other block, leaf or composite
 * ({@code ParallelBlock}, residual blocks, lambdas, symbol blocks), is one step named by its
 * path, since its inner wiring is private to DJL and replaying it piecewise could record
 * something other than what runs. A {@code SequentialBlock} with
 * {@code setReturnIntermediate(true)} is likewise one step. Step names are block paths such as
 * {@code 02SequentialBlock/01Conv2d}.
 */
public final class BlockRunner implements ModelRunner {
    private final Block root;
    private final Map<String, Block> steps = new LinkedHashMap<>();
    private final ModelCommitment commitment;
    /** The plan per number of model inputs (the step list is fixed; only the positional input names vary). */
    private final Map<Integer, StepPlan> plans = new java.util.concurrent.ConcurrentHashMap<>();

    /** @param root an initialized block tree */
    public BlockRunner(Block root) {
        this.root = root;
        flatten(root, "", steps);
        this.commitment = ModelCommitment.ofBlock(root);
    }

    private static void flatten(Block block, String path, Map<String, Block> out) {
        if (block instanceof SequentialBlock seq && !seq.isReturnIntermediate() && !seq.getChildren().isEmpty()) {
            for (Pair<String, Block> child : seq.getChildren()) {
                flatten(child.getValue(), path.isEmpty() ? child.getKey() : path + "/" + child.getKey(), out);
            }
        } else {
            out.put(path.isEmpty() ? block.getClass().getSimpleName() : path, block);
        }
    }

    public Block root() {
        return root;
    }

    @Override
    public ModelCommitment commitment() {
        return commitment;
    }

    @Override
    public List<String> stepNames() {
        return List.copyOf(new ArrayList<>(steps.keySet()));
    }

    /** Sequential wiring: step 0 reads every model input, step i every output of step i - 1; the model returns the last step's. */
    @Override
    public Dataflow dataflow(NDList inputs) {
        return plan(inputs).withDigests(commitment.modelId(), ModelRunner.digests(inputs));
    }

    @Override
    public StepPlan fixedPlan() {
        return plans.computeIfAbsent(1, n -> sequential(n, stepNames()));
    }

    @Override
    public StepPlan plan(NDList inputs) {
        return plans.computeIfAbsent(inputs.size(), n -> sequential(n, stepNames()));
    }

    /**
     * A block starts at each child of the top-level sequence (a residual unit, a transformer
     * layer, a nested sequence): the cuts are the first leaf step of every child but the first.
     */
    @Override
    public List<String> defaultCuts(StepPlan nodes) {
        List<String> cuts = new ArrayList<>();
        if (root instanceof SequentialBlock seq && !seq.isReturnIntermediate()) {
            List<String> names = stepNames();
            boolean first = true;
            for (Pair<String, Block> child : seq.getChildren()) {
                String path = child.getKey();
                String leaf = names.stream().filter(n -> n.equals(path) || n.startsWith(path + "/")).findFirst().orElse(null);
                if (leaf != null) {
                    if (!first) {
                        cuts.add(leaf);
                    }
                    first = false;
                }
            }
        }
        return List.copyOf(cuts);
    }

    /** The plan of steps run one after the other, each on all of its predecessor's outputs. */
    static StepPlan sequential(int inputCount, List<String> names) {
        List<PlannedStep> plan = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            plan.add(PlannedStep.of(names.get(i), List.of(i == 0 ? new Source.AllInputs() : new Source.AllOutputs(i - 1))));
        }
        Source out = names.isEmpty() ? new Source.AllInputs() : new Source.AllOutputs(names.size() - 1);
        return new StepPlan(dev.opg.core.transcript.TranscriptHeader.positionalNames(inputCount), plan, List.of(out));
    }

    @Override
    public NDList run(ParameterStore parameterStore, NDList inputs, StepSink sink) {
        NDList current = inputs;
        for (Map.Entry<String, Block> e : steps.entrySet()) {
            NDList out = e.getValue().forward(parameterStore, current, false);
            sink.step(e.getKey(), current, out);
            current = out;
        }
        return current;
    }

    @Override
    public NDList runStep(ParameterStore parameterStore, String name, NDList inputs) {
        Block b = steps.get(name);
        if (b == null) {
            throw new MalformedInputException("the model has no step '" + name + "'; its steps are " + steps.keySet());
        }
        return b.forward(parameterStore, inputs, false);
    }
}
