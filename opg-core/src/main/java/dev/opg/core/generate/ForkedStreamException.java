package dev.opg.core.generate;

import dev.opg.core.OpgException;

/**
 * A stream update that does not extend what the consumer already holds: its consistency proof
 * fails, it starts from another size or root, it shrinks the tree, or the token it shows is not
 * the leaf it proves. The producer forked (or rewrote) its transcript; the consumer keeps the last
 * root it accepted.
 */
public class ForkedStreamException extends OpgException {
    private static final long serialVersionUID = 1L;

    public ForkedStreamException(String message) {
        super(message);
    }
}
