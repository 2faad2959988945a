package dev.opg.chain;

/**
 * The JSON-RPC endpoint did not answer (connection refused, timeout, transport error) and the
 * retries allowed by the {@link RetryPolicy} are spent. Transient by nature: trying again later
 * may succeed.
 */
public class RpcUnavailableException extends ChainException {
    private static final long serialVersionUID = 1L;

    public RpcUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
