package dev.opg.core.store;

import dev.opg.core.MalformedInputException;

/**
 * An artifact is not what it must be: its recomputed digest or model id differs from the one the
 * store, the registry or the caller names (a file altered in the store, a wrong file registered).
 * The message names both values and the path.
 */
public class ArtifactMismatchException extends MalformedInputException {
    private static final long serialVersionUID = 1L;

    public ArtifactMismatchException(String message) {
        super(message);
    }
}
