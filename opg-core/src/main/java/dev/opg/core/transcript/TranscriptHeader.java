package dev.opg.core.transcript;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.UnsupportedVersionException;
import java.util.List;

/**
 * The first leaf of every transcript: what was run (model id), how (profile digest, commitment
 * mode, sketch dimension) and on what (input digests), with what result (output digests). Input
 * and output digests are always full tensor digests, in both modes.
 *
 * @param version the transcript spec version, {@link #VERSION}
 * @param mode how steps are committed
 * @param sketchDimension k, the values per sketch: 0 in FULL mode, 1..{@link TranscriptLimits#MAX_SKETCH_DIMENSION} in SKETCH mode
 * @param modelId the model commitment root
 * @param profileDigest digest of the determinism profile the run used
 * @param inputs digests of the model's input tensors, in order
 * @param outputs digests of the model's output tensors, in order
 */
public record TranscriptHeader(int version, CommitmentMode mode, int sketchDimension, Digest modelId,
        Digest profileDigest, List<Digest> inputs, List<Digest> outputs) {
    /** The transcript spec version this code writes and reads. */
    public static final int VERSION = 1;

    public TranscriptHeader {
        if (version != VERSION) {
            throw new UnsupportedVersionException("transcript version " + version + " is not supported; this implementation reads version " + VERSION);
        }
        if (mode == null || modelId == null || profileDigest == null) {
            throw new MalformedInputException("a transcript header needs a mode, a model id and a profile digest");
        }
        if (mode == CommitmentMode.FULL && sketchDimension != 0) {
            throw new MalformedInputException("a FULL-mode header has sketch dimension 0; got " + sketchDimension);
        }
        if (mode == CommitmentMode.SKETCH && (sketchDimension < 1 || sketchDimension > TranscriptLimits.MAX_SKETCH_DIMENSION)) {
            throw new LimitExceededException("sketch dimension " + sketchDimension + " is outside 1.." + TranscriptLimits.MAX_SKETCH_DIMENSION);
        }
        inputs = Step.copy(inputs, "header inputs");
        outputs = Step.copy(outputs, "header outputs");
    }

    /** A header of the current version. */
    public static TranscriptHeader of(CommitmentMode mode, int sketchDimension, Digest modelId, Digest profileDigest,
            List<Digest> inputs, List<Digest> outputs) {
        return new TranscriptHeader(VERSION, mode, sketchDimension, modelId, profileDigest, inputs, outputs);
    }

    /** The spec's byte encoding of this header, the data of Merkle leaf 0. */
    public byte[] leafData() {
        return LeafEncoding.header(this);
    }
}
