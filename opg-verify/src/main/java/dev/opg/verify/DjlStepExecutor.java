package dev.opg.verify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.witness.WitnessTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link StepExecutor} over an opg-core {@link VerifiableModel}: each call copies the input
 * tensors into a fresh NDManager scope, runs the one step through the model's runner, copies the
 * outputs out, and closes the scope (no native memory outlives a call). Safe to call from several
 * threads at once.
 */
public final class DjlStepExecutor implements StepExecutor {
    private final VerifiableModel model;
    private final List<String> names;

    public DjlStepExecutor(VerifiableModel model) {
        this.model = Objects.requireNonNull(model, "model");
        this.names = model.runner().stepNames();
    }

    @Override
    public List<WitnessTensor> run(long stepIndex, String name, List<WitnessTensor> inputs) {
        try (NDManager scope = model.model().getNDManager().newSubManager()) {
            NDList in = new NDList(inputs.size());
            for (WitnessTensor t : inputs) {
                in.add(t.toNDArray(scope));
            }
            NDList out = model.runStep(name, in);
            List<WitnessTensor> result = new ArrayList<>(out.size());
            for (NDArray a : out) {
                result.add(WitnessTensor.of(a));
            }
            return result;
        }
    }

    @Override
    public Optional<String> stepName(long stepIndex) {
        return stepIndex >= 0 && stepIndex < names.size() ? Optional.of(names.get((int) stepIndex)) : Optional.empty();
    }
}
