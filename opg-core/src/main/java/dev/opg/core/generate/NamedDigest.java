package dev.opg.core.generate;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.LeafWriter;
import dev.opg.core.transcript.TranscriptLimits;

/** A model input or output of one forward pass, by the name it was bound to, with its digest (a KV digest for caches). */
public record NamedDigest(String name, Digest digest) {
    public NamedDigest {
        if (name == null || digest == null) {
            throw new MalformedInputException("a bound value needs a name and a digest");
        }
        LeafWriter.utf8(name, TranscriptLimits.MAX_NAME_BYTES, "value name");
        if (name.isEmpty()) {
            throw new MalformedInputException("a bound value has an empty name");
        }
    }
}
