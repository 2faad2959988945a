package dev.opg.chain;

import dev.opg.core.Digest;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.MerkleTree;
import java.math.BigInteger;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.crypto.ECKeyPair;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;

/**
 * A deployed TranscriptAnchor contract, used through one {@link TransactionSender} (which the
 * caller owns and closes). Writes wait for the configured confirmations; reads answer from the
 * latest block.
 */
public final class TranscriptAnchorClient {
    private static final Logger log = LoggerFactory.getLogger(TranscriptAnchorClient.class);

    private final TransactionSender sender;
    private final String address;

    private TranscriptAnchorClient(TransactionSender sender, String address) {
        this.sender = sender;
        this.address = address.toLowerCase(Locale.ROOT);
    }

    /** Deploys the committed artifact's bytecode and returns a client for the new contract. */
    public static TranscriptAnchorClient deploy(TransactionSender sender) {
        TransactionSender.Mined m = sender.deploy(ContractArtifact.transcriptAnchor().bytecode());
        String addr = m.receipt().getContractAddress();
        if (addr == null) {
            throw new ChainException("deployment " + m.transactionHash() + " has no contract address in its receipt");
        }
        log.info("deployed TranscriptAnchor at {} (tx {}, {} gas)", addr, m.transactionHash(), m.gasUsed());
        return new TranscriptAnchorClient(sender, addr);
    }

    /**
     * A client for the contract at {@code address}.
     *
     * @throws ChainException unless the code there is the committed artifact's runtime bytecode
     */
    public static TranscriptAnchorClient at(TransactionSender sender, String address) {
        requireCode(sender, Attestation.address(address, "contract address"));
        return new TranscriptAnchorClient(sender, address);
    }

    /**
     * Checks (one {@code eth_getCode}) that the contract is still at {@link #address()}.
     *
     * @throws ContractMissingException naming the address if the code there is gone (a chain reset)
     *     or is not the committed artifact's runtime
     */
    public void requireDeployed() {
        requireCode(sender, address);
    }

    private static void requireCode(TransactionSender sender, String address) {
        String code = sender.code(address);
        String expected = ContractArtifact.transcriptAnchor().deployedBytecode();
        if (!code.equalsIgnoreCase(expected)) {
            throw new ContractMissingException(address, sender.chainId(), "no TranscriptAnchor at " + address
                    + " on chain " + sender.chainId() + ": found "
                    + (code.length() <= 2 ? "no code" : (code.length() - 2) / 2 + " bytes of other code")
                    + ", expected the " + (expected.length() - 2) / 2 + "-byte runtime of the committed artifact");
        }
    }

    public String address() {
        return address;
    }

    public TransactionSender sender() {
        return sender;
    }

    public long chainId() {
        return sender.chainId();
    }

    // ------------------------------------------------------------------ anchoring

    /** Anchors one transcript root; idempotent (a second call sends a no-op and says {@code fresh=false}). */
    public AnchorReceipt anchor(Digest root) {
        TransactionSender.Mined m = sender.send(address, TranscriptAnchorAbi.encode(TranscriptAnchorAbi.anchor(root)));
        return new AnchorReceipt(root, 0, emitted(m, TranscriptAnchorAbi.ANCHORED, root), m.transactionHash(),
                m.blockNumber(), m.gasUsed());
    }

    /** Anchors the RFC 9162 root over {@code roots} in one transaction and returns every root's proof. */
    public BatchReceipt anchorBatch(List<Digest> roots) {
        MerkleTree tree = BatchRoots.tree(roots);
        AnchorReceipt a = anchorBatchRoot(tree.root(), roots.size());
        return new BatchReceipt(tree.root(), roots, BatchRoots.proofs(tree), a);
    }

    /** Anchors a batch root computed elsewhere (see {@link BatchRoots}) over {@code count} roots. */
    public AnchorReceipt anchorBatchRoot(Digest batchRoot, long count) {
        TransactionSender.Mined m = sender.send(address,
                TranscriptAnchorAbi.encode(TranscriptAnchorAbi.anchorBatch(batchRoot, count)));
        return new AnchorReceipt(batchRoot, count, emitted(m, TranscriptAnchorAbi.BATCH_ANCHORED, batchRoot),
                m.transactionHash(), m.blockNumber(), m.gasUsed());
    }

    /** Sends {@code function} with a fixed gas limit (no estimate): for callers that price gas themselves. */
    public TransactionSender.Mined sendWithGasLimit(Function function, BigInteger gasLimit) {
        return sender.send(address, TranscriptAnchorAbi.encode(function), gasLimit);
    }

    public boolean isAnchored(Digest root) {
        return bool(TranscriptAnchorAbi.isAnchored(root));
    }

    /** Who anchored {@code root}, when, over how many roots; empty if it is not anchored. */
    public Optional<AnchorRecord> anchorOf(Digest root) {
        List<Type> out = call(TranscriptAnchorAbi.anchorOf(root));
        long block = TranscriptAnchorAbi.uint(out.get(1)).longValueExact();
        if (block == 0 && "0x0000000000000000000000000000000000000000".equals(out.get(0).getValue())) {
            return Optional.empty();
        }
        return Optional.of(new AnchorRecord(((String) out.get(0).getValue()).toLowerCase(Locale.ROOT), block,
                TranscriptAnchorAbi.uint(out.get(2)).longValueExact()));
    }

    /**
     * Looks up the transaction that anchored {@code root} (from the contract's events), for a root
     * found anchored without a receipt at hand, e.g. after a crash.
     */
    public Optional<AnchorReceipt> findAnchor(Digest root) {
        Optional<AnchorRecord> rec = anchorOf(root);
        if (rec.isEmpty()) {
            return Optional.empty();
        }
        AnchorRecord r = rec.get();
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(r.blockNumber())),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(r.blockNumber())), address);
        filter.addSingleTopic(TranscriptAnchorAbi.topic(r.isBatch() ? TranscriptAnchorAbi.BATCH_ANCHORED : TranscriptAnchorAbi.ANCHORED));
        filter.addSingleTopic("0x" + root.hex());
        EthLog logs = sender.rpc("eth_getLogs", () -> sender.web3j().ethGetLogs(filter).send());
        String tx = null;
        if (!logs.hasError() && logs.getLogs() != null && !logs.getLogs().isEmpty()) {
            tx = ((Log) logs.getLogs().get(0).get()).getTransactionHash();
        }
        return Optional.of(new AnchorReceipt(root, r.count(), false, tx, r.blockNumber(), 0));
    }

    /**
     * Asks the contract whether {@code proof} shows {@code transcriptRoot} inside the anchored batch
     * {@code batchRoot} (tree size = the count anchored with it). False for an unknown batch.
     */
    public boolean verifyInclusion(Digest batchRoot, Digest transcriptRoot, InclusionProof proof) {
        return bool(TranscriptAnchorAbi.verifyInclusion(batchRoot, proof.leafIndex(), transcriptRoot, proof.path()));
    }

    /** The contract's plain RFC 9162 verifier: {@code path} leads from {@code leafHash} at {@code index} in a tree of {@code size} to {@code root}. */
    public boolean verifyInclusionProof(Digest leafHash, long index, long size, List<Digest> path, Digest root) {
        return bool(TranscriptAnchorAbi.verifyInclusionProof(leafHash, index, size, path, root));
    }

    /** The contract's RFC 9162 leaf hash of {@code data}. */
    public Digest leafHash(byte[] data) {
        return Digest.of((byte[]) call(TranscriptAnchorAbi.rfc9162LeafHash(data)).get(0).getValue());
    }

    // ------------------------------------------------------------------ attestations

    /** Signs an attestation for this contract and chain with {@code executorKey} (no transaction). */
    public Attestation sign(Digest transcriptRoot, Digest modelId, ECKeyPair executorKey) {
        return Attestations.sign(transcriptRoot, modelId, chainId(), address, executorKey);
    }

    /**
     * Records {@code a} on chain.
     *
     * @throws TransactionRevertedException if the contract rejects it (WrongSigner: signed for
     *     another chain or contract, or by another key; ConflictingAttestation)
     */
    public AnchorReceipt attest(Attestation a) {
        Objects.requireNonNull(a, "attestation");
        TransactionSender.Mined m = sender.send(address, TranscriptAnchorAbi.encode(
                TranscriptAnchorAbi.attest(a.transcriptRoot(), a.modelId(), a.executor(), a.signatureBytes())));
        return new AnchorReceipt(a.transcriptRoot(), 0, emitted(m, TranscriptAnchorAbi.ATTESTED, a.transcriptRoot()),
                m.transactionHash(), m.blockNumber(), m.gasUsed());
    }

    /** The signer the contract recovers for (root, model id, signature) under its own domain; zero address if invalid. */
    public String recoverAttester(Attestation a) {
        return ((String) call(TranscriptAnchorAbi.recoverAttester(a.transcriptRoot(), a.modelId(), a.signatureBytes()))
                .get(0).getValue()).toLowerCase(Locale.ROOT);
    }

    /** The model id {@code executor} attested on chain for {@code transcriptRoot}, if any. */
    public Optional<Digest> attestedModel(Digest transcriptRoot, String executor) {
        Digest d = Digest.of((byte[]) call(TranscriptAnchorAbi.attestedModel(transcriptRoot, executor)).get(0).getValue());
        return d.equals(Digest.of(new byte[32])) ? Optional.empty() : Optional.of(d);
    }

    public Digest attestationDigest(Digest transcriptRoot, Digest modelId) {
        return Digest.of((byte[]) call(TranscriptAnchorAbi.attestationDigest(transcriptRoot, modelId)).get(0).getValue());
    }

    public Digest domainSeparator() {
        return Digest.of((byte[]) call(TranscriptAnchorAbi.domainSeparator()).get(0).getValue());
    }

    // ------------------------------------------------------------------ plumbing

    @SuppressWarnings("rawtypes")
    private List<Type> call(Function f) {
        List<Type> out = TranscriptAnchorAbi.decode(f, sender.call(address, TranscriptAnchorAbi.encode(f)));
        if (out.size() != f.getOutputParameters().size()) {
            throw new ChainException("call " + f.getName() + " on " + address + " returned " + out.size()
                    + " values, expected " + f.getOutputParameters().size() + "; is the contract there a TranscriptAnchor?");
        }
        return out;
    }

    private boolean bool(Function f) {
        return (Boolean) call(f).get(0).getValue();
    }

    private boolean emitted(TransactionSender.Mined m, org.web3j.abi.datatypes.Event event, Digest firstTopic) {
        String topic0 = TranscriptAnchorAbi.topic(event);
        String topic1 = "0x" + firstTopic.hex();
        for (Log l : m.receipt().getLogs()) {
            if (address.equalsIgnoreCase(l.getAddress()) && l.getTopics().size() > 1
                    && topic0.equalsIgnoreCase(l.getTopics().get(0)) && topic1.equalsIgnoreCase(l.getTopics().get(1))) {
                return true;
            }
        }
        return false;
    }
}
