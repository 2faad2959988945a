package dev.opg.core.store;

import dev.opg.core.MalformedInputException;

/** The store holds no artifact under the asked digest or model id. The message says how to add it. */
public class ModelNotInStoreException extends MalformedInputException {
    private static final long serialVersionUID = 1L;

    public ModelNotInStoreException(String message) {
        super(message);
    }
}
