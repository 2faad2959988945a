package dev.opg.core.generate;

import dev.opg.core.OpgException;

/**
 * A generation that cannot go on as asked: the model produced logits the sampler refuses (NaN, an
 * infinity, nothing finite), the sequence outgrew the model's positions, or a decoder that is not
 * in the layout opg runs. The message says what was found and what to change.
 */
public class GenerationException extends OpgException {
    private static final long serialVersionUID = 1L;

    public GenerationException(String message) {
        super(message);
    }

    public GenerationException(String message, Throwable cause) {
        super(message, cause);
    }
}
