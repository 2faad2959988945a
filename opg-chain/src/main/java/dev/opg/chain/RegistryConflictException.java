package dev.opg.chain;

import dev.opg.core.OpgException;

/**
 * A registration that would alter what is registered: the publisher already registered this
 * version string of this name with other fields. Registered entries never change; register a new
 * version string instead.
 */
public class RegistryConflictException extends OpgException {
    private static final long serialVersionUID = 1L;

    public RegistryConflictException(String message) {
        super(message);
    }
}
