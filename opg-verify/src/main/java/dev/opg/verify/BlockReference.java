package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import java.util.Objects;

/**
 * The {@link Reference} of a dispute's descent into one block (spec section 3.14): the node-level
 * dataflow inside the block from the model alone, an executor of single node steps, the block's
 * name as scope; profile and input tensors are the whole model's reference's.
 */
final class BlockReference implements Reference {
    private final Reference parent;
    private final Dataflow dataflow;
    private final String scope;
    private final StepExecutor executor;

    BlockReference(Reference parent, Dataflow dataflow, String scope, StepExecutor executor) {
        this.parent = Objects.requireNonNull(parent, "parent");
        this.dataflow = Objects.requireNonNull(dataflow, "dataflow");
        this.scope = Objects.requireNonNull(scope, "scope");
        this.executor = Objects.requireNonNull(executor, "executor");
    }

    @Override
    public Dataflow dataflow() {
        return dataflow;
    }

    /** The descent is at node granularity only: any other header shape is not one of its transcripts. */
    @Override
    public Reference at(TranscriptHeader header) {
        if (header.granularity() != Granularity.NODE || !header.scope().equals(scope)) {
            throw new MalformedInputException("a descent into block '" + scope + "' is at node granularity with that scope; got "
                    + header.granularity().specName() + " granularity, scope '" + header.scope() + "'");
        }
        return this;
    }

    @Override
    public Digest profileDigest() {
        return parent.profileDigest();
    }

    @Override
    public StepExecutor executor() {
        return executor;
    }

    @Override
    public TensorSource inputs() {
        return parent.inputs();
    }

    @Override
    public Transcript reexecute(dev.opg.core.djl.RecordingOptions options) {
        throw new MalformedInputException("a descent into block '" + scope + "' is settled in FULL mode, node by node; "
                + "there is no whole re-execution of it");
    }

    @Override
    public String scope() {
        return scope;
    }

    @Override
    public Reference descend(int blockIndex, java.util.List<Digest> blockInputs) {
        throw new UnsupportedOperationException("a descent is at node granularity: there is no block inside it");
    }
}
