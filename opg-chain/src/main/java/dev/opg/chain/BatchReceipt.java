package dev.opg.chain;

import dev.opg.core.Digest;
import dev.opg.core.merkle.InclusionProof;
import java.util.List;
import java.util.Objects;

/**
 * One anchored batch: its RFC 9162 root over {@code roots} (in this order), one inclusion proof
 * per root, and the transaction that anchored the batch root.
 */
public record BatchReceipt(Digest batchRoot, List<Digest> roots, List<InclusionProof> proofs, AnchorReceipt anchor) {
    public BatchReceipt {
        Objects.requireNonNull(batchRoot, "batchRoot");
        Objects.requireNonNull(anchor, "anchor");
        roots = List.copyOf(roots);
        proofs = List.copyOf(proofs);
        if (roots.size() != proofs.size() || roots.isEmpty()) {
            throw new IllegalArgumentException("a batch needs one proof per root and at least one root; got "
                    + roots.size() + " roots and " + proofs.size() + " proofs");
        }
    }

    /** The receipt of the root at {@code index} of the batch. */
    public RootReceipt rootReceipt(int index) {
        return new RootReceipt(roots.get(index), batchRoot, proofs.get(index), anchor);
    }

    public int size() {
        return roots.size();
    }
}
