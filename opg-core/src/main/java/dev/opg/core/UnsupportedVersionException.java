package dev.opg.core;

/** A format version this implementation does not know: the message names the version found and those supported. */
public class UnsupportedVersionException extends MalformedInputException {
    private static final long serialVersionUID = 1L;

    public UnsupportedVersionException(String message) {
        super(message);
    }
}
