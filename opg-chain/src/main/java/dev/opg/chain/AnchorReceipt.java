package dev.opg.chain;

import dev.opg.core.Digest;
import java.util.Objects;

/**
 * Proof from the chain that {@code submitter} anchored {@code root}: the confirmed transaction
 * that did. An anchor is always one submitter's claim; the contract keeps each submitter's anchors
 * apart, so this receipt says nothing about anyone else's.
 *
 * @param root the anchored value (a transcript root, or a batch root)
 * @param submitter the account that anchored it ({@code 0x}-prefixed, lower case)
 * @param count 0 for a root anchored alone, the number of transcript roots for a batch root
 * @param fresh true if this transaction anchored it; false if {@code submitter} had already
 *     anchored it (the transaction was an idempotent no-op, or none was needed: see
 *     {@code transactionHash})
 * @param transactionHash the transaction; null only when a replay found the root already
 *     anchored and the original transaction could not be looked up
 * @param blockNumber the block of that transaction
 * @param gasUsed gas the transaction used (0 when no transaction was sent)
 */
public record AnchorReceipt(Digest root, String submitter, long count, boolean fresh, String transactionHash,
        long blockNumber, long gasUsed) {
    public AnchorReceipt {
        Objects.requireNonNull(root, "root");
        submitter = Attestation.address(submitter, "submitter");
        if (count < 0 || blockNumber < 0 || gasUsed < 0) {
            throw new IllegalArgumentException("count, block and gas must be >= 0");
        }
    }
}
