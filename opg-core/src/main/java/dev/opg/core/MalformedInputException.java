package dev.opg.core;

/**
 * Input that does not have the structure the protocol requires: malformed hex, a proof of the
 * wrong length, an index beyond a tree's size, an unknown dtype code, a negative or overflowing
 * shape, tensor data shorter or longer than its shape says, truncated or non-canonical JSON.
 */
public class MalformedInputException extends OpgException {
    private static final long serialVersionUID = 1L;

    public MalformedInputException(String message) {
        super(message);
    }

    public MalformedInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
