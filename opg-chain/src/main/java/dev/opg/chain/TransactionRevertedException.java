package dev.opg.chain;

import java.util.Optional;

/**
 * The contract refused a call: either the node's gas estimate or {@code eth_call} reverted (no
 * transaction was sent, {@link #transactionHash()} is empty), or a mined transaction has status 0.
 */
public class TransactionRevertedException extends ChainException {
    private static final long serialVersionUID = 1L;

    private final String transactionHash;
    private final String revertData;

    public TransactionRevertedException(String message, String transactionHash, String revertData) {
        super(message);
        this.transactionHash = transactionHash;
        this.revertData = revertData;
    }

    /** The hash of the mined, reverted transaction; empty when the revert came from an estimate or call. */
    public Optional<String> transactionHash() {
        return Optional.ofNullable(transactionHash);
    }

    /** The raw revert data ({@code 0x}-prefixed hex) when the node returned it. */
    public Optional<String> revertData() {
        return Optional.ofNullable(revertData);
    }
}
