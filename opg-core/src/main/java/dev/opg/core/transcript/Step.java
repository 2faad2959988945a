package dev.opg.core.transcript;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import java.util.List;

/**
 * One recorded step of an execution: its position, a stable name (a DJL block path, an ONNX node
 * name, {@code forward} for a TorchScript module), and the commitments to what went in and what
 * came out.
 *
 * <p>In {@link CommitmentMode#FULL} mode {@code inputs} and {@code outputs} hold tensor digests and
 * {@code sketches} is empty. In {@link CommitmentMode#SKETCH} mode {@code inputs} and
 * {@code outputs} are empty and {@code sketches} holds one sketch per output. Lists are copied
 * and unmodifiable; every count and the name's length are capped ({@link TranscriptLimits}).
 *
 * @param index position in the transcript, 0-based (the step is Merkle leaf {@code index + 1})
 * @param name stable name, at most {@link TranscriptLimits#MAX_NAME_BYTES} UTF-8 bytes
 * @param inputs digests of the step's input tensors, in order (FULL mode)
 * @param outputs digests of the step's output tensors, in order (FULL mode)
 * @param sketches projections of the step's outputs, in order (SKETCH mode)
 */
public record Step(long index, String name, List<Digest> inputs, List<Digest> outputs, List<Sketch> sketches) {
    public Step {
        if (index < 0 || index >= TranscriptLimits.MAX_STEPS) {
            throw new LimitExceededException("step index " + index + " is outside 0.." + (TranscriptLimits.MAX_STEPS - 1));
        }
        if (name == null || !LeafWriter.isShortAscii(name, TranscriptLimits.MAX_NAME_BYTES)) {
            LeafWriter.utf8(name, TranscriptLimits.MAX_NAME_BYTES, "step " + index + " name"); // checks, and says what is wrong
        }
        // the messages are built only for a list that is refused: a generation makes these per token
        inputs = copy(inputs, index, "inputs");
        outputs = copy(outputs, index, "outputs");
        sketches = copy(sketches, index, "sketches");
    }

    private static <T> List<T> copy(List<T> list, long index, String what) {
        if (list == null || list.size() > TranscriptLimits.MAX_TENSORS) {
            return copy(list, "step " + index + " " + what);
        }
        for (T t : list) {
            if (t == null) {
                return copy(list, "step " + index + " " + what);
            }
        }
        return List.copyOf(list);
    }

    /** A FULL-mode step. */
    public static Step full(long index, String name, List<Digest> inputs, List<Digest> outputs) {
        return new Step(index, name, inputs, outputs, List.of());
    }

    /** A SKETCH-mode step. */
    public static Step sketched(long index, String name, List<Sketch> sketches) {
        return new Step(index, name, List.of(), List.of(), sketches);
    }

    /** The spec's byte encoding of this step, the data of its Merkle leaf. */
    public byte[] leafData() {
        return LeafEncoding.step(this);
    }

    static <T> List<T> copy(List<T> list, String what) {
        if (list == null) {
            throw new MalformedInputException(what + " is missing (null)");
        }
        if (list.size() > TranscriptLimits.MAX_TENSORS) {
            throw new LimitExceededException(what + " has " + list.size() + " entries; the cap is " + TranscriptLimits.MAX_TENSORS);
        }
        for (T t : list) {
            if (t == null) {
                throw new MalformedInputException(what + " holds a null entry");
            }
        }
        return List.copyOf(list);
    }
}
