package dev.opg.chain;

import dev.opg.core.Digest;
import dev.opg.core.store.ArtifactMismatchException;
import dev.opg.core.store.ModelIdentifier;
import dev.opg.core.store.ModelNotInStoreException;
import dev.opg.core.store.ModelStore;
import dev.opg.core.store.StoredModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Resolves a model id to a local artifact that is checked to be that model, before anything runs
 * (spec section 5.4): through the registry (which entries registered the id, by whom, whether
 * revoked, which artifact digest) and the {@link ModelStore} (which holds artifacts by digest),
 * then recomputing the artifact's digest and its model id from the files.
 *
 * <ol>
 *   <li>Registrations of the id, from contract state; with a required publisher only that
 *       account's count. None: {@link ModelResolutionException}.</li>
 *   <li>Revoked versions are dropped; if nothing is left: {@link ModelResolutionException} naming
 *       the revoked entries.</li>
 *   <li>The first remaining entry whose artifact digest the store holds is checked
 *       ({@link ModelStore#check}): the files' digest must be that digest, and the model loaded
 *       from them must have the asked id. Any difference: {@link ArtifactMismatchException}, and
 *       nothing else is tried. None held: {@link ModelNotInStoreException} saying where to fetch it.</li>
 * </ol>
 *
 * Without a registry client the store's own index is used (step 3 for every stored artifact of the
 * id); the recomputed model id is then the only thing that binds the artifact.
 */
public final class ModelResolver {
    private final ModelRegistryClient registry;
    private final ModelStore store;
    private final ModelIdentifier identifier;

    /**
     * @param registry the registry to consult, or null to resolve from the store alone
     * @param store where artifacts are
     * @param identifier computes a model id by loading an artifact
     */
    public ModelResolver(ModelRegistryClient registry, ModelStore store, ModelIdentifier identifier) {
        this.registry = registry;
        this.store = Objects.requireNonNull(store, "store");
        this.identifier = Objects.requireNonNull(identifier, "identifier");
    }

    /**
     * A resolved model.
     *
     * @param model the stored artifact, checked to be the asked model
     * @param entry the registry entry it was resolved through; null when resolved from the store alone
     */
    public record Resolved(StoredModel model, RegistryEntry entry) {
        /** One line: the model, its artifact and, if any, the registry entry. */
        public String describe() {
            String s = "model " + model.modelId().hex() + " (" + model.kind() + ") is artifact " + model.digest() + " at " + model.artifact();
            return entry == null ? s + " (from the store alone; no registry consulted)"
                    : s + ", registered as " + entry.label() + " by " + entry.publisher() + " in block " + entry.registeredBlock();
        }
    }

    /**
     * Resolves {@code modelId}.
     *
     * @param publisher the account whose registration is required (any case), or null for any publisher
     * @throws ModelResolutionException if the registry has no live registration of it (by that publisher)
     * @throws ModelNotInStoreException if the store holds no registered artifact of it
     * @throws ArtifactMismatchException if the stored artifact is not the registered one or not that model
     */
    public Resolved resolve(Digest modelId, String publisher) throws IOException {
        Objects.requireNonNull(modelId, "modelId");
        if (registry == null) {
            if (publisher != null) {
                throw new ModelResolutionException("a required publisher (" + publisher + ") needs a registry to check it against");
            }
            return new Resolved(store.findChecked(modelId, identifier), null);
        }
        String where = "the ModelRegistry at " + registry.address() + " on chain " + registry.chainId();
        String who = publisher == null ? "" : " by " + Attestation.address(publisher, "publisher");
        List<RegistryEntry> all = registry.registrationsOf(modelId);
        List<RegistryEntry> mine = all.stream()
                .filter(e -> publisher == null || e.publisher().equalsIgnoreCase(publisher)).toList();
        if (mine.isEmpty()) {
            throw new ModelResolutionException("model " + modelId.hex() + " is not registered" + who + " in " + where
                    + (all.isEmpty() ? "" : " (registered by " + all.stream().map(RegistryEntry::publisher).distinct()
                            .collect(Collectors.joining(", ")) + ")")
                    + "; check the id, or register it with opg register");
        }
        List<RegistryEntry> live = mine.stream().filter(e -> !e.revoked()).toList();
        if (live.isEmpty()) {
            throw new ModelResolutionException("every registration of model " + modelId.hex() + who + " in " + where + " is revoked: "
                    + mine.stream().map(e -> e.label() + " by " + e.publisher() + " (revoked in block " + e.revokedBlock() + ")")
                            .collect(Collectors.joining(", ")) + "; its publisher withdrew it, do not use it");
        }
        List<String> missing = new ArrayList<>();
        for (RegistryEntry e : live) {
            var stored = store.get(e.artifactDigest());
            if (stored.isPresent()) {
                return new Resolved(store.check(stored.get(), modelId, identifier), e);
            }
            missing.add(e.label() + " by " + e.publisher() + ": artifact " + e.artifactDigest().hex() + " from " + e.uri());
        }
        List<StoredModel> other = store.withModelId(modelId);
        throw new ModelNotInStoreException("model " + modelId.hex() + " is registered" + who + " (" + String.join("; ", missing)
                + ") but the store " + store.root() + " holds none of these artifacts"
                + (other.isEmpty() ? "" : " (it holds " + other.stream().map(m -> m.artifactDigest().hex()).collect(Collectors.joining(", "))
                        + " for this model id, which is not a registered artifact)")
                + "; fetch the registered artifact and run opg model add FILE|DIR");
    }
}
