package dev.opg.core;

/** A count, size or length above the cap the protocol sets; the message names the field, the value and the cap. */
public class LimitExceededException extends MalformedInputException {
    private static final long serialVersionUID = 1L;

    public LimitExceededException(String message) {
        super(message);
    }
}
