package dev.opg.core.store;

import dev.opg.core.Digest;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An artifact in a {@link ModelStore}, as its entry records it. What the entry says is only a
 * claim about files on a disk someone may have changed: {@link ModelStore#check} recomputes it.
 *
 * @param artifactDigest the artifact digest, the store's key
 * @param layout file or directory
 * @param modelId the model id recorded when it was added
 * @param kind the model kind recorded when it was added
 * @param artifact the path to load: the stored file, or the stored directory
 */
public record StoredModel(Digest artifactDigest, ArtifactLayout layout, Digest modelId, String kind, Path artifact) {
    public StoredModel {
        Objects.requireNonNull(artifactDigest, "artifactDigest");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(artifact, "artifact");
    }

    /** The artifact digest as {@link ArtifactDigest}. */
    public ArtifactDigest digest() {
        return new ArtifactDigest(layout, artifactDigest);
    }
}
