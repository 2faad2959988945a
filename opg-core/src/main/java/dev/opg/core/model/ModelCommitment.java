package dev.opg.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.MerkleTree;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.transcript.LeafWriter;
import dev.opg.core.transcript.TranscriptLimits;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The content-addressed identity of a model: an RFC 9162 Merkle root over
 * [architecture leaf, parameter leaves sorted by the unsigned bytes of their UTF-8 names].
 * The architecture leaf is {@code "OPG-ARCH" u8 1, string kind, digest[32]}, where the digest is
 * SHA-256 of the kind's architecture description (see {@code docs/transcript-spec.md}).
 *
 * <p>Immutable. Computed once per loaded model; a change to any parameter byte, name, dtype or
 * shape, or to the architecture description, changes {@link #modelId()}.
 */
public final class ModelCommitment {
    /** Domain tag of the architecture leaf. */
    public static final String ARCH_TAG = "OPG-ARCH";
    /** Kind of a DJL block tree. */
    public static final String KIND_DJL_BLOCK = "djl-block";
    /** Kind of a TorchScript archive. */
    public static final String KIND_TORCHSCRIPT = "torchscript";
    /** Kind of an ONNX model. */
    public static final String KIND_ONNX = "onnx";

    private final String kind;
    private final Digest architectureDigest;
    private final List<ParameterEntry> parameters;
    private final MerkleTree tree;

    private ModelCommitment(String kind, Digest architectureDigest, List<ParameterEntry> parameters) {
        this.kind = kind;
        this.architectureDigest = architectureDigest;
        List<ParameterEntry> sorted = new ArrayList<>(parameters);
        sorted.sort(Comparator.comparing(p -> p.name().getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).name().equals(sorted.get(i - 1).name())) {
                throw new MalformedInputException("two model parameters are named '" + sorted.get(i).name() + "'");
            }
        }
        this.parameters = List.copyOf(sorted);
        List<byte[]> leaves = new ArrayList<>(sorted.size() + 1);
        leaves.add(architectureLeaf(kind, architectureDigest));
        for (ParameterEntry p : sorted) {
            leaves.add(p.leafData());
        }
        this.tree = MerkleTree.fromLeafData(leaves);
    }

    /** A commitment from an architecture kind, the digest of its description, and the named tensors. */
    public static ModelCommitment of(String kind, Digest architectureDigest, List<ParameterEntry> parameters) {
        LeafWriter.utf8(kind, TranscriptLimits.MAX_NAME_BYTES, "architecture kind");
        if (architectureDigest == null || parameters == null) {
            throw new MalformedInputException("a model commitment needs an architecture digest and a parameter list");
        }
        return new ModelCommitment(kind, architectureDigest, parameters);
    }

    /**
     * The commitment of an initialized DJL block tree: every parameter from
     * {@link Block#getParameters()} (hashed where the engine holds it) and the block structure
     * ({@link BlockArchitecture#describe(Block)}).
     *
     * @throws MalformedInputException if a parameter is not initialized
     */
    public static ModelCommitment ofBlock(Block block) {
        List<ParameterEntry> params = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter param = p.getValue();
            if (!param.isInitialized()) {
                throw new MalformedInputException("parameter '" + p.getKey() + "' is not initialized; initialize or load the model first");
            }
            params.add(entry(p.getKey(), param.getArray()));
        }
        return of(KIND_DJL_BLOCK, sha256(BlockArchitecture.describe(block).getBytes(StandardCharsets.UTF_8)), params);
    }

    /** The leaf of one named engine array. */
    public static ParameterEntry entry(String name, NDArray array) {
        return new ParameterEntry(name, DType.fromDjl(array.getDataType()), array.getShape().getShape(), TensorDigest.of(array));
    }

    /** The architecture leaf's data. */
    public static byte[] architectureLeaf(String kind, Digest architectureDigest) {
        return new LeafWriter(ARCH_TAG, 1).string(kind, TranscriptLimits.MAX_NAME_BYTES, "architecture kind")
                .digest(architectureDigest).toByteArray();
    }

    /** The model id: the Merkle root. */
    public Digest modelId() {
        return tree.root();
    }

    public String kind() {
        return kind;
    }

    public Digest architectureDigest() {
        return architectureDigest;
    }

    /** Parameters in leaf order (sorted by name). */
    public List<ParameterEntry> parameters() {
        return parameters;
    }

    /** The parameter named {@code name}. @throws MalformedInputException if there is none */
    public ParameterEntry parameter(String name) {
        return parameters.get(indexOf(name));
    }

    /** Inclusion proof of the named parameter's leaf against {@link #modelId()}. */
    public InclusionProof parameterInclusionProof(String name) {
        return tree.inclusionProof(indexOf(name) + 1);
    }

    /** Inclusion proof of the architecture leaf (leaf 0). */
    public InclusionProof architectureInclusionProof() {
        return tree.inclusionProof(0);
    }

    private int indexOf(String name) {
        for (int i = 0; i < parameters.size(); i++) {
            if (parameters.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new MalformedInputException("the model has no parameter named '" + name + "'");
    }

    static Digest sha256(byte[] data) {
        try {
            return Digest.of(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new OpgException("this JVM has no SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "ModelCommitment[" + kind + ", id=" + modelId().hex() + ", parameters=" + parameters.size() + "]";
    }
}
