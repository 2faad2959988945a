/** Witnesses: step tensors content-addressed by their digests, checked on load. */
package dev.opg.core.witness;
