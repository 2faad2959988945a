package dev.opg.chain;

import dev.opg.core.Digest;
import java.util.Objects;

/**
 * Proof from the chain that {@code root} is anchored: the confirmed transaction that anchored it.
 *
 * @param root the anchored value (a transcript root, or a batch root)
 * @param count 0 for a root anchored alone, the number of transcript roots for a batch root
 * @param fresh true if this transaction anchored it; false if it was already anchored (the
 *     transaction was an idempotent no-op, or none was needed: see {@code transactionHash})
 * @param transactionHash the transaction; null only when a replay found the root already
 *     anchored and the original transaction could not be looked up
 * @param blockNumber the block the root was anchored in
 * @param gasUsed gas the transaction used (0 when no transaction was sent)
 */
public record AnchorReceipt(Digest root, long count, boolean fresh, String transactionHash, long blockNumber,
        long gasUsed) {
    public AnchorReceipt {
        Objects.requireNonNull(root, "root");
        if (count < 0 || blockNumber < 0 || gasUsed < 0) {
            throw new IllegalArgumentException("count, block and gas must be >= 0");
        }
    }
}
