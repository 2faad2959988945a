/**
 * The RFC 9162 (Certificate Transparency v2) Merkle tree over SHA-256: leaf and node hashing,
 * roots, inclusion and consistency proofs and their verification.
 *
 * <p>{@link dev.opg.core.merkle.Rfc9162} is the whole hashing rule. {@link
 * dev.opg.core.merkle.MerkleTree} builds a tree and its proofs; {@link
 * dev.opg.core.merkle.MerkleProofs} verifies proofs from plain values. Verification never throws
 * on a proof that is merely false (it answers {@code false}); it throws {@link
 * dev.opg.core.MalformedInputException} only for a proof whose shape cannot be right for the sizes
 * given (wrong length, index beyond the size, a hash that is not 32 bytes).
 */
package dev.opg.core.merkle;
