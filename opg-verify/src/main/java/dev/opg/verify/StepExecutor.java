package dev.opg.verify;

import dev.opg.core.Digest;
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

    /**
     * Runs step {@code stepIndex} as {@link #run} does and returns only the digests of its outputs,
     * in order: what a bitwise check needs. The default digests {@link #run}'s tensors;
     * implementations over an engine should digest the engine's output arrays in place instead of
     * copying them out first.
     *
     * @throws dev.opg.core.MalformedInputException if the model has no such step or the inputs do not fit it
     */
    default List<Digest> runDigests(long stepIndex, String name, List<WitnessTensor> inputs) {
        return run(stepIndex, name, inputs).stream().map(WitnessTensor::digest).toList();
    }

    /**
     * Pins the calling thread to the settings of the determinism profile that the engine keeps per
     * thread (libtorch: intra-op thread count and graph optimizer flag). {@link SpotChecker} calls it
     * on each of its pool threads before the thread runs a step. The default does nothing (an
     * executor with no per-thread engine state).
     */
    default void pinCurrentThread() {}

    /** The name the model gives step {@code stepIndex}, where the model knows it before running. */
    default Optional<String> stepName(long stepIndex) {
        return Optional.empty();
    }
}
