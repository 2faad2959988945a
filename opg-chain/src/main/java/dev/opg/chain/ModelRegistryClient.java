package dev.opg.chain;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthEstimateGas;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * A deployed ModelRegistry contract, used through one {@link TransactionSender} (which the caller
 * owns and closes). Writes register or revoke as the sender's account, under names of that
 * account only; reads name the publisher they ask about, or find publishers through the contract's
 * events and then read every entry from contract state (an event alone is never believed).
 *
 * <p>What the RPC node answers is trusted for reads (it could hide an entry or a revocation); the
 * entries' model ids are not: {@link ModelResolver} recomputes the model id of every artifact
 * before it is used.
 */
public final class ModelRegistryClient {
    private static final Logger log = LoggerFactory.getLogger(ModelRegistryClient.class);

    /** Most registrations of one model id read when resolving it (each costs two calls). */
    public static final int MAX_REGISTRATIONS_READ = 1024;
    /** Most versions of one name read when listing it. */
    public static final int MAX_VERSIONS_READ = 1000;

    private final TransactionSender sender;
    private final String address;

    private ModelRegistryClient(TransactionSender sender, String address) {
        this.sender = sender;
        this.address = address.toLowerCase(Locale.ROOT);
    }

    /** Deploys the committed ModelRegistry artifact and returns a client for it. */
    public static ModelRegistryClient deploy(TransactionSender sender) {
        TransactionSender.Mined m = sender.deploy(ContractArtifact.modelRegistry().bytecode());
        String addr = m.receipt().getContractAddress();
        if (addr == null) {
            throw new ChainException("deployment " + m.transactionHash() + " has no contract address in its receipt");
        }
        log.info("deployed ModelRegistry at {} (tx {}, {} gas)", addr, m.transactionHash(), m.gasUsed());
        return new ModelRegistryClient(sender, addr);
    }

    /**
     * A client for the registry at {@code address}.
     *
     * @throws ContractMissingException unless the code there is the committed artifact's runtime bytecode
     */
    public static ModelRegistryClient at(TransactionSender sender, String address) {
        String a = Attestation.address(address, "registry address");
        String code = sender.code(a);
        String expected = ContractArtifact.modelRegistry().deployedBytecode();
        if (!code.equalsIgnoreCase(expected)) {
            throw new ContractMissingException(a, sender.chainId(), "no ModelRegistry at " + a + " on chain " + sender.chainId()
                    + ": found " + (code.length() <= 2 ? "no code" : (code.length() - 2) / 2 + " bytes of other code")
                    + ", expected the " + (expected.length() - 2) / 2 + "-byte runtime of the committed artifact"
                    + " (deploy one with opg deploy-registry)");
        }
        return new ModelRegistryClient(sender, a);
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

    /** The account this client registers as. */
    public String publisher() {
        return sender.address().toLowerCase(Locale.ROOT);
    }

    // ------------------------------------------------------------------ writes

    /**
     * Registers {@code version} of this account's model {@code name}. If this account already
     * registered exactly this entry, nothing is sent ({@code fresh} false).
     *
     * @throws MalformedInputException if a field breaks the registry's rules (checked before sending)
     * @throws RegistryConflictException if this version string is already registered with other fields
     */
    public RegistryReceipt register(String name, String version, Digest modelId, Digest artifactDigest, String uri, String kind) {
        RegistryEntry.checkFields(name, version, uri, kind);
        Digest zero = Digest.of(new byte[32]);
        if (modelId.equals(zero) || artifactDigest.equals(zero)) {
            throw new MalformedInputException("a registered model id and artifact digest are never zero");
        }
        Optional<RegistryEntry> existing = version(publisher(), name, version);
        if (existing.isPresent()) {
            RegistryEntry e = existing.get();
            if (e.modelId().equals(modelId) && e.artifactDigest().equals(artifactDigest) && e.uri().equals(uri)
                    && e.kind().equals(kind)) {
                return new RegistryReceipt(e, false, null, 0, 0);
            }
            throw conflict(e);
        }
        TransactionSender.Mined m;
        try {
            m = sender.send(address, ModelRegistryAbi.encode(ModelRegistryAbi.register(name, version, modelId, artifactDigest, uri, kind)));
        } catch (TransactionRevertedException ex) {
            // Registered by a concurrent send of this account between the read and the send.
            Optional<RegistryEntry> now = version(publisher(), name, version);
            if (now.isPresent() && !now.get().modelId().equals(modelId)) {
                throw conflict(now.get());
            }
            throw ex;
        }
        boolean fresh = emitted(m, ModelRegistryAbi.MODEL_REGISTERED);
        RegistryEntry e = version(publisher(), name, version).orElseThrow(() -> new ChainException("registration of " + name + "@"
                + version + " was mined in block " + m.blockNumber() + " (tx " + m.transactionHash() + ") but the registry at "
                + address + " does not hold it; was the chain rolled back?"));
        log.info("registered {} as {}@{} (model {}, tx {}, {} gas)", publisher(), name, version, modelId.hex(), m.transactionHash(),
                m.gasUsed());
        return new RegistryReceipt(e, fresh, m.transactionHash(), m.blockNumber(), m.gasUsed());
    }

    private RegistryConflictException conflict(RegistryEntry e) {
        return new RegistryConflictException(e.publisher() + " already registered " + e.label() + " (version #" + e.index()
                + ": model " + e.modelId().hex() + ", artifact " + e.artifactDigest().hex() + ", uri " + e.uri() + ", kind "
                + e.kind() + "); registered entries cannot be altered: register a new version string");
    }

    /**
     * Revokes {@code version} of this account's model {@code name}; a no-op ({@code fresh} false,
     * nothing sent) if it already is revoked.
     *
     * @throws ModelResolutionException if this account has no such version
     */
    public RegistryReceipt revoke(String name, String version) {
        RegistryEntry e = version(publisher(), name, version).orElseThrow(() -> new ModelResolutionException(publisher()
                + " has no version " + version + " of a model named " + name + " in the registry at " + address
                + "; only the publisher of a version can revoke it"));
        if (e.revoked()) {
            return new RegistryReceipt(e, false, null, 0, 0);
        }
        TransactionSender.Mined m = sender.send(address, ModelRegistryAbi.encode(ModelRegistryAbi.revoke(name, version)));
        RegistryEntry after = versionAt(publisher(), name, e.index());
        return new RegistryReceipt(after, emitted(m, ModelRegistryAbi.VERSION_REVOKED), m.transactionHash(), m.blockNumber(),
                m.gasUsed());
    }

    // ------------------------------------------------------------------ reads

    /** How many versions {@code publisher} registered under {@code name}. */
    public long versionCount(String publisher, String name) {
        return uint(call(ModelRegistryAbi.versionCount(addr(publisher), name)).get(0)).longValueExact();
    }

    /**
     * Version {@code index} of {@code publisher}'s model {@code name}.
     *
     * @throws TransactionRevertedException (IndexOutOfRange) if there is no such version
     */
    @SuppressWarnings("rawtypes")
    public RegistryEntry versionAt(String publisher, String name, long index) {
        String p = addr(publisher);
        List<Type> out = call(ModelRegistryAbi.versionAt(p, name, index));
        try {
            return new RegistryEntry(p, name, index, (String) out.get(2).getValue(), digest(out.get(0)), digest(out.get(1)),
                    (String) out.get(3).getValue(), (String) out.get(4).getValue(), uint(out.get(5)).longValueExact(),
                    uint(out.get(6)).longValueExact());
        } catch (MalformedInputException e) {
            throw new ChainException("the registry at " + address + " returned a malformed entry for " + p + "'s " + name + " #"
                    + index + " (" + e.getMessage() + "); is the RPC node honest?", e);
        }
    }

    /** Every version of {@code publisher}'s model {@code name}, oldest first (at most {@value #MAX_VERSIONS_READ}). */
    public List<RegistryEntry> versions(String publisher, String name) {
        long n = versionCount(publisher, name);
        if (n > MAX_VERSIONS_READ) {
            log.warn("{} has {} versions of {}; reading the first {}", publisher, n, name, MAX_VERSIONS_READ);
        }
        List<RegistryEntry> out = new ArrayList<>();
        for (long i = 0; i < Math.min(n, MAX_VERSIONS_READ); i++) {
            out.add(versionAt(publisher, name, i));
        }
        return out;
    }

    /** The entry for {@code version} of {@code publisher}'s model {@code name}, if registered. */
    @SuppressWarnings("rawtypes")
    public Optional<RegistryEntry> version(String publisher, String name, String version) {
        List<Type> out = call(ModelRegistryAbi.versionIndex(addr(publisher), name, version));
        if (!(Boolean) out.get(0).getValue()) {
            return Optional.empty();
        }
        RegistryEntry e = versionAt(publisher, name, uint(out.get(1)).longValueExact());
        if (!e.version().equals(version)) {
            throw new ChainException("the registry at " + address + " answered version " + e.version() + " for " + version);
        }
        return Optional.of(e);
    }

    /**
     * Every entry that registered {@code modelId}, oldest first, read from contract state (at most
     * {@value #MAX_REGISTRATIONS_READ}; anyone can register any model id under a name of its own,
     * so filter by the publishers you trust).
     */
    @SuppressWarnings("rawtypes")
    public List<RegistryEntry> registrationsOf(Digest modelId) {
        long n = uint(call(ModelRegistryAbi.registrationCount(modelId)).get(0)).longValueExact();
        if (n > MAX_REGISTRATIONS_READ) {
            log.warn("model {} has {} registrations; reading the first {}", modelId.hex(), n, MAX_REGISTRATIONS_READ);
        }
        List<RegistryEntry> out = new ArrayList<>();
        for (long i = 0; i < Math.min(n, MAX_REGISTRATIONS_READ); i++) {
            List<Type> r = call(ModelRegistryAbi.registrationAt(modelId, i));
            String publisher = ((String) r.get(0).getValue()).toLowerCase(Locale.ROOT);
            String name = (String) r.get(1).getValue();
            RegistryEntry e = versionAt(publisher, name, uint(r.get(2)).longValueExact());
            if (!e.modelId().equals(modelId)) {
                throw new ChainException("the registry at " + address + " lists " + publisher + "'s " + name + " #" + e.index()
                        + " under model " + modelId.hex() + " but that entry holds model " + e.modelId().hex()
                        + "; is the RPC node honest?");
            }
            out.add(e);
        }
        return out;
    }

    /**
     * Entries by publisher and name, either of which may be null (any). Publishers and names come
     * from the contract's {@code ModelRegistered} events (one {@code eth_getLogs} over the chain;
     * some public endpoints limit its range and then this throws); every entry is then read from
     * contract state. Ordered by first registration.
     *
     * @throws ChainException if the node refuses the log query
     */
    @SuppressWarnings("rawtypes")
    public List<RegistryEntry> entries(String publisher, String name) {
        if (publisher != null && name != null) {
            return versions(publisher, name);
        }
        EthFilter filter = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, address);
        filter.addSingleTopic(TranscriptAnchorAbi.topic(ModelRegistryAbi.MODEL_REGISTERED));
        if (publisher != null) {
            filter.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(addr(publisher)), 64));
        } else {
            filter.addNullTopic();
        }
        if (name != null) {
            filter.addSingleTopic(Numeric.toHexString(nameHash(name)));
        }
        EthLog logs = sender.rpc("eth_getLogs", () -> sender.web3j().ethGetLogs(filter).send());
        if (logs.hasError()) {
            throw new ChainException("eth_getLogs for ModelRegistered on " + address + " failed: " + logs.getError().getMessage()
                    + "; pass both --publisher and --name to read the entries without a log query");
        }
        Map<String, String[]> pairs = new LinkedHashMap<>();
        for (EthLog.LogResult lr : logs.getLogs() == null ? List.<EthLog.LogResult>of() : logs.getLogs()) {
            Log l = (Log) lr.get();
            if (l.getTopics().size() != 4 || !address.equalsIgnoreCase(l.getAddress())) {
                continue;
            }
            String who = "0x" + l.getTopics().get(1).substring(l.getTopics().get(1).length() - 40).toLowerCase(Locale.ROOT);
            List<Type> data;
            try {
                data = FunctionReturnDecoder.decode(l.getData(), ModelRegistryAbi.MODEL_REGISTERED.getNonIndexedParameters());
            } catch (RuntimeException e) {
                continue;
            }
            if (data.isEmpty()) {
                continue;
            }
            String n = (String) data.get(0).getValue();
            // The event's name must hash to its indexed topic; state is read for it below.
            if (!Numeric.toHexString(nameHash(n)).equalsIgnoreCase(l.getTopics().get(2))) {
                continue;
            }
            pairs.putIfAbsent(who + "\n" + n, new String[] {who, n});
        }
        List<RegistryEntry> out = new ArrayList<>();
        for (String[] pn : pairs.values()) {
            try {
                RegistryEntry.checkFields(pn[1], "v", "u", "k");
            } catch (MalformedInputException e) {
                continue; // no such name can be registered; an event carrying it is not the contract's
            }
            out.addAll(versions(pn[0], pn[1]));
        }
        return out;
    }

    // ------------------------------------------------------------------ DSSE on chain

    /** The contract's DSSE PAE of (payloadType, payload). */
    public byte[] dssePae(String payloadType, byte[] payload) {
        return (byte[]) call(ModelRegistryAbi.dssePae(payloadType, payload)).get(0).getValue();
    }

    /** The contract's keccak256 of the PAE. */
    public Digest dsseDigest(String payloadType, byte[] payload) {
        return digest(call(ModelRegistryAbi.dsseDigest(payloadType, payload)).get(0));
    }

    /** The signer the contract recovers with {@code ecrecover}; empty if it finds the signature invalid. */
    public Optional<String> recoverDsseSigner(String payloadType, byte[] payload, byte[] signature) {
        String a = ((String) call(ModelRegistryAbi.recoverDsseSigner(payloadType, payload, signature)).get(0).getValue())
                .toLowerCase(Locale.ROOT);
        return Numeric.toBigInt(a).signum() == 0 ? Optional.empty() : Optional.of(a);
    }

    /** The node's gas estimate for calling {@code recoverDsseSigner} in a transaction (21,000 base and calldata included). */
    public long recoverDsseSignerGas(String payloadType, byte[] payload, byte[] signature) {
        String data = ModelRegistryAbi.encode(ModelRegistryAbi.recoverDsseSigner(payloadType, payload, signature));
        EthEstimateGas g = sender.rpc("eth_estimateGas", () -> sender.web3j().ethEstimateGas(
                Transaction.createEthCallTransaction(sender.address(), address, data)).send());
        if (g.hasError()) {
            throw new ChainException("eth_estimateGas for recoverDsseSigner failed: " + g.getError().getMessage());
        }
        return g.getAmountUsed().longValueExact();
    }

    // ------------------------------------------------------------------ plumbing

    /** keccak256 of the name's bytes: the {@code nameHash} topic. */
    public static byte[] nameHash(String name) {
        return Hash.sha3(name.getBytes(StandardCharsets.UTF_8));
    }

    @SuppressWarnings("rawtypes")
    private List<Type> call(Function f) {
        List<Type> out = ModelRegistryAbi.decode(f, sender.call(address, ModelRegistryAbi.encode(f)));
        if (out.size() != f.getOutputParameters().size()) {
            throw new ChainException("call " + f.getName() + " on " + address + " returned " + out.size() + " values, expected "
                    + f.getOutputParameters().size() + "; is the contract there a ModelRegistry?");
        }
        return out;
    }

    private boolean emitted(TransactionSender.Mined m, org.web3j.abi.datatypes.Event event) {
        String topic0 = TranscriptAnchorAbi.topic(event);
        String topic1 = Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(publisher()), 64);
        for (Log l : m.receipt().getLogs()) {
            if (address.equalsIgnoreCase(l.getAddress()) && l.getTopics().size() > 1 && topic0.equalsIgnoreCase(l.getTopics().get(0))
                    && topic1.equalsIgnoreCase(l.getTopics().get(1))) {
                return true;
            }
        }
        return false;
    }

    private static String addr(String a) {
        return Attestation.address(a, "publisher");
    }

    private static Digest digest(Type<?> t) {
        return Digest.of((byte[]) t.getValue());
    }

    private static BigInteger uint(Type<?> t) {
        return (BigInteger) t.getValue();
    }
}
