package dev.opg.verify;

import java.util.Objects;

/**
 * A header commitment of the claimed transcript differs from what the verifier established.
 *
 * @param field which commitment
 * @param expected what the verifier computed (hex digests, or text)
 * @param actual what the claimed transcript says
 */
public record HeaderMismatch(HeaderField field, String expected, String actual) implements Finding {
    public HeaderMismatch {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(actual, "actual");
    }

    /** A profile no run recorded by opg can have ({@code DeterminismProfile.implausibility()}). */
    static HeaderMismatch implausibleProfile(String why) {
        return new HeaderMismatch(HeaderField.PROFILE, "a profile a run recorded by opg can have", why);
    }

    /** A dispute's descent into one block, presented as a transcript of the whole model. */
    static HeaderMismatch descentAsWholeModel(dev.opg.core.transcript.TranscriptHeader h) {
        return new HeaderMismatch(HeaderField.GRANULARITY, "a transcript of the whole model (no scope)",
                "a descent into block '" + h.scope() + "'; a dispute's sub-transcript is checked by the referee");
    }

    /** Recorded cuts the model does not have on the input: a false claim about the execution. */
    static HeaderMismatch impossiblePartition(dev.opg.core.transcript.TranscriptHeader h, String problem) {
        return new HeaderMismatch(HeaderField.GRANULARITY, "a partition of the model's node steps on this input",
                TranscriptComparator.describePartition(h) + ": " + problem);
    }

    @Override
    public String location() {
        return "header." + field;
    }

    @Override
    public String describe() {
        return "header field " + field + " differs: expected " + expected + ", transcript says " + actual;
    }
}
