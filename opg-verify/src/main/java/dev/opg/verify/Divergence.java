package dev.opg.verify;

import java.util.Objects;

/**
 * The first step at which the claimed transcript departs from what the verifier established.
 *
 * @param stepIndex the step's index (Merkle leaf {@code stepIndex + 1})
 * @param name the step's name as the verifier knows it (the claimed name where the verifier has none)
 * @param field which part of the step differs
 * @param expected what the verifier computed (hex tensor digests, a name, or an error measure)
 * @param actual what the claimed transcript (or witness) says
 */
public record Divergence(long stepIndex, String name, StepField field, String expected, String actual) implements Finding {
    public Divergence {
        if (stepIndex < 0) {
            throw new IllegalArgumentException("step index " + stepIndex + " is negative");
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(actual, "actual");
    }

    @Override
    public String location() {
        return "step[" + stepIndex + "]." + field;
    }

    @Override
    public String describe() {
        return "step " + stepIndex + " (" + name + ") differs in " + field + ": expected " + expected + ", transcript says " + actual;
    }
}
