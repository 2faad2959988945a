package dev.opg.chain;

/**
 * The TranscriptAnchor contract is not (or no longer) at the expected address: wrong address, or
 * a chain that was reset. Deploy it again and use a client for the new deployment.
 */
public class ContractMissingException extends ChainException {
    private static final long serialVersionUID = 1L;

    private final String address;
    private final long chainId;

    public ContractMissingException(String address, long chainId, String message) {
        super(message);
        this.address = address;
        this.chainId = chainId;
    }

    /** The address where the contract was expected. */
    public String address() {
        return address;
    }

    public long chainId() {
        return chainId;
    }
}
