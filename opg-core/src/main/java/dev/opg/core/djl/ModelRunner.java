package dev.opg.core.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import dev.opg.core.model.ModelCommitment;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.transcript.Dataflow;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Runs one model kind step by step: a DJL block tree (one step per leaf block), a TorchScript
 * module (one step, {@code forward}), an ONNX graph (one step per node). The seam where opg-verify
 * re-executes a whole model or a single step.
 */
public interface ModelRunner extends AutoCloseable {
    /** The model's commitment, computed once. */
    ModelCommitment commitment();

    /** Step names in execution order, where they are known before running (empty if they depend on the input). */
    List<String> stepNames();

    /**
     * What a transcript of this model on {@code inputs} must look like: its steps in order, where
     * each step's inputs and the model's outputs come from, derived from the model and the input
     * alone (an ONNX graph with {@code If} nodes evaluates their conditions on {@code inputs}).
     * Spot checks and the referee check a transcript against it before re-running anything.
     */
    Dataflow dataflow(NDList inputs);

    /** The digests of {@code inputs} in order, as a header commits them. */
    static List<dev.opg.core.Digest> digests(NDList inputs) {
        List<dev.opg.core.Digest> d = new java.util.ArrayList<>(inputs.size());
        for (NDArray a : inputs) {
            d.add(TensorDigest.of(a));
        }
        return d;
    }

    /** Runs the whole model, reporting each step to {@code sink} in order, and returns the model outputs. */
    NDList run(ParameterStore parameterStore, NDList inputs, StepSink sink);

    /**
     * The model input each of {@code inputs} is bound to when {@link #run} is given them, in the
     * order given: what the runner itself does with them, never a label it does not use. The
     * default is for positional models (DJL blocks, TorchScript), where the position is the
     * binding: {@code "0", "1", ...}. A runner that binds by name (ONNX) overrides this and
     * derives the names exactly as {@code run} feeds them; recording commits them in the header
     * and verification compares them before anything runs.
     *
     * @throws dev.opg.core.MalformedInputException if {@code inputs} cannot be bound (wrong count, a name given twice)
     */
    default List<String> inputBinding(NDList inputs) {
        return dev.opg.core.transcript.TranscriptHeader.positionalNames(inputs.size());
    }

    /**
     * Runs the single step {@code name} on {@code inputs} (for example tensors taken from a witness)
     * and returns its outputs.
     *
     * @throws dev.opg.core.MalformedInputException if the model has no such step
     */
    NDList runStep(ParameterStore parameterStore, String name, NDList inputs);

    /**
     * The elements of {@code array}, an array this runner produced or was given, as a read-only
     * view of the engine's own memory (each element in the buffer's byte order), or {@code null}
     * where the runner has none; recording then hashes from this view instead of a copy. The view
     * is valid while the array is open.
     */
    default ByteBuffer dataInPlace(NDArray array) {
        return null;
    }

    @Override
    default void close() {}
}
