package dev.opg.chain;

/**
 * What the contract stores for an anchored root.
 *
 * @param submitter the account that anchored it
 * @param blockNumber the block it was anchored in
 * @param count 0 if anchored alone, else the number of transcript roots in the batch
 */
public record AnchorRecord(String submitter, long blockNumber, long count) {
    public boolean isBatch() {
        return count > 0;
    }
}
