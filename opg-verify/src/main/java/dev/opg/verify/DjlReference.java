package dev.opg.verify;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.opg.core.Digest;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.witness.WitnessTensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link Reference} over a DJL model the referee loaded itself and the input it was given,
 * under the profile this process runs ({@code processProfile}, as applied and measured). The
 * dataflow is derived once, when the reference is made. Close it to release the recording
 * wrappers; the model and the input arrays stay the caller's.
 */
public final class DjlReference implements Reference, AutoCloseable {
    private final Model model;
    private final DeterminismProfile profile;
    private final NDList input;
    private final Map<RecordingOptions, VerifiableModel> wrapped = new HashMap<>();
    private final Dataflow dataflow;
    private final DjlStepExecutor executor;
    private final Map<Digest, WitnessTensor> inputTensors = new HashMap<>();

    public DjlReference(Model model, DeterminismProfile processProfile, NDList input) {
        this.model = Objects.requireNonNull(model, "model");
        this.profile = Objects.requireNonNull(processProfile, "processProfile");
        this.input = Objects.requireNonNull(input, "input");
        VerifiableModel full = wrap(RecordingOptions.full());
        this.dataflow = full.dataflow(input);
        this.executor = new DjlStepExecutor(full);
        for (NDArray a : input) {
            WitnessTensor t = WitnessTensor.of(a);
            inputTensors.put(t.digest(), t);
        }
    }

    private VerifiableModel wrap(RecordingOptions o) {
        return wrapped.computeIfAbsent(o, k -> VerifiableModel.wrap(model, profile, k));
    }

    @Override
    public Dataflow dataflow() {
        return dataflow;
    }

    @Override
    public Digest profileDigest() {
        return profile.digest();
    }

    @Override
    public StepExecutor executor() {
        return executor;
    }

    @Override
    public TensorSource inputs() {
        return TensorSource.of(inputTensors);
    }

    @Override
    public Transcript reexecute(CommitmentMode mode, int k) {
        RecordingOptions o = mode == CommitmentMode.FULL ? RecordingOptions.full() : RecordingOptions.sketch(k);
        dev.opg.core.djl.Prediction<NDList> p = wrap(o).predict(input);
        p.output().close(); // only the transcript is wanted
        return p.transcript();
    }

    @Override
    public void close() {
        for (VerifiableModel vm : wrapped.values()) {
            vm.close();
        }
        wrapped.clear();
    }
}
