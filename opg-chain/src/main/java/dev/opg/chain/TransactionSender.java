package dev.opg.chain;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Locale;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthEstimateGas;
import org.web3j.protocol.core.methods.response.EthGetTransactionReceipt;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.exceptions.ClientConnectionException;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * Signs and sends EIP-1559 transactions from one account and waits until they are confirmed.
 *
 * <p>Guarantees: nonces are handed out under one lock, so any number of threads may send at once
 * without two transactions sharing a nonce or leaving a gap (a nonce is only kept when the node
 * accepted the transaction; after an error it is re-read from the node's pending count).
 * Transport failures are retried with exponential backoff ({@link RetryPolicy}); a resend of the
 * same signed bytes is harmless because the node recognises the hash. Fees are
 * {@code maxFee = 2 * baseFee + tip}. A transaction counts as confirmed when the chain head is
 * {@code confirmations - 1} blocks past its block and its receipt still names the same block.
 *
 * <p>After a rollback (a reorg, a dev node reverted to a snapshot) the cached nonce can run ahead
 * of the chain: a transaction sent with it is accepted but waits behind a gap forever, and a
 * transaction sent before may be gone. While waiting for a receipt the sender asks the node (every
 * 250 ms) whether it still has the transaction and whether its nonce is
 * minable; as soon as not, it re-reads the nonce and sends the call again (at most 3 times), so
 * anchoring resumes within a second or so instead of after the receipt timeout. The transaction
 * left behind a gap stays in the node's pool and may be mined later, when the gap is filled: a
 * second execution of the same call, harmless for the contract's idempotent writes.
 */
public final class TransactionSender implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TransactionSender.class);

    private final Web3j web3j;
    private final Credentials credentials;
    private final ChainConfig config;
    private final long chainId;
    /** How often a transaction without a receipt is checked for being known to the node. */
    static final Duration SEEN_CHECK_INTERVAL = Duration.ofMillis(250);
    /** Sends of one call whose transaction the node lost, before giving up. */
    private static final int MAX_RESENDS = 3;

    private final ReentrantLock nonceLock = new ReentrantLock();
    /** Guarded by nonceLock; null means "ask the node". */
    private BigInteger nextNonce;
    /** Nonces of transactions the node accepted and this sender still waits on. */
    private final NavigableSet<BigInteger> inFlight = new ConcurrentSkipListSet<>();

    /** What a mined, successful, confirmed transaction left. */
    public record Mined(String transactionHash, long blockNumber, String blockHash, long gasUsed,
            TransactionReceipt receipt) {}

    private TransactionSender(Web3j web3j, Credentials credentials, ChainConfig config, long chainId) {
        this.web3j = web3j;
        this.credentials = credentials;
        this.config = config;
        this.chainId = chainId;
    }

    /**
     * Connects to {@code config.rpcUrl()} and reads the chain id (retried like any call).
     *
     * @throws RpcUnavailableException if the node does not answer within the retry policy
     */
    public static TransactionSender connect(ChainConfig config, Credentials credentials) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(credentials, "credentials");
        long t = config.rpcTimeout().toMillis();
        OkHttpClient http = HttpService.getOkHttpClientBuilder()
                .connectTimeout(t, TimeUnit.MILLISECONDS)
                .readTimeout(t, TimeUnit.MILLISECONDS)
                .writeTimeout(t, TimeUnit.MILLISECONDS)
                .retryOnConnectionFailure(false)
                .build();
        Web3j web3j = Web3j.build(new HttpService(config.rpcUrl(), http));
        try {
            TransactionSender probe = new TransactionSender(web3j, credentials, config, -1);
            long chainId = probe.checked("eth_chainId", probe.rpc("eth_chainId", () -> web3j.ethChainId().send()))
                    .getChainId().longValueExact();
            return new TransactionSender(web3j, credentials, config, chainId);
        } catch (RuntimeException e) {
            web3j.shutdown();
            throw e;
        }
    }

    public long chainId() {
        return chainId;
    }

    /** The sending account, {@code 0x}-prefixed lower-case hex. */
    public String address() {
        return credentials.getAddress();
    }

    public ChainConfig config() {
        return config;
    }

    public Web3j web3j() {
        return web3j;
    }

    // ------------------------------------------------------------------ reads

    /**
     * {@code eth_call} against the latest block; returns the return data.
     *
     * @throws TransactionRevertedException if the call reverts
     */
    public String call(String to, String data) {
        EthCall r = rpc("eth_call", () -> web3j.ethCall(
                Transaction.createEthCallTransaction(address(), to, data), DefaultBlockParameterName.LATEST).send());
        if (r.hasError() || r.isReverted()) {
            String revertData = r.hasError() ? TranscriptAnchorAbi.unquote(r.getError().getData()) : null;
            String why = r.hasError() ? r.getError().getMessage() : r.getRevertReason();
            throw new TransactionRevertedException("eth_call to " + to + " reverted: " + why + " ("
                    + TranscriptAnchorAbi.describeRevert(revertData) + ")", null, revertData);
        }
        return r.getValue();
    }

    /** The latest block number. */
    public long blockNumber() {
        return checked("eth_blockNumber", rpc("eth_blockNumber", () -> web3j.ethBlockNumber().send()))
                .getBlockNumber().longValueExact();
    }

    /** Balance of {@code address} in wei. */
    public BigInteger balance(String address) {
        return checked("eth_getBalance", rpc("eth_getBalance",
                () -> web3j.ethGetBalance(address, DefaultBlockParameterName.LATEST).send())).getBalance();
    }

    /** Deployed code at {@code address} ({@code 0x} if none). */
    public String code(String address) {
        return checked("eth_getCode", rpc("eth_getCode",
                () -> web3j.ethGetCode(address, DefaultBlockParameterName.LATEST).send())).getCode();
    }

    // ------------------------------------------------------------------ writes

    /** Deploys {@code bytecode}; the receipt carries the contract address. */
    public Mined deploy(String bytecode) {
        return send(null, bytecode, null);
    }

    /** Sends a call to {@code to} with the gas limit derived from the node's estimate. */
    public Mined send(String to, String data) {
        return send(to, data, null);
    }

    /**
     * Sends a transaction and waits until it is confirmed.
     *
     * @param to contract address, or null to create a contract
     * @param gasLimit fixed gas limit, or null to estimate and apply {@link ChainConfig#gasLimit()}
     * @throws TransactionRevertedException if the estimate reverts or the mined transaction has status 0
     * @throws InsufficientFundsException if the account cannot pay
     * @throws RpcUnavailableException if the node stays unreachable beyond the retry policy
     */
    public Mined send(String to, String data, BigInteger gasLimit) {
        for (int resend = 0; ; resend++) {
            BigInteger limit = gasLimit != null ? gasLimit : config.gasLimit().apply(estimate(to, data));
            BigInteger[] fees = fees();
            Sent sent = submit(to, data, limit, fees[0], fees[1]);
            log.debug("sent {} (nonce {}, gas limit {}, max fee {}, tip {})", sent.hash(), sent.nonce(), limit, fees[1],
                    fees[0]);
            TransactionReceipt receipt;
            try {
                receipt = awaitConfirmed(sent.hash(), sent.nonce());
            } catch (NotSeenException e) {
                if (resend >= MAX_RESENDS) {
                    throw new ChainException("transaction to " + (to == null ? "(create)" : to) + " was sent "
                            + (resend + 1) + " times and each time not seen by the node (last: " + e.getMessage()
                            + "); is the node rolling back or dropping transactions?");
                }
                log.warn("{}; nonce re-read from the node, sending again", e.getMessage());
                continue;
            } finally {
                inFlight.remove(sent.nonce());
            }
            String hash = sent.hash();
            if (!receipt.isStatusOK()) {
                String why = replayForReason(to, data, limit, receipt.getBlockNumber());
                throw new TransactionRevertedException("transaction " + hash + " to " + (to == null ? "(create)" : to)
                        + " reverted in block " + receipt.getBlockNumber() + " after using " + receipt.getGasUsed()
                        + " of " + limit + " gas: " + why, hash, null);
            }
            return new Mined(hash, receipt.getBlockNumber().longValueExact(), receipt.getBlockHash(),
                    receipt.getGasUsed().longValueExact(), receipt);
        }
    }

    private BigInteger estimate(String to, String data) {
        Transaction tx = to == null
                ? Transaction.createContractTransaction(address(), null, null, data)
                : Transaction.createFunctionCallTransaction(address(), null, null, null, to, data);
        EthEstimateGas r = rpc("eth_estimateGas", () -> web3j.ethEstimateGas(tx).send());
        if (r.hasError()) {
            throw classify("gas estimate for a call to " + (to == null ? "(create)" : to), r.getError(), null);
        }
        return r.getAmountUsed();
    }

    /** {tip, maxFee}. */
    private BigInteger[] fees() {
        EthBlock.Block latest = checked("eth_getBlockByNumber", rpc("eth_getBlockByNumber",
                () -> web3j.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send())).getBlock();
        if (latest == null || latest.getBaseFeePerGas() == null) {
            throw new ChainException("the node's latest block has no base fee; EIP-1559 (London or later) is required");
        }
        BigInteger tip = config.maxPriorityFeePerGas();
        if (tip == null) {
            tip = checked("eth_maxPriorityFeePerGas", rpc("eth_maxPriorityFeePerGas",
                    () -> web3j.ethMaxPriorityFeePerGas().send())).getMaxPriorityFeePerGas();
        }
        return new BigInteger[] {tip, latest.getBaseFeePerGas().shiftLeft(1).add(tip)};
    }

    /** A transaction the node accepted: its hash and nonce. */
    private record Sent(String hash, BigInteger nonce) {}

    /**
     * The node does not have a transaction it accepted, or cannot mine it: it is gone (rolled back
     * or dropped), or it waits behind a nonce gap that only this sender could fill (the cached
     * nonce ran ahead of a chain that was rolled back). The nonce has been re-read; send again.
     */
    private static final class NotSeenException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotSeenException(String message) {
            super(message, null, false, false);
        }
    }

    private Sent submit(String to, String data, BigInteger gasLimit, BigInteger tip, BigInteger maxFee) {
        nonceLock.lock();
        try {
            for (int resync = 0; ; resync++) {
                BigInteger nonce = nextNonce != null ? nextNonce : pendingNonce();
                RawTransaction raw = RawTransaction.createTransaction(chainId, nonce, gasLimit, to == null ? "" : to,
                        BigInteger.ZERO, data, tip, maxFee);
                String signed = Numeric.toHexString(TransactionEncoder.signMessage(raw, credentials));
                String hash = Hash.sha3(signed);
                nextNonce = null; // kept only once the node has the transaction
                if (sendRaw(signed, hash, gasLimit, maxFee)) {
                    nextNonce = nonce.add(BigInteger.ONE);
                    inFlight.add(nonce);
                    return new Sent(hash, nonce);
                }
                if (resync >= 3) {
                    throw new ChainException("the node kept answering \"nonce too low\" for " + address()
                            + " after " + resync + " re-reads of the pending nonce; is another client sending from it?");
                }
                log.info("nonce {} for {} was taken; re-reading the pending nonce", nonce, address());
            }
        } finally {
            nonceLock.unlock();
        }
    }

    /** True when the node has the transaction; false when its nonce was already used by another. */
    private boolean sendRaw(String signed, String hash, BigInteger gasLimit, BigInteger maxFee) {
        RetryPolicy retry = config.retry();
        boolean maybeSent = false;
        IOException last = null;
        for (int attempt = 1; attempt <= retry.maxAttempts(); attempt++) {
            EthSendTransaction r;
            try {
                r = web3j.ethSendRawTransaction(signed).send();
            } catch (IOException | ClientConnectionException e) {
                maybeSent = true;
                last = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
                log.warn("eth_sendRawTransaction {} failed (attempt {}/{}): {}", hash, attempt, retry.maxAttempts(),
                        e.toString());
                if (attempt < retry.maxAttempts()) {
                    sleep(retry.backoff(attempt));
                }
                continue;
            }
            if (!r.hasError()) {
                return true;
            }
            String msg = r.getError().getMessage() == null ? "" : r.getError().getMessage().toLowerCase(Locale.ROOT);
            if (msg.contains("already known") || msg.contains("known transaction") || msg.contains("already imported")) {
                return true;
            }
            if (msg.contains("nonce too low") || msg.contains("nonce has already been used")) {
                // After a transport failure the first try may have landed: then this is ours.
                return maybeSent && transactionKnown(hash);
            }
            if (msg.contains("insufficient funds")) {
                throw new InsufficientFundsException("account " + address() + " cannot pay for a transaction of up to "
                        + gasLimit + " gas at up to " + maxFee + " wei per gas (node said: " + r.getError().getMessage()
                        + "); fund the account and retry");
            }
            throw classify("eth_sendRawTransaction " + hash, r.getError(), hash);
        }
        throw new RpcUnavailableException("eth_sendRawTransaction " + hash + ": the RPC endpoint " + config.rpcUrl()
                + " did not answer after " + retry.maxAttempts() + " attempts (last error: " + last
                + "); expected a JSON-RPC node there", last);
    }

    private boolean transactionKnown(String hash) {
        return rpc("eth_getTransactionByHash", () -> web3j.ethGetTransactionByHash(hash).send())
                .getTransaction().isPresent();
    }

    private BigInteger pendingNonce() {
        return transactionCount(DefaultBlockParameterName.PENDING);
    }

    private BigInteger transactionCount(DefaultBlockParameterName at) {
        return checked("eth_getTransactionCount", rpc("eth_getTransactionCount",
                () -> web3j.ethGetTransactionCount(address(), at).send())).getTransactionCount();
    }

    /** Forgets the cached nonce so that the next send reads it from the node. */
    private void resyncNonce() {
        nonceLock.lock();
        try {
            nextNonce = null;
        } finally {
            nonceLock.unlock();
        }
    }

    /**
     * Called while a sent transaction has no receipt: throws {@link NotSeenException} (after
     * forgetting the cached nonce) if the node has lost it or can never mine it as things stand.
     * {@code misses} counts consecutive checks that found it unknown: one unknown answer may be a
     * load-balanced RPC that has not seen it yet, two in a row are believed.
     */
    private int checkSeen(String hash, BigInteger nonce, int misses) throws IOException {
        var tx = web3j.ethGetTransactionByHash(hash).send();
        if (tx.hasError()) {
            return 0;
        }
        if (tx.getTransaction().isEmpty()) {
            if (misses + 1 < 2) {
                return misses + 1;
            }
            resyncNonce();
            throw new NotSeenException("transaction " + hash + " (nonce " + nonce + ") is not known to the node any more"
                    + " and was not mined (chain rolled back or transaction dropped)");
        }
        if (tx.getTransaction().get().getBlockHash() != null
                && !tx.getTransaction().get().getBlockHash().matches("0x0*")) {
            return 0; // mined; the receipt is on its way
        }
        BigInteger ready = web3j.ethGetTransactionCount(address(), DefaultBlockParameterName.PENDING).send()
                .getTransactionCount();
        // A gap only if some nonce below ours is neither counted by the node nor one of our own
        // transactions still in flight: a node whose "pending" count lags (or is the mined count)
        // must not make concurrent sends look stuck.
        if (ready != null && nonce.compareTo(ready) > 0
                && inFlight.subSet(ready, true, nonce, false).size() < nonce.subtract(ready).min(BigInteger.valueOf(
                        Integer.MAX_VALUE)).intValue()) {
            resyncNonce();
            throw new NotSeenException("transaction " + hash + " has nonce " + nonce + " but the node has only "
                    + ready + " transaction(s) of " + address() + " ready: it waits behind a nonce gap (the chain was "
                    + "rolled back under a cached nonce)");
        }
        return 0;
    }

    /**
     * Waits until {@code hash} is mined and {@code confirmations - 1} more blocks are on top, with
     * the receipt still in the same block. Transport failures while waiting are ridden out until
     * the receipt timeout.
     */
    public TransactionReceipt awaitConfirmed(String hash) {
        return awaitConfirmed(hash, null);
    }

    /**
     * As {@link #awaitConfirmed(String)}; with the transaction's {@code nonce} known, also checks
     * (at most every {@link #SEEN_CHECK_INTERVAL}) that the node still has the transaction and can
     * mine it, and throws {@link NotSeenException} as soon as it cannot, instead of waiting out the
     * receipt timeout.
     */
    private TransactionReceipt awaitConfirmed(String hash, BigInteger nonce) {
        long deadline = System.nanoTime() + config.receiptTimeout().toNanos();
        long nextSeenCheck = System.nanoTime();
        int misses = 0;
        Exception lastTransport = null;
        while (true) {
            try {
                EthGetTransactionReceipt r = web3j.ethGetTransactionReceipt(hash).send();
                if (r.hasError()) {
                    throw classify("eth_getTransactionReceipt " + hash, r.getError(), hash);
                }
                if (r.getTransactionReceipt().isPresent()) {
                    misses = 0;
                    TransactionReceipt receipt = r.getTransactionReceipt().get();
                    long block = receipt.getBlockNumber().longValueExact();
                    if (config.confirmations() == 1) {
                        return receipt;
                    }
                    long head = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
                    if (head >= block + config.confirmations() - 1) {
                        // Re-read: a reorg may have moved or dropped it meanwhile.
                        TransactionReceipt again = web3j.ethGetTransactionReceipt(hash).send()
                                .getTransactionReceipt().orElse(null);
                        if (again != null && again.getBlockHash().equals(receipt.getBlockHash())) {
                            return again;
                        }
                    }
                } else if (nonce != null && System.nanoTime() - nextSeenCheck >= 0) {
                    nextSeenCheck = System.nanoTime() + SEEN_CHECK_INTERVAL.toNanos();
                    misses = checkSeen(hash, nonce, misses);
                }
            } catch (IOException | ClientConnectionException e) {
                lastTransport = e;
                log.debug("waiting for {}: {}", hash, e.toString());
            }
            if (System.nanoTime() > deadline) {
                resyncNonce();
                String msg = "transaction " + hash + " was not mined with " + config.confirmations()
                        + " confirmation(s) within " + config.receiptTimeout();
                if (lastTransport != null) {
                    throw new RpcUnavailableException(msg + "; the RPC endpoint " + config.rpcUrl()
                            + " last failed with " + lastTransport, lastTransport);
                }
                throw new ChainException(msg + "; it may have been dropped, send it again");
            }
            sleep(config.pollInterval());
        }
    }

    /** Waits until the head is {@code confirmations - 1} blocks past {@code block}. */
    public void awaitDepth(long block) {
        long deadline = System.nanoTime() + config.receiptTimeout().toNanos();
        while (blockNumber() < block + config.confirmations() - 1) {
            if (System.nanoTime() > deadline) {
                throw new ChainException("block " + block + " did not reach " + config.confirmations()
                        + " confirmation(s) within " + config.receiptTimeout());
            }
            sleep(config.pollInterval());
        }
    }

    private String replayForReason(String to, String data, BigInteger gasLimit, BigInteger block) {
        try {
            EthCall r = web3j.ethCall(Transaction.createFunctionCallTransaction(address(), null, null, gasLimit, to, data),
                    DefaultBlockParameter.valueOf(block.subtract(BigInteger.ONE))).send();
            if (r.hasError()) {
                return r.getError().getMessage() + " " + TranscriptAnchorAbi.describeRevert(r.getError().getData());
            }
            return r.isReverted() ? String.valueOf(r.getRevertReason()) : "no reason could be replayed";
        } catch (IOException | RuntimeException e) {
            return "no reason could be replayed (" + e + ")";
        }
    }

    private ChainException classify(String what, Response.Error error, String hash) {
        String msg = error.getMessage() == null ? "" : error.getMessage();
        String lower = msg.toLowerCase(Locale.ROOT);
        if (lower.contains("insufficient funds")) {
            return new InsufficientFundsException(what + ": account " + address() + " cannot pay (node said: " + msg
                    + "); fund the account and retry");
        }
        if (lower.contains("revert")) {
            return new TransactionRevertedException(what + " reverted: " + msg + " ("
                    + TranscriptAnchorAbi.describeRevert(error.getData()) + ")", hash, TranscriptAnchorAbi.unquote(error.getData()));
        }
        return new ChainException(what + " failed: JSON-RPC error " + error.getCode() + ": " + msg);
    }

    // ------------------------------------------------------------------ plumbing

    /** A JSON-RPC request that may fail in transport. */
    @FunctionalInterface
    public interface RpcCall<T> {
        T call() throws IOException;
    }

    /**
     * Runs {@code call}, retrying transport failures per the {@link RetryPolicy}.
     *
     * @throws RpcUnavailableException when the attempts are spent
     */
    public <T> T rpc(String what, RpcCall<T> call) {
        RetryPolicy retry = config.retry();
        Exception last = null;
        for (int attempt = 1; attempt <= retry.maxAttempts(); attempt++) {
            try {
                return call.call();
            } catch (IOException | ClientConnectionException e) {
                last = e;
                log.debug("{} failed (attempt {}/{}): {}", what, attempt, retry.maxAttempts(), e.toString());
                if (attempt < retry.maxAttempts()) {
                    sleep(retry.backoff(attempt));
                }
            }
        }
        throw new RpcUnavailableException(what + ": the RPC endpoint " + config.rpcUrl() + " did not answer after "
                + retry.maxAttempts() + " attempts (last error: " + last + "); expected a JSON-RPC node there", last);
    }

    private <R extends Response<?>> R checked(String what, R response) {
        if (response.hasError()) {
            throw classify(what, response.getError(), null);
        }
        return response;
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChainException("interrupted while waiting on the chain", e);
        }
    }

    @Override
    public void close() {
        web3j.shutdown();
    }
}
