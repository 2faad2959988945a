package dev.opg.core.djl;

import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.sketch.SketchProjector;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.transcript.TranscriptLimits;
import java.util.List;

/**
 * How predictions are recorded: the commitment mode, the sketch dimension (SKETCH mode), whether
 * a witness of every step tensor is kept (off by default; it copies every step tensor), the
 * {@link Granularity} of the steps ({@link Granularity#BLOCK} by default) and, at block
 * granularity, an explicit partition ({@code cuts}: the node step names where blocks 2, 3, ...
 * start; {@code null} for the model's default partition, spec section 3.14.1).
 */
public record RecordingOptions(CommitmentMode mode, int sketchDimension, boolean witness, Granularity granularity, List<String> cuts) {
    public RecordingOptions {
        if (mode == null || granularity == null) {
            throw new MalformedInputException("recording options need a commitment mode and a granularity");
        }
        if (mode == CommitmentMode.FULL && sketchDimension != 0) {
            throw new MalformedInputException("FULL mode takes sketch dimension 0; got " + sketchDimension);
        }
        if (mode == CommitmentMode.SKETCH && (sketchDimension < 1 || sketchDimension > TranscriptLimits.MAX_SKETCH_DIMENSION)) {
            throw new LimitExceededException("sketch dimension " + sketchDimension + " is outside 1.." + TranscriptLimits.MAX_SKETCH_DIMENSION);
        }
        if (cuts != null) {
            if (granularity != Granularity.BLOCK) {
                throw new MalformedInputException("only block granularity takes a partition; " + granularity.specName() + " got " + cuts);
            }
            cuts = List.copyOf(cuts);
        }
    }

    /** Options at the default granularity ({@link Granularity#BLOCK}, the model's default partition). */
    public RecordingOptions(CommitmentMode mode, int sketchDimension, boolean witness) {
        this(mode, sketchDimension, witness, Granularity.BLOCK, null);
    }

    /** FULL mode, block granularity, no witness. */
    public static RecordingOptions full() {
        return new RecordingOptions(CommitmentMode.FULL, 0, false);
    }

    /** SKETCH mode with {@link SketchProjector#DEFAULT_DIMENSION} values per output, block granularity, no witness. */
    public static RecordingOptions sketch() {
        return sketch(SketchProjector.DEFAULT_DIMENSION);
    }

    public static RecordingOptions sketch(int dimension) {
        return new RecordingOptions(CommitmentMode.SKETCH, dimension, false);
    }

    /**
     * The options a transcript with header {@code h} was recorded with (mode, sketch dimension,
     * granularity and its committed partition), for a verifier to record the same way.
     */
    public static RecordingOptions of(TranscriptHeader h, boolean witness) {
        return new RecordingOptions(h.mode(), h.sketchDimension(), witness, h.granularity(),
                h.granularity() == Granularity.BLOCK ? h.cuts() : null);
    }

    /** The same options, keeping a witness. */
    public RecordingOptions withWitness() {
        return new RecordingOptions(mode, sketchDimension, true, granularity, cuts);
    }

    /** The same options at {@code g}, with the model's default partition. */
    public RecordingOptions at(Granularity g) {
        return new RecordingOptions(mode, sketchDimension, witness, g, null);
    }

    /** The same options at block granularity with blocks starting at the node steps named in {@code cuts}. */
    public RecordingOptions partition(List<String> cuts) {
        return new RecordingOptions(mode, sketchDimension, witness, Granularity.BLOCK, cuts);
    }
}
