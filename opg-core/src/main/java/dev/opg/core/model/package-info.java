/**
 * Models: the content-addressed model id over named parameters and an architecture digest
 * ({@link dev.opg.core.model.ModelCommitment}), and loading a model from a path as {@code opg}
 * does ({@link dev.opg.core.model.LoadedModel}: an {@code .onnx} file, a TorchScript file, or a DJL
 * model directory described by {@code opg-block.json}, see {@link dev.opg.core.model.BlockSpec}),
 * with {@link dev.opg.core.model.ModelIds} computing the id of such a path.
 */
package dev.opg.core.model;
