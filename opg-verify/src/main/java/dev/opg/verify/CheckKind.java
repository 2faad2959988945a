package dev.opg.verify;

/** What kind of comparison a report's verdict rests on. */
public enum CheckKind {
    /** Digests (or sketch values) compared bit for bit. */
    BITWISE,
    /** Values compared within a {@link Tolerance} the caller chose; per-step errors are reported. */
    TOLERANT,
    /** Nothing was compared (the transcript was rejected, or the check could not start). */
    NONE
}
