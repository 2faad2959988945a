/**
 * Anchoring transcript roots on an EVM chain: the {@code TranscriptAnchor} contract's compiled
 * artifact, a web3j client that deploys it, anchors one root or the RFC 9162 root of a batch,
 * proves inclusion on chain and records EIP-712 attestations, and a {@link dev.opg.chain.BatchAnchorer}
 * whose journal makes every accepted root durable until it is confirmed on chain.
 *
 * <p>Every failure is a {@link dev.opg.chain.ChainException} (an {@link dev.opg.core.OpgException}):
 * {@link dev.opg.chain.RpcUnavailableException} after retries are spent,
 * {@link dev.opg.chain.TransactionRevertedException}, {@link dev.opg.chain.InsufficientFundsException}.
 */
package dev.opg.chain;
