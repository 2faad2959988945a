package dev.opg.core.djl;

import dev.opg.core.OpgException;

/** The model (or a part of it) is of a kind opg cannot record faithfully; the message names the part and the supported kinds. */
public class UnsupportedModelException extends OpgException {
    private static final long serialVersionUID = 1L;

    public UnsupportedModelException(String message) {
        super(message);
    }

    public UnsupportedModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
