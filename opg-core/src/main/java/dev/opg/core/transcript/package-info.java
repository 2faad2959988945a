/**
 * Execution transcripts: the header and step leaves of {@code docs/transcript-spec.md}, the
 * Merkle root over them, inclusion proofs, and the canonical JSON codec. Knows nothing of engines.
 */
package dev.opg.core.transcript;
