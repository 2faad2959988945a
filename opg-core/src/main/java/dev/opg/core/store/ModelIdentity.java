package dev.opg.core.store;

import dev.opg.core.Digest;
import java.util.Objects;

/**
 * What a model artifact is, as computed from it by loading it.
 *
 * @param modelId the model commitment root (spec section 3.5)
 * @param kind the commitment's architecture kind: {@code djl-block}, {@code torchscript} or {@code onnx}
 */
public record ModelIdentity(Digest modelId, String kind) {
    public ModelIdentity {
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(kind, "kind");
    }
}
