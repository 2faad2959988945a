package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.Transcript;

/**
 * What a {@link Referee} settles a dispute against: the model and the input the dispute is about,
 * under the profile the referee runs, never anything a party says. Everything a ruling depends on
 * comes from here: which steps exist and what each one reads ({@link #dataflow()}), the values
 * one step computes ({@link #executor()}), the model's input tensors ({@link #inputs()}), and for
 * SKETCH-mode disputes, a whole re-execution ({@link #reexecute}).
 */
public interface Reference {
    /** The model id, the input digests, the step list and wiring, from the model and the input, at this reference's granularity. */
    Dataflow dataflow();

    /**
     * The same model, input and profile at the granularity and partition (cuts) {@code header}
     * records, where a dispute between transcripts of that header's shape is settled.
     *
     * @throws dev.opg.core.MalformedInputException where the model has no such partition on this input
     */
    Reference at(dev.opg.core.transcript.TranscriptHeader header);

    /** The digest of the determinism profile the referee runs under: the agreed profile of the dispute. */
    Digest profileDigest();

    /** Runs one step of the model. */
    StepExecutor executor();

    /** The model's input tensors, by digest. */
    TensorSource inputs();

    /** The referee's own transcript of the model on the input, recorded as {@code options} say (mode, sketch dimension, granularity, cuts). */
    Transcript reexecute(dev.opg.core.djl.RecordingOptions options);

    /**
     * The scope a transcript settled against this reference must carry: empty for the whole
     * model, the block's name for a {@linkplain #descend descent} into one block.
     */
    default String scope() {
        return "";
    }

    /**
     * The reference for a dispute's descent into block {@code blockIndex} of this reference's
     * dataflow (block or output granularity; spec section 3.14), whose inputs have the digests
     * {@code blockInputs} (the agreed inputs of the block's leaf). Derived from the model alone:
     * its {@link #dataflow()} is the node-level dataflow inside the block
     * ({@link dev.opg.core.transcript.Blocks#descentDataflow}), its {@link #executor()} runs single
     * node steps with the referee's own model, its {@link #scope()} is the block's name, its
     * {@link #inputs()} the model's input tensors and its profile this reference's. It does not
     * re-execute whole models ({@link #reexecute} throws): a descent is settled in FULL mode.
     *
     * @throws UnsupportedOperationException where this reference cannot descend (the referee then re-runs the block whole)
     * @throws dev.opg.core.MalformedInputException where the model has no such block or the block reads another number of inputs
     */
    default Reference descend(int blockIndex, java.util.List<Digest> blockInputs) {
        throw new UnsupportedOperationException("this reference cannot descend into a block");
    }
}
