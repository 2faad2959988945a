/**
 * Files a user hands opg or gets back, read and written within bounded memory: NumPy {@code .npy}
 * and {@code .npz} arrays ({@link dev.opg.core.io.Npy}, {@link dev.opg.core.io.Npz}) as
 * {@link dev.opg.core.witness.WitnessTensor}s, model inputs bound to a model's input names from
 * them ({@link dev.opg.core.io.Inputs}), and anchor receipt files
 * ({@link dev.opg.core.io.AnchorReceiptFile}). Models are loaded from a path by
 * {@link dev.opg.core.model.LoadedModel}.
 */
package dev.opg.core.io;
