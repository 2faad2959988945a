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

    @Override
    public String location() {
        return "header." + field;
    }

    @Override
    public String describe() {
        return "header field " + field + " differs: expected " + expected + ", transcript says " + actual;
    }
}
