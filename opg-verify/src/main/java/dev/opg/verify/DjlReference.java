package dev.opg.verify;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.opg.core.Digest;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.WitnessTensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link Reference} over a DJL model the referee loaded itself and the input it was given,
 * under the profile this process runs ({@code processProfile}, as applied and measured), at one
 * granularity ({@link #at} gives the others; the model is wrapped once per granularity and
 * partition). Close it to release the recording wrappers; the model and the input arrays stay
 * the caller's.
 */
public final class DjlReference implements Reference, AutoCloseable {
    private final Shared shared;
    private final RecordingOptions options;
    private Dataflow dataflow;
    private DjlStepExecutor executor;

    /** A reference at the default granularity ({@link RecordingOptions#full()}). */
    public DjlReference(Model model, DeterminismProfile processProfile, NDList input) {
        this(new Shared(model, processProfile, input), RecordingOptions.full());
    }

    private DjlReference(Shared shared, RecordingOptions options) {
        this.shared = shared;
        this.options = options;
    }

    /** The state every granularity shares: the model, the input, and the wrappers made so far. */
    private static final class Shared {
        final Model model;
        final DeterminismProfile profile;
        final NDList input;
        final Map<RecordingOptions, VerifiableModel> wrapped = new HashMap<>();
        /** Descent wrappers: they share their block-level wrapper's runner and are closed before it. */
        final Map<Descent, VerifiableModel> descents = new HashMap<>();
        final Map<Digest, WitnessTensor> inputTensors = new HashMap<>();

        Shared(Model model, DeterminismProfile profile, NDList input) {
            this.model = Objects.requireNonNull(model, "model");
            this.profile = Objects.requireNonNull(profile, "processProfile");
            this.input = Objects.requireNonNull(input, "input");
            for (NDArray a : input) {
                WitnessTensor t = WitnessTensor.of(a);
                inputTensors.put(t.digest(), t);
            }
        }

        VerifiableModel wrap(RecordingOptions o) {
            return wrapped.computeIfAbsent(o, k -> VerifiableModel.wrap(model, profile, k));
        }
    }

    /** The model wrapped at this reference's granularity (FULL mode). */
    public VerifiableModel model() {
        return shared.wrap(options);
    }

    /** The model input the dispute is about. */
    public NDList input() {
        return shared.input;
    }

    @Override
    public Dataflow dataflow() {
        if (dataflow == null) {
            dataflow = model().dataflow(shared.input);
        }
        return dataflow;
    }

    @Override
    public Reference at(TranscriptHeader header) {
        RecordingOptions o = RecordingOptions.of(header, false);
        RecordingOptions full = new RecordingOptions(CommitmentMode.FULL, 0, false, o.granularity(), o.cuts());
        return full.equals(options) ? this : new DjlReference(shared, full);
    }

    @Override
    public Digest profileDigest() {
        return shared.profile.digest();
    }

    @Override
    public StepExecutor executor() {
        if (executor == null) {
            executor = new DjlStepExecutor(model());
        }
        return executor;
    }

    @Override
    public TensorSource inputs() {
        return TensorSource.of(shared.inputTensors);
    }

    @Override
    public Transcript reexecute(RecordingOptions o) {
        dev.opg.core.djl.Prediction<NDList> p = shared.wrap(o).predict(shared.input);
        p.output().close(); // only the transcript is wanted
        return p.transcript();
    }

    /**
     * The descent into block {@code blockIndex} at this reference's granularity and partition:
     * the model's blocks on the input give the node-level dataflow inside the block
     * ({@link VerifiableModel#descentDataflow}), with no block tensor; node steps run through the
     * block's node runner ({@link VerifiableModel#descend}), which shares this reference's model
     * wrapper (no second wrapper of the whole model).
     *
     * @throws UnsupportedOperationException at node granularity (there are no blocks)
     */
    @Override
    public Reference descend(int blockIndex, List<Digest> blockInputs) {
        if (options.granularity() == Granularity.NODE) {
            throw new UnsupportedOperationException("a node-granularity reference has no blocks to descend into");
        }
        VerifiableModel blocks = model();
        Dataflow inside = blocks.descentDataflow(shared.input, blockIndex, blockInputs);
        VerifiableModel down = shared.descents.computeIfAbsent(new Descent(options, blockIndex),
                k -> blocks.descend(shared.input, blockIndex, RecordingOptions.full()));
        String name = down.runner().scope();
        Dataflow whole = dataflow();
        if (blockIndex >= whole.steps().size() || !whole.steps().get(blockIndex).name().equals(name)) {
            throw new IllegalStateException("block " + blockIndex + " of the model is '" + name + "', not the dataflow's step");
        }
        return new BlockReference(this, inside, name, new DjlStepExecutor(down));
    }

    /** A descent's wrapper, by the granularity and partition of the block-level wrapper it shares a runner with. */
    private record Descent(RecordingOptions options, int block) {}

    @Override
    public void close() {
        for (VerifiableModel vm : shared.descents.values()) {
            vm.close();
        }
        shared.descents.clear();
        for (VerifiableModel vm : shared.wrapped.values()) {
            vm.close();
        }
        shared.wrapped.clear();
    }
}
