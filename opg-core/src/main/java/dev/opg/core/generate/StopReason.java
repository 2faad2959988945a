package dev.opg.core.generate;

import dev.opg.core.MalformedInputException;

/** Why a generation ended, committed in its end leaf (spec section 3.16). */
public enum StopReason {
    /** A stop token was chosen (it is the last committed token). */
    STOP_TOKEN(0, "stop-token"),
    /** {@code maxNewTokens} tokens were generated. */
    LENGTH(1, "length"),
    /** The sequence reached the model's last position. */
    CONTEXT(2, "context");

    private final int code;
    private final String specName;

    StopReason(int code, String specName) {
        this.code = code;
        this.specName = specName;
    }

    public int code() {
        return code;
    }

    public String specName() {
        return specName;
    }

    public static StopReason fromCode(int c) {
        for (StopReason r : values()) {
            if (r.code == c) {
                return r;
            }
        }
        throw new MalformedInputException("stop reason code " + c + " is not 0 (stop-token), 1 (length) or 2 (context)");
    }

    public static StopReason fromSpecName(String s) {
        for (StopReason r : values()) {
            if (r.specName.equals(s)) {
                return r;
            }
        }
        throw new MalformedInputException("stop reason '" + s + "' is not stop-token, length or context");
    }
}
