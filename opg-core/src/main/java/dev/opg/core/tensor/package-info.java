/**
 * The canonical tensor encoding and its SHA-256 digest (docs/transcript-spec.md, "Tensor digest").
 *
 * <p>Encoding: the 4 ASCII bytes {@code OPGT}, one byte version (1), one byte dtype code, one byte
 * rank, each dimension as an unsigned 64-bit little-endian integer, then the elements in row-major
 * order, each little-endian. The digest is SHA-256 over that encoding. Digests are computed
 * straight from DJL {@code NDArray}s (from the engine's own buffer where it offers one) and from
 * plain Java arrays, in bulk, never element by element.
 */
package dev.opg.core.tensor;
