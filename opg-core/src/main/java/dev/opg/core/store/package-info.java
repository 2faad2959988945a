/**
 * Model artifacts by content: the artifact digest of a model file or directory
 * ({@link ArtifactDigest}: SHA-256 of a file, in-toto {@code dirHash} of a directory) and a local
 * content-addressed store of artifacts keyed by that digest and by model id ({@link ModelStore}),
 * which recomputes both before it hands an artifact out. See section 5 of
 * {@code docs/transcript-spec.md}.
 */
package dev.opg.core.store;
