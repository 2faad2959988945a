package dev.opg.core.generate;

import dev.opg.core.MalformedInputException;

/**
 * What a generation transcript file holds (spec section 3.18). Both commit to the same leaves and
 * have the same root; they differ in what travels with it.
 */
public enum Commitment {
    /** Every leaf: the step leaves and token record of every token. */
    FULL("full"),
    /** The root, the header, and per token only the token and its logit sketch (2k bytes). */
    COMPACT("compact");

    private final String specName;

    Commitment(String s) {
        this.specName = s;
    }

    public String specName() {
        return specName;
    }

    public static Commitment fromSpecName(String s) {
        for (Commitment c : values()) {
            if (c.specName.equals(s)) {
                return c;
            }
        }
        throw new MalformedInputException("commitment '" + s + "' is not full or compact");
    }
}
