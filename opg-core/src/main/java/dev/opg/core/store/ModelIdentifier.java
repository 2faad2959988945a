package dev.opg.core.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Computes a model artifact's identity by loading it (the way the verifier will load it). opg-cli's
 * {@code dev.opg.core.model.ModelIds} loads files and directories as {@code opg} does.
 */
@FunctionalInterface
public interface ModelIdentifier {
    /**
     * The model id and kind of the artifact at {@code artifact}.
     *
     * @throws dev.opg.core.MalformedInputException if it is not a model this identifier can load
     */
    ModelIdentity identify(Path artifact) throws IOException;
}
