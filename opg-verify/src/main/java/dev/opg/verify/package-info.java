/**
 * Verification of opg transcripts: full re-execution ({@link dev.opg.verify.Verifier}), spot
 * checks of single steps from a witness ({@link dev.opg.verify.SpotChecker}), tolerant comparison
 * under an explicit bound ({@link dev.opg.verify.Tolerance}), and disputes settled by bisection
 * ({@link dev.opg.verify.Bisector}) and a one-step re-execution ({@link dev.opg.verify.Referee}).
 *
 * <p>Every check answers with an immutable {@link dev.opg.verify.VerificationReport}; a report
 * is {@link dev.opg.verify.Verdict#VALID} only for a check that was actually done, and an
 * {@link dev.opg.verify.Verdict#INVALID} report names the first place where the transcript is
 * false. Signatures are checked through {@link dev.opg.verify.TranscriptSignatureVerifier}, so
 * this module needs no chain or web3 library.
 */
package dev.opg.verify;
