package dev.opg.core.generate;

import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.LeafWriter;

/**
 * The last leaf of a generation transcript (spec section 3.16): how many tokens were generated, why
 * it stopped, and the generated text (the tokenizer's decoding of the tokens, special tokens left
 * out), so that the text a reader is shown is committed and checked.
 *
 * <pre>"OPG-GEN-END" u8 1 u32 count u8 reason string text</pre>
 */
public record GenerationEnd(int count, StopReason reason, String text) {
    public static final String TAG = "OPG-GEN-END";
    public static final int VERSION = 1;
    /** The generated text's cap, in UTF-8 bytes. */
    public static final int MAX_TEXT_BYTES = 4 << 20;

    public GenerationEnd {
        if (reason == null || text == null || count < 1) {
            throw new MalformedInputException("a generation ends after at least one token, with a stop reason and a text");
        }
        LeafWriter.utf8(text, MAX_TEXT_BYTES, "generated text");
    }

    public byte[] leafData() {
        return new LeafWriter(TAG, VERSION).u32(count).u8(reason.code()).string(text, MAX_TEXT_BYTES, "generated text").toByteArray();
    }
}
