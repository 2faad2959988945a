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
        return sequential(commitment, inputs, stepNames());
    }

    /** The dataflow of steps run one after the other, each on all of its predecessor's outputs. */
    static Dataflow sequential(ModelCommitment commitment, NDList inputs, List<String> names) {
        List<PlannedStep> plan = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            plan.add(PlannedStep.of(names.get(i), List.of(i == 0 ? new Source.AllInputs() : new Source.AllOutputs(i - 1))));
        }
        Source out = names.isEmpty() ? new Source.AllInputs() : new Source.AllOutputs(names.size() - 1);
        return new Dataflow(commitment.modelId(), dev.opg.core.transcript.TranscriptHeader.positionalNames(inputs.size()),
                ModelRunner.digests(inputs), plan, List.of(out));
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
