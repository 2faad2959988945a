package dev.opg.chain;

import dev.opg.core.OpgException;

/** A failure talking to the chain or the contract; subclasses name the kind. */
public class ChainException extends OpgException {
    private static final long serialVersionUID = 1L;

    public ChainException(String message) {
        super(message);
    }

    public ChainException(String message, Throwable cause) {
        super(message, cause);
    }
}
