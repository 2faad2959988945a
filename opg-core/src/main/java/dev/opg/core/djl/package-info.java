/** Recording DJL models: {@link dev.opg.core.djl.VerifiableModel} wraps a loaded model and returns a transcript with every prediction. */
package dev.opg.core.djl;
