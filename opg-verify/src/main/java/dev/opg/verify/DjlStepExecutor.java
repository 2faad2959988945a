package dev.opg.verify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.witness.WitnessTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link StepExecutor} over an opg-core {@link VerifiableModel}: each call creates the input
 * arrays in a fresh NDManager scope (one copy of each witness tensor, into the array's own
 * memory), runs the one step through the model's runner, and closes the scope (no native memory
 * outlives a call). {@link #run} copies the outputs out; {@link #runDigests} digests them in the
 * engine's memory, with no copy. Safe to call from several threads at once.
 */
public final class DjlStepExecutor implements StepExecutor {
    private final VerifiableModel model;
    private final List<String> names;
    private final dev.opg.core.engine.EngineSupport engine;

    public DjlStepExecutor(VerifiableModel model) {
        this.model = Objects.requireNonNull(model, "model");
        this.names = model.runner().stepNames();
        this.engine = dev.opg.core.engine.EngineSupport.of(model.model());
    }

    @Override
    public List<WitnessTensor> run(long stepIndex, String name, List<WitnessTensor> inputs) {
        return runStep(name, inputs, WitnessTensor::of);
    }

    /** Digests each output in the engine's memory ({@link TensorDigest#of(NDArray)}), with no copy out. */
    @Override
    public List<Digest> runDigests(long stepIndex, String name, List<WitnessTensor> inputs) {
        return runStep(name, inputs, TensorDigest::of);
    }

    /** Runs one step in its own NDManager scope and maps each output before the scope frees it. */
    private <T> List<T> runStep(String name, List<WitnessTensor> inputs, java.util.function.Function<NDArray, T> each) {
        try (NDManager scope = model.model().getNDManager().newSubManager()) {
            NDList out = model.runStep(name, arrays(scope, inputs));
            List<T> result = new ArrayList<>(out.size());
            for (NDArray a : out) {
                result.add(each.apply(a));
            }
            return result;
        }
    }

    /** Pins the engine's per-thread settings on this thread (libtorch's intra-op threads; nothing for ONNX Runtime). */
    @Override
    public void pinCurrentThread() {
        engine.pinCurrentThread(model.profile());
    }

    @Override
    public Optional<String> stepName(long stepIndex) {
        return stepIndex >= 0 && stepIndex < names.size() ? Optional.of(names.get((int) stepIndex)) : Optional.empty();
    }

    private static NDList arrays(NDManager scope, List<WitnessTensor> inputs) {
        NDList in = new NDList(inputs.size());
        for (WitnessTensor t : inputs) {
            in.add(t.toNDArray(scope));
        }
        return in;
    }
}
