package dev.opg.verify;

/** The part of a step leaf a {@link Divergence} names. */
public enum StepField {
    /** The step's name (its block path or node name). */
    NAME,
    /** The digests of the step's input tensors. */
    INPUTS,
    /** The digests of the step's output tensors. */
    OUTPUTS,
    /** The step's sketches (SKETCH mode). */
    SKETCHES,
    /** The step exists on one side only. */
    PRESENCE,
    /** The step's Merkle inclusion proof does not lead to the root. */
    INCLUSION,
    /** The witness tensors for the step are missing or do not match the step's digests. */
    WITNESS
}
