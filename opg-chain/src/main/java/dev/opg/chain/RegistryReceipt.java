package dev.opg.chain;

/**
 * What a registry write left: the entry as the contract holds it afterwards, whether the call
 * changed anything, and the transaction (null hash and zeros when nothing had to be sent because the
 * registry already held exactly this).
 *
 * @param entry the entry, read back from contract state
 * @param fresh true if this call registered (or revoked) it; false if it already was
 * @param transactionHash the transaction, or null if none was sent
 * @param blockNumber its block (0 if none)
 * @param gasUsed the gas it used (0 if none)
 */
public record RegistryReceipt(RegistryEntry entry, boolean fresh, String transactionHash, long blockNumber, long gasUsed) {}
