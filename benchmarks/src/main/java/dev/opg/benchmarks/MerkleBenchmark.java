package dev.opg.benchmarks;

import dev.opg.core.Digest;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.MerkleProofs;
import dev.opg.core.merkle.MerkleTree;
import dev.opg.core.merkle.Rfc9162;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * RFC 9162 tree costs: the root over n leaf hashes ({@code n - 1} node hashes), building the whole
 * tree with its proof index, and generating and verifying one inclusion proof in it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MerkleBenchmark {
    @Param({"1024", "65536", "1048576"})
    public int leaves;

    private List<Digest> leafHashes;
    private MerkleTree tree;
    private Digest root;
    private InclusionProof proof;
    private int index;

    @Setup
    public void setUp() {
        leafHashes = new ArrayList<>(leaves);
        ByteBuffer b = ByteBuffer.allocate(8);
        for (int i = 0; i < leaves; i++) {
            b.clear();
            b.putLong(i);
            leafHashes.add(Rfc9162.leafHash(b.array()));
        }
        tree = MerkleTree.fromLeafHashes(leafHashes);
        root = tree.root();
        index = leaves - leaves / 3;
        proof = tree.inclusionProof(index);
    }

    @Benchmark
    public Digest root() {
        return MerkleTree.rootOf(leafHashes);
    }

    @Benchmark
    public MerkleTree buildTree() {
        return MerkleTree.fromLeafHashes(leafHashes);
    }

    @Benchmark
    public InclusionProof inclusionProof() {
        return tree.inclusionProof(index);
    }

    @Benchmark
    public boolean verifyInclusion() {
        return MerkleProofs.verifyInclusion(index, leaves, leafHashes.get(index), proof.path(), root);
    }
}
