package dev.opg.core.djl;

import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.sketch.SketchProjector;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.TranscriptLimits;

/**
 * How predictions are recorded: the commitment mode, the sketch dimension (SKETCH mode) and
 * whether a witness of every step tensor is kept (off by default; it copies every step tensor).
 */
public record RecordingOptions(CommitmentMode mode, int sketchDimension, boolean witness) {
    public RecordingOptions {
        if (mode == null) {
            throw new MalformedInputException("recording options need a commitment mode");
        }
        if (mode == CommitmentMode.FULL && sketchDimension != 0) {
            throw new MalformedInputException("FULL mode takes sketch dimension 0; got " + sketchDimension);
        }
        if (mode == CommitmentMode.SKETCH && (sketchDimension < 1 || sketchDimension > TranscriptLimits.MAX_SKETCH_DIMENSION)) {
            throw new LimitExceededException("sketch dimension " + sketchDimension + " is outside 1.." + TranscriptLimits.MAX_SKETCH_DIMENSION);
        }
    }

    /** FULL mode, no witness. */
    public static RecordingOptions full() {
        return new RecordingOptions(CommitmentMode.FULL, 0, false);
    }

    /** SKETCH mode with {@link SketchProjector#DEFAULT_DIMENSION} values per output, no witness. */
    public static RecordingOptions sketch() {
        return sketch(SketchProjector.DEFAULT_DIMENSION);
    }

    public static RecordingOptions sketch(int dimension) {
        return new RecordingOptions(CommitmentMode.SKETCH, dimension, false);
    }

    /** The same options, keeping a witness. */
    public RecordingOptions withWitness() {
        return new RecordingOptions(mode, sketchDimension, true);
    }
}
