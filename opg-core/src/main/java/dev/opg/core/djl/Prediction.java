package dev.opg.core.djl;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import java.util.List;
import java.util.Optional;

/**
 * A model output together with the transcript of the execution that produced it, the witness
 * when the recording options asked for one, and the tensors the model was fed (after a
 * translator's pre-processing) where the prediction went through a {@link VerifiablePredictor}, so
 * that the caller can verify the transcript later without running the translator again.
 *
 * @param modelInputs the model's input tensors, with names, as the model received them; empty where the caller fed the model itself
 */
public record Prediction<O>(O output, Transcript transcript, Optional<Witness> witness, List<WitnessTensor> modelInputs) {
    public Prediction {
        modelInputs = List.copyOf(modelInputs);
    }

    /** A prediction whose caller holds the model inputs itself ({@link VerifiableModel#predict}). */
    public Prediction(O output, Transcript transcript, Optional<Witness> witness) {
        this(output, transcript, witness, List.of());
    }

    /**
     * The model inputs as arrays of {@code manager} (names kept, so an ONNX model binds them as it
     * did), for {@code Verifier.verify(transcript, inputs)}.
     *
     * @throws MalformedInputException where this prediction kept no inputs
     */
    public NDList modelInputs(NDManager manager) {
        if (modelInputs.isEmpty() && !transcript.header().inputs().isEmpty()) {
            throw new MalformedInputException("this prediction kept no model inputs (the caller fed the model itself)");
        }
        NDList l = new NDList(modelInputs.size());
        for (int i = 0; i < modelInputs.size(); i++) {
            var a = modelInputs.get(i).toNDArray(manager);
            a.setName(transcript.header().inputNames().get(i));
            l.add(a);
        }
        return l;
    }
}
