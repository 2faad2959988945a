package dev.opg.verify;

/** The header-level commitments a report can name as the place a transcript is false. */
public enum HeaderField {
    /** The transcript spec version. */
    VERSION,
    /** The commitment mode (full or sketch). */
    MODE,
    /** The sketch dimension k. */
    SKETCH_DIMENSION,
    /** The step granularity, the block partition (cuts) or the scope of a descent (header version 3). */
    GRANULARITY,
    /** The model commitment root. */
    MODEL_ID,
    /** The determinism profile (its digest or one of its fields). */
    PROFILE,
    /** The input tensor digests. */
    INPUTS,
    /** The output tensor digests. */
    OUTPUTS,
    /** The number of steps. */
    STEP_COUNT,
    /** The Merkle root the transcript was presented (signed, anchored) with. */
    ROOT,
    /** The signature over the root. */
    SIGNATURE
}
