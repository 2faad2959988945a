package dev.opg.verify;

/** The answer of a check. */
public enum Verdict {
    /** Every comparison the report's {@link CheckKind} names was done, and all of them agreed. */
    VALID,
    /** At least one comparison disagreed; the report's findings say where, first one first. */
    INVALID,
    /** The check could not be done as asked (the report's notes say why); nothing is claimed either way. */
    INCONCLUSIVE
}
