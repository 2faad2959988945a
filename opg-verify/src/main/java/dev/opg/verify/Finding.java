package dev.opg.verify;

/**
 * One place where a transcript is false. The set of cases is closed: a header commitment that
 * differs ({@link HeaderMismatch}), a step that differs ({@link Divergence}), or a signature that
 * does not verify ({@link SignatureRejected}).
 */
public sealed interface Finding permits HeaderMismatch, Divergence, SignatureRejected {
    /** A short, stable location: {@code header.MODEL_ID}, {@code step[12].OUTPUTS}, {@code signature}. */
    String location();

    /** A sentence a user can act on. */
    String describe();
}
