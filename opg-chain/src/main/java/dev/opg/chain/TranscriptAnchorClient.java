package dev.opg.chain;

import dev.opg.core.Digest;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.MerkleTree;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.crypto.ECKeyPair;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * A deployed TranscriptAnchor contract, used through one {@link TransactionSender} (which the
 * caller owns and closes). Writes wait for the configured confirmations; reads answer from the
 * latest block.
 *
 * <p>Every anchor is a claim of the account that sent it: writes anchor as {@link #submitter()},
 * and every read names the submitter it asks about. Nothing another account sends can make a
 * root this account anchored read as unanchored, or change its block or count.
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

    /**
     * Anchors one transcript root as this client's account; idempotent for that account (a second
     * call sends a no-op and says {@code fresh=false}). Whatever any other account anchored
     * before has no effect on it.
     */
    public AnchorReceipt anchor(Digest root) {
        TransactionSender.Mined m = sender.send(address, TranscriptAnchorAbi.encode(TranscriptAnchorAbi.anchor(root)));
        return new AnchorReceipt(root, sender.address(), 0, emitted(m, TranscriptAnchorAbi.ANCHORED, root),
                m.transactionHash(), m.blockNumber(), m.gasUsed());
    }

    /** Anchors the RFC 9162 root over {@code roots} in one transaction and returns every root's proof. */
    public BatchReceipt anchorBatch(List<Digest> roots) {
        MerkleTree tree = BatchRoots.tree(roots);
        AnchorReceipt a = anchorBatchRoot(tree.root(), roots.size());
        return new BatchReceipt(tree.root(), roots, BatchRoots.proofs(tree), a);
    }

    /**
     * Anchors a batch root computed elsewhere (see {@link BatchRoots}) over {@code count} roots, as
     * this client's account.
     *
     * @throws TransactionRevertedException with ConflictingBatchCount if this account already
     *     anchored {@code batchRoot} with another count
     */
    public AnchorReceipt anchorBatchRoot(Digest batchRoot, long count) {
        TransactionSender.Mined m = sender.send(address,
                TranscriptAnchorAbi.encode(TranscriptAnchorAbi.anchorBatch(batchRoot, count)));
        return new AnchorReceipt(batchRoot, sender.address(), count,
                emitted(m, TranscriptAnchorAbi.BATCH_ANCHORED, batchRoot), m.transactionHash(), m.blockNumber(),
                m.gasUsed());
    }

    /** Sends {@code function} with a fixed gas limit (no estimate): for callers that price gas themselves. */
    public TransactionSender.Mined sendWithGasLimit(Function function, BigInteger gasLimit) {
        return sender.send(address, TranscriptAnchorAbi.encode(function), gasLimit);
    }

    /** The account this client sends from, whose anchors its writes create. */
    public String submitter() {
        return sender.address().toLowerCase(Locale.ROOT);
    }

    /** True if {@code submitter} anchored {@code root} alone (a batch root it anchored does not count). */
    public boolean isAnchored(String submitter, Digest root) {
        return bool(TranscriptAnchorAbi.isAnchored(addr(submitter), root));
    }

    /** True if {@code submitter} anchored {@code batchRoot} as a batch root (anchored alone does not count). */
    public boolean isBatchAnchored(String submitter, Digest batchRoot) {
        return bool(TranscriptAnchorAbi.isBatchAnchored(addr(submitter), batchRoot));
    }

    /** When {@code submitter} anchored {@code root} alone ({@code count} 0); empty if it did not. */
    public Optional<AnchorRecord> anchorOf(String submitter, Digest root) {
        String s = addr(submitter);
        long block = TranscriptAnchorAbi.uint(call(TranscriptAnchorAbi.anchorOf(s, root)).get(0)).longValueExact();
        // A transaction is never in block 0 (genesis), so 0 means "not anchored by s".
        return block == 0 ? Optional.empty() : Optional.of(new AnchorRecord(s, block, 0));
    }

    /** When and over how many roots {@code submitter} anchored the batch root {@code batchRoot}; empty if it did not. */
    @SuppressWarnings("rawtypes") // web3j's decoder hands out raw Types
    public Optional<AnchorRecord> batchAnchorOf(String submitter, Digest batchRoot) {
        String s = addr(submitter);
        List<Type> out = call(TranscriptAnchorAbi.batchAnchorOf(s, batchRoot));
        long count = TranscriptAnchorAbi.uint(out.get(1)).longValueExact();
        return count == 0 ? Optional.empty()
                : Optional.of(new AnchorRecord(s, TranscriptAnchorAbi.uint(out.get(0)).longValueExact(), count));
    }

    /**
     * Every account that anchored {@code value}, alone ({@code count} 0) or as a batch root, oldest
     * first. Candidates come from the contract's events (one {@code eth_getLogs} over the whole
     * chain; some public RPC endpoints limit its range and then this throws); each is then
     * confirmed from contract state, so an event alone is never believed.
     *
     * @throws ChainException if the node refuses the log query
     */
    @SuppressWarnings("rawtypes") // web3j's EthLog hands out raw LogResults
    public List<AnchorRecord> anchorsOf(Digest value) {
        EthFilter filter = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, address);
        filter.addOptionalTopics(TranscriptAnchorAbi.topic(TranscriptAnchorAbi.ANCHORED),
                TranscriptAnchorAbi.topic(TranscriptAnchorAbi.BATCH_ANCHORED));
        filter.addSingleTopic("0x" + value.hex());
        EthLog logs = sender.rpc("eth_getLogs", () -> sender.web3j().ethGetLogs(filter).send());
        if (logs.hasError()) {
            throw new ChainException("eth_getLogs for anchors of " + value.hex() + " on " + address + " failed: "
                    + logs.getError().getMessage() + "; pass the expected submitter to check it without a log query");
        }
        Set<String> singleSubmitters = new LinkedHashSet<>();
        Set<String> batchSubmitters = new LinkedHashSet<>();
        String anchoredTopic = TranscriptAnchorAbi.topic(TranscriptAnchorAbi.ANCHORED);
        for (EthLog.LogResult lr : logs.getLogs() == null ? List.<EthLog.LogResult>of() : logs.getLogs()) {
            Log l = (Log) lr.get();
            if (l.getTopics().size() < 3) {
                continue;
            }
            String who = "0x" + l.getTopics().get(2).substring(l.getTopics().get(2).length() - 40);
            (anchoredTopic.equalsIgnoreCase(l.getTopics().get(0)) ? singleSubmitters : batchSubmitters).add(who);
        }
        List<AnchorRecord> out = new ArrayList<>();
        singleSubmitters.forEach(s -> anchorOf(s, value).ifPresent(out::add));
        batchSubmitters.forEach(s -> batchAnchorOf(s, value).ifPresent(out::add));
        out.sort(java.util.Comparator.comparingLong(AnchorRecord::blockNumber));
        return out;
    }

    /**
     * Looks up the transaction in which this client's account anchored {@code batchRoot} (from the
     * contract's events), for a batch found anchored without a receipt at hand, e.g. after a
     * crash. Empty if this account did not anchor it, whoever else did.
     */
    public Optional<AnchorReceipt> findBatchAnchor(Digest batchRoot) {
        return findAnchor(submitter(), batchRoot, true);
    }

    /**
     * The anchor {@code submitter} made of {@code value}, alone ({@code batch} false) or as a batch
     * root, with the transaction that made it (looked up in the contract's events of that block;
     * null if the node cannot say). Empty if that submitter did not anchor it that way.
     */
    public Optional<AnchorReceipt> findAnchor(String submitter, Digest value, boolean batch) {
        Optional<AnchorRecord> rec = batch ? batchAnchorOf(submitter, value) : anchorOf(submitter, value);
        if (rec.isEmpty()) {
            return Optional.empty();
        }
        AnchorRecord r = rec.get();
        EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(r.blockNumber())),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(r.blockNumber())), address);
        filter.addSingleTopic(TranscriptAnchorAbi.topic(batch ? TranscriptAnchorAbi.BATCH_ANCHORED : TranscriptAnchorAbi.ANCHORED));
        filter.addSingleTopic("0x" + value.hex());
        filter.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(r.submitter()), 64));
        EthLog logs = sender.rpc("eth_getLogs", () -> sender.web3j().ethGetLogs(filter).send());
        String tx = null;
        if (!logs.hasError() && logs.getLogs() != null && !logs.getLogs().isEmpty()) {
            tx = ((Log) logs.getLogs().get(0).get()).getTransactionHash();
        }
        return Optional.of(new AnchorReceipt(value, r.submitter(), r.count(), false, tx, r.blockNumber(), 0));
    }

    /**
     * Asks the contract whether {@code proof} shows {@code transcriptRoot} inside the batch
     * {@code batchRoot} that {@code submitter} anchored (tree size = the count that submitter
     * anchored with it). False if that submitter did not anchor that batch, whoever else did.
     */
    public boolean verifyInclusion(String submitter, Digest batchRoot, Digest transcriptRoot, InclusionProof proof) {
        return bool(TranscriptAnchorAbi.verifyInclusion(addr(submitter), batchRoot, proof.leafIndex(), transcriptRoot,
                proof.path()));
    }

    /** {@link #verifyInclusion(String, Digest, Digest, InclusionProof)} for a batch this client's own account anchored. */
    public boolean verifyInclusion(Digest batchRoot, Digest transcriptRoot, InclusionProof proof) {
        return verifyInclusion(submitter(), batchRoot, transcriptRoot, proof);
    }

    /** Checks {@code r} on chain against the submitter its anchor names. */
    public boolean verifyInclusion(RootReceipt r) {
        return verifyInclusion(r.anchor().submitter(), r.batchRoot(), r.root(), r.proof());
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
        return new AnchorReceipt(a.transcriptRoot(), sender.address(), 0,
                emitted(m, TranscriptAnchorAbi.ATTESTED, a.transcriptRoot()),
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

    private static String addr(String submitter) {
        return Attestation.address(submitter, "submitter");
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
