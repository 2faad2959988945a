package dev.opg.chain;

import java.math.BigInteger;
import java.time.Duration;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * How the client talks to one chain: where, how many confirmations make a transaction final, how
 * long to wait, how to retry, and how to price gas. Validated once, here.
 *
 * @param rpcUrl JSON-RPC endpoint ({@code http://...})
 * @param confirmations blocks that must contain or follow a transaction's block before it counts
 *     as confirmed (1 = mined)
 * @param pollInterval how often to poll for receipts and new blocks
 * @param receiptTimeout how long to wait for a sent transaction to be mined and confirmed
 * @param rpcTimeout connect, read and write timeout of one RPC call
 * @param retry how transient RPC failures are retried
 * @param maxPriorityFeePerGas EIP-1559 tip in wei, or null to ask the node
 *     ({@code eth_maxPriorityFeePerGas})
 * @param gasLimit maps the node's gas estimate to the limit put in the transaction
 */
public record ChainConfig(
        String rpcUrl,
        int confirmations,
        Duration pollInterval,
        Duration receiptTimeout,
        Duration rpcTimeout,
        RetryPolicy retry,
        BigInteger maxPriorityFeePerGas,
        UnaryOperator<BigInteger> gasLimit) {

    /** Estimate plus 20 %: room for state that changes between estimate and inclusion. */
    public static final UnaryOperator<BigInteger> DEFAULT_GAS_LIMIT =
            estimate -> estimate.add(estimate.divide(BigInteger.valueOf(5)));

    public ChainConfig {
        Objects.requireNonNull(rpcUrl, "rpcUrl");
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(receiptTimeout, "receiptTimeout");
        Objects.requireNonNull(rpcTimeout, "rpcTimeout");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(gasLimit, "gasLimit");
        if (!rpcUrl.startsWith("http://") && !rpcUrl.startsWith("https://")) {
            throw new IllegalArgumentException("rpcUrl must be an http(s) URL; got " + rpcUrl);
        }
        if (confirmations < 1) {
            throw new IllegalArgumentException("confirmations must be >= 1 (1 = mined); got " + confirmations);
        }
        if (pollInterval.isNegative() || pollInterval.isZero() || receiptTimeout.compareTo(pollInterval) < 0) {
            throw new IllegalArgumentException("need 0 < pollInterval <= receiptTimeout; got "
                    + pollInterval + " and " + receiptTimeout);
        }
        if (maxPriorityFeePerGas != null && maxPriorityFeePerGas.signum() < 0) {
            throw new IllegalArgumentException("maxPriorityFeePerGas must be >= 0; got " + maxPriorityFeePerGas);
        }
    }

    /** Defaults: 1 confirmation, 50 ms polls, 60 s receipt timeout, 10 s RPC timeout, default retries, fees from the node. */
    public static ChainConfig of(String rpcUrl) {
        return new ChainConfig(rpcUrl, 1, Duration.ofMillis(50), Duration.ofSeconds(60), Duration.ofSeconds(10),
                RetryPolicy.defaults(), null, DEFAULT_GAS_LIMIT);
    }

    public ChainConfig withConfirmations(int n) {
        return new ChainConfig(rpcUrl, n, pollInterval, receiptTimeout, rpcTimeout, retry, maxPriorityFeePerGas, gasLimit);
    }

    public ChainConfig withRetry(RetryPolicy r) {
        return new ChainConfig(rpcUrl, confirmations, pollInterval, receiptTimeout, rpcTimeout, r, maxPriorityFeePerGas, gasLimit);
    }

    public ChainConfig withReceiptTimeout(Duration t) {
        return new ChainConfig(rpcUrl, confirmations, pollInterval, t, rpcTimeout, retry, maxPriorityFeePerGas, gasLimit);
    }

    public ChainConfig withRpcTimeout(Duration t) {
        return new ChainConfig(rpcUrl, confirmations, pollInterval, receiptTimeout, t, retry, maxPriorityFeePerGas, gasLimit);
    }

    public ChainConfig withMaxPriorityFeePerGas(BigInteger tip) {
        return new ChainConfig(rpcUrl, confirmations, pollInterval, receiptTimeout, rpcTimeout, retry, tip, gasLimit);
    }

    public ChainConfig withGasLimit(UnaryOperator<BigInteger> policy) {
        return new ChainConfig(rpcUrl, confirmations, pollInterval, receiptTimeout, rpcTimeout, retry, maxPriorityFeePerGas, policy);
    }
}
