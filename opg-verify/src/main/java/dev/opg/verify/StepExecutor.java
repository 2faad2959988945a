package dev.opg.verify;

import dev.opg.core.witness.WitnessTensor;
import java.util.List;
import java.util.Optional;

/**
 * Runs one step of a model alone, from its input tensors; the seam through which spot checks and
 * the referee re-execute. {@link DjlStepExecutor} adapts an opg-core {@code ModelRunner}.
 *
 * <p>Implementations must be deterministic under the process's profile and safe to call from
 * several threads at once (spot checks run steps in parallel).
 */
public interface StepExecutor {
    /**
     * Runs step {@code stepIndex}, named {@code name}, on {@code inputs} and returns its outputs.
     *
     * @throws dev.opg.core.MalformedInputException if the model has no such step or the inputs do not fit it
     */
    List<WitnessTensor> run(long stepIndex, String name, List<WitnessTensor> inputs);

    /** The name the model gives step {@code stepIndex}, where the model knows it before running. */
    default Optional<String> stepName(long stepIndex) {
        return Optional.empty();
    }
}
