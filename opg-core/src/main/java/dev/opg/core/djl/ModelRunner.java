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

    /**
     * The node steps this model runs on {@code inputs} and their wiring, without hashing the
     * input: {@link #dataflow} before the digests. The default takes it from {@link #dataflow}.
     */
    default dev.opg.core.transcript.StepPlan plan(NDList inputs) {
        Dataflow d = dataflow(inputs);
        return new dev.opg.core.transcript.StepPlan(d.inputNames(), d.steps(), d.outputs());
    }

    /**
     * The node plan where it does not depend on the input (its input names may be positional
     * placeholders), else {@code null}: what {@link #stepNames} lists, with its wiring.
     */
    default dev.opg.core.transcript.StepPlan fixedPlan() {
        return null;
    }

    /** How finely this runner's steps commit to the execution: {@link dev.opg.core.transcript.Granularity#NODE} for a model's own runner. */
    default dev.opg.core.transcript.Granularity granularity() {
        return dev.opg.core.transcript.Granularity.NODE;
    }

    /** Empty for a runner of the whole model; the block's name for a runner of one block's nodes (a dispute's descent). */
    default String scope() {
        return "";
    }

    /** The block partition a transcript of {@code inputs} records (header cuts); empty except at block granularity. */
    default List<String> cuts(NDList inputs) {
        return List.of();
    }

    /**
     * Where blocks start when no partition is given ({@link dev.opg.core.transcript.Granularity#BLOCK}):
     * by default the spec's rule for graphs ({@link dev.opg.core.transcript.Blocks#ruleCuts});
     * DJL block trees start a block at each child of the top-level sequence.
     */
    default List<String> defaultCuts(dev.opg.core.transcript.StepPlan nodes) {
        return dev.opg.core.transcript.Blocks.ruleCuts(nodes);
    }

    /**
     * This model at {@code granularity}: the same runner at {@code NODE}, else a runner whose
     * steps are blocks of this runner's node steps, starting at the node steps named in
     * {@code cuts} ({@code null}: {@link #defaultCuts}; block granularity only).
     */
    default ModelRunner at(dev.opg.core.transcript.Granularity granularity, List<String> cuts) {
        if (granularity == dev.opg.core.transcript.Granularity.NODE) {
            if (cuts != null && !cuts.isEmpty()) {
                throw new dev.opg.core.MalformedInputException("node granularity takes no cuts; got " + cuts);
            }
            return this;
        }
        return new BlockedRunner(this, granularity, cuts);
    }

    /**
     * Runs the whole model and reports one step per block of {@code blocks} (the blocks of this
     * runner's plan for {@code inputs}) to {@code sink}. The default runs the node steps and
     * reports each block once its last node ran; a runner that can run without exposing the
     * values inside blocks (ONNX) overrides it, with the same values.
     */
    default NDList runBlocks(ParameterStore parameterStore, NDList inputs, dev.opg.core.transcript.Blocks blocks, StepSink sink) {
        return BlockedRunner.runByNodes(this, parameterStore, inputs, blocks, sink);
    }

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
