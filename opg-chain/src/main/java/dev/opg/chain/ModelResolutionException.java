package dev.opg.chain;

import dev.opg.core.OpgException;

/**
 * A model id that cannot be resolved to a usable artifact through the registry: not registered
 * (by the required publisher), or every registration of it revoked. The message names the
 * registry, the publisher and the entries found.
 */
public class ModelResolutionException extends OpgException {
    private static final long serialVersionUID = 1L;

    public ModelResolutionException(String message) {
        super(message);
    }
}
