package dev.opg.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.opg.core.Digest;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.MerkleTree;
import dev.opg.core.merkle.Rfc9162;
import dev.opg.core.tensor.TensorDigest;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The protocol core end to end on a real engine: a small PyTorch computation (linear layer,
 * ReLU, softmax), the canonical digest of every intermediate tensor, a Merkle root over them, an
 * inclusion proof for one step, and a one-bit change that the root and the proof both catch.
 */
public final class MerkleDemo {
    private MerkleDemo() {}

    public static void main(String[] args) {
        run(System.out);
    }

    /** Runs the demo, printing to {@code out}; returns true if every check came out as it must. */
    public static boolean run(PrintStream out) {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            manager.getEngine().setRandomSeed(42);
            NDArray x = manager.randomNormal(new Shape(1, 8));
            NDArray w = manager.randomNormal(new Shape(8, 4));
            List<String> names = List.of("input", "linear", "relu", "softmax");
            List<NDArray> steps = new ArrayList<>();
            steps.add(x);
            steps.add(x.matMul(w));
            steps.add(steps.get(1).maximum(0f));
            steps.add(steps.get(2).softmax(-1));

            List<Digest> leaves = new ArrayList<>();
            out.printf("%-8s %-10s %s%n", "step", "shape", "tensor digest (OPGT v1, SHA-256)");
            for (int i = 0; i < steps.size(); i++) {
                Digest d = TensorDigest.of(steps.get(i));
                leaves.add(Rfc9162.leafHash(d.toByteArray()));
                out.printf("%-8s %-10s %s%n", names.get(i), steps.get(i).getShape(), d);
            }
            MerkleTree tree = MerkleTree.fromLeafHashes(leaves);
            Digest root = tree.root();
            out.println("root over " + tree.size() + " steps: " + root);

            InclusionProof proof = tree.inclusionProof(2);
            boolean included = proof.verify(leaves.get(2), root);
            out.println("inclusion proof for step 'relu' (" + proof.path().size() + " hashes): "
                    + (included ? "verifies" : "FAILS"));

            // Flip the lowest bit of one float in the ReLU output: a different tensor digest.
            float[] relu = steps.get(2).toFloatArray();
            relu[0] = Float.intBitsToFloat(Float.floatToRawIntBits(relu[0]) ^ 1);
            Digest tampered = TensorDigest.ofFloat32(relu, 1, 4);
            List<Digest> tamperedLeaves = new ArrayList<>(leaves);
            tamperedLeaves.set(2, Rfc9162.leafHash(tampered.toByteArray()));
            Digest tamperedRoot = MerkleTree.rootOf(tamperedLeaves);
            boolean rootCaught = !tamperedRoot.equals(root);
            boolean proofCaught = !proof.verify(tamperedLeaves.get(2), root);
            out.println("one bit flipped in 'relu': root " + (rootCaught ? "changed" : "UNCHANGED")
                    + " (" + tamperedRoot + "), proof " + (proofCaught ? "rejected" : "ACCEPTED"));
            boolean ok = included && rootCaught && proofCaught;
            out.println(ok ? "demo: all checks passed" : "demo: a check FAILED");
            return ok;
        }
    }
}
