package dev.opg.core.generate;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;

/** A model input or output of one forward pass, by the name it was bound to, with its digest (a KV digest for caches). */
public record NamedDigest(String name, Digest digest) {
    public NamedDigest {
        if (name == null || digest == null) {
            throw new MalformedInputException("a bound value needs a name and a digest");
        }
        Names.utf8(name, "value name");
        if (name.isEmpty()) {
            throw new MalformedInputException("a bound value has an empty name");
        }
    }
}
