package dev.opg.core.transcript;

import dev.opg.core.Digest;
import dev.opg.core.transcript.Dataflow.PlannedStep;
import dev.opg.core.transcript.Dataflow.Source;
import java.util.List;

/**
 * The steps a model runs on one input and their wiring, without any tensor digest: a
 * {@link Dataflow} before the input is hashed. Runners derive it from the model and the input
 * alone; {@link Blocks} groups its steps into blocks.
 *
 * @param inputNames the model input each given tensor is bound to, in order
 * @param steps the steps in order
 * @param outputs where each model output comes from
 */
public record StepPlan(List<String> inputNames, List<PlannedStep> steps, List<Source> outputs) {
    public StepPlan {
        inputNames = List.copyOf(inputNames);
        steps = List.copyOf(steps);
        outputs = List.copyOf(outputs);
    }

    /** The dataflow of this plan for the model {@code modelId} and input tensors with these digests. */
    public Dataflow withDigests(Digest modelId, List<Digest> inputs) {
        return new Dataflow(modelId, inputNames, inputs, steps, outputs);
    }

    /** Whether every step reads all outputs of the step before it (the first: all model inputs), as DJL sequential blocks do. */
    public boolean sequential() {
        for (int i = 0; i < steps.size(); i++) {
            Source want = i == 0 ? new Source.AllInputs() : new Source.AllOutputs(i - 1);
            if (!steps.get(i).inputs().equals(List.of(want))) {
                return false;
            }
        }
        Source out = steps.isEmpty() ? new Source.AllInputs() : new Source.AllOutputs(steps.size() - 1);
        return outputs.equals(List.of(out));
    }

    /** The step names in order. */
    public List<String> names() {
        return steps.stream().map(PlannedStep::name).toList();
    }
}
