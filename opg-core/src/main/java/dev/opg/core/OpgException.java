package dev.opg.core;

/**
 * The root of every exception opg throws on purpose. Catching it catches all of them; each
 * subclass names a kind of failure and its message says what was wrong and what was expected.
 *
 * <p>Unchecked, like DJL's own {@code EngineException}, so that wrapping a DJL predictor does not
 * change the checked-exception signature a user already has.
 */
public class OpgException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OpgException(String message) {
        super(message);
    }

    public OpgException(String message, Throwable cause) {
        super(message, cause);
    }
}
