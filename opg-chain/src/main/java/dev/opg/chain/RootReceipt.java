package dev.opg.chain;

import dev.opg.core.Digest;
import dev.opg.core.merkle.InclusionProof;
import java.util.Objects;

/**
 * A transcript root's receipt from a batch: the batch root that was anchored, the proof that the
 * transcript root is in it, and the anchoring transaction. Checkable off chain with
 * {@link #verify()} and on chain with {@link TranscriptAnchorClient#verifyInclusion}.
 */
public record RootReceipt(Digest root, Digest batchRoot, InclusionProof proof, AnchorReceipt anchor) {
    public RootReceipt {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(batchRoot, "batchRoot");
        Objects.requireNonNull(proof, "proof");
        Objects.requireNonNull(anchor, "anchor");
    }

    /** True if the proof leads from this root to the batch root (no chain needed). */
    public boolean verify() {
        return proof.verify(BatchRoots.leafHash(root), batchRoot);
    }
}
