package dev.opg.core.transcript;

import dev.opg.core.MalformedInputException;

/**
 * A block partition (cuts) that the model does not have on the given input: a cut naming no node
 * step that can start a block, or cuts out of execution order. A verifier reading such a
 * partition from a transcript answers INVALID: the prover's claim about its execution is false.
 */
public final class PartitionException extends MalformedInputException {
    private static final long serialVersionUID = 1L;

    public PartitionException(String message) {
        super(message);
    }
}
