package dev.opg.chain;

/**
 * What the contract stores for one submitter's anchor of one value. Single roots and batch roots
 * are separate records on chain: a record with {@code count == 0} is a root anchored alone, one
 * with {@code count > 0} a batch root.
 *
 * @param submitter the account that anchored it ({@code 0x}-prefixed, lower case)
 * @param blockNumber the block it was anchored in
 * @param count 0 if anchored alone, else the number of transcript roots in the batch
 */
public record AnchorRecord(String submitter, long blockNumber, long count) {
    public AnchorRecord {
        submitter = Attestation.address(submitter, "submitter");
        if (blockNumber < 0 || count < 0) {
            throw new IllegalArgumentException("block and count must be >= 0");
        }
    }

    public boolean isBatch() {
        return count > 0;
    }
}
