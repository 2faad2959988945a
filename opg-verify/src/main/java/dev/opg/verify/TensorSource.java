package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import java.util.Map;
import java.util.Optional;

/**
 * Where a verifier looks up step tensors by digest: a witness, or tensors held some other way.
 * Nothing a source returns is trusted: callers hash every tensor they get and compare it with the
 * digest they asked for ({@link #fetch}).
 */
@FunctionalInterface
public interface TensorSource {
    /** The tensor filed under {@code digest}, if the source has one. */
    Optional<WitnessTensor> find(Digest digest);

    /** A source over a loaded witness. */
    static TensorSource of(Witness witness) {
        return d -> {
            try {
                return Optional.of(witness.tensor(d));
            } catch (dev.opg.core.MalformedInputException e) {
                return Optional.empty();
            }
        };
    }

    /** A source over a map (for tensors that did not come from a witness file). */
    static TensorSource of(Map<Digest, WitnessTensor> tensors) {
        Map<Digest, WitnessTensor> copy = Map.copyOf(tensors);
        return d -> Optional.ofNullable(copy.get(d));
    }

    /**
     * The first of {@code sources} that holds a tensor that really hashes to the digest asked for:
     * a source that files a wrong tensor under a digest (a forger's witness) never shadows a later
     * one that holds the right tensor (the honest party's).
     */
    static TensorSource firstOf(java.util.List<TensorSource> sources) {
        java.util.List<TensorSource> list = java.util.List.copyOf(sources);
        return d -> {
            for (TensorSource s : list) {
                Fetched f = fetch(s, d);
                if (!f.corrupt()) {
                    return Optional.of(f.tensor());
                }
            }
            return Optional.empty();
        };
    }

    /**
     * The tensor for {@code digest}, checked: empty when the source has none; a tensor whose own
     * digest differs from {@code digest}, or that cannot be hashed at all (malformed data), is
     * returned as a {@link Fetched#corrupt} result.
     */
    static Fetched fetch(TensorSource source, Digest digest) {
        Optional<WitnessTensor> t;
        try {
            t = source.find(digest);
        } catch (RuntimeException e) {
            return new Fetched(null, "could not be read: " + e.getMessage());
        }
        if (t == null || t.isEmpty()) {
            return new Fetched(null, "absent");
        }
        Digest actual;
        try {
            actual = t.get().digest();
        } catch (RuntimeException e) {
            // e.g. a boolean element that is neither 0 nor 1: not a tensor the digest could be of
            return new Fetched(null, "not a well-formed tensor: " + e.getMessage());
        }
        if (!actual.equals(digest)) {
            return new Fetched(null, actual.hex());
        }
        return new Fetched(t.get(), null);
    }

    /**
     * A checked lookup: the tensor, or what went wrong ({@code absent}, or the digest the
     * tensor really has).
     *
     * @param tensor the tensor, whose digest is the one asked for; null on failure
     * @param problem null on success
     */
    record Fetched(WitnessTensor tensor, String problem) {
        /** Whether the lookup failed. */
        public boolean corrupt() {
            return tensor == null;
        }
    }
}
