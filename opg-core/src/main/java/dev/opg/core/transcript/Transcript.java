package dev.opg.core.transcript;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.merkle.MerkleTree;
import dev.opg.core.profile.DeterminismProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An execution transcript: a header, the ordered steps, and the determinism profile the header's
 * profile digest names. Immutable and validated on construction: steps are numbered 0..n-1 in
 * order, each step's commitments match the header's mode (digests in FULL mode, one sketch of the
 * header's dimension per output in SKETCH mode), and the profile's digest equals the header's.
 *
 * <p>The root is the RFC 9162 Merkle root over the leaf data [header, step 0, step 1, ...]
 * ({@link LeafEncoding}); step {@code i} is leaf {@code i + 1}. The tree is built once, when the
 * transcript is made.
 */
public final class Transcript {
    private final TranscriptHeader header;
    private final List<Step> steps;
    private final DeterminismProfile profile;
    private final MerkleTree tree;

    public Transcript(TranscriptHeader header, List<Step> steps, DeterminismProfile profile) {
        if (header == null || steps == null || profile == null) {
            throw new MalformedInputException("a transcript needs a header, a step list and a profile");
        }
        if (steps.size() > TranscriptLimits.MAX_STEPS) {
            throw new LimitExceededException("transcript has " + steps.size() + " steps; the cap is " + TranscriptLimits.MAX_STEPS);
        }
        if (!profile.digest().equals(header.profileDigest())) {
            throw new MalformedInputException("the profile's digest " + profile.digest().hex()
                    + " differs from the header's profile digest " + header.profileDigest().hex());
        }
        List<byte[]> leaves = new ArrayList<>(steps.size() + 1);
        leaves.add(header.leafData());
        for (int i = 0; i < steps.size(); i++) {
            Step s = Objects.requireNonNull(steps.get(i), "step");
            checkStep(header, s, i);
            leaves.add(s.leafData());
        }
        this.header = header;
        this.steps = List.copyOf(steps);
        this.profile = profile;
        this.tree = MerkleTree.fromLeafData(leaves);
    }

    private static void checkStep(TranscriptHeader header, Step s, int i) {
        if (s.index() != i) {
            throw new MalformedInputException("step at position " + i + " has index " + s.index() + "; steps are numbered 0..n-1 in order");
        }
        if (header.mode() == CommitmentMode.FULL) {
            if (!s.sketches().isEmpty()) {
                throw new MalformedInputException("step " + i + " carries sketches in a FULL-mode transcript");
            }
        } else {
            if (!s.inputs().isEmpty() || !s.outputs().isEmpty()) {
                throw new MalformedInputException("step " + i + " carries tensor digests in a SKETCH-mode transcript");
            }
            if (s.sketches().isEmpty()) {
                throw new MalformedInputException("step " + i + " has no sketch in a SKETCH-mode transcript");
            }
            for (Sketch k : s.sketches()) {
                if (k.dimension() != header.sketchDimension()) {
                    throw new MalformedInputException("step " + i + " has a sketch of " + k.dimension()
                            + " values; the header says " + header.sketchDimension());
                }
            }
        }
    }

    public TranscriptHeader header() {
        return header;
    }

    /** The steps, unmodifiable. */
    public List<Step> steps() {
        return steps;
    }

    public DeterminismProfile profile() {
        return profile;
    }

    /** The Merkle root committing to the header and every step. */
    public Digest root() {
        return tree.root();
    }

    /** Number of Merkle leaves: steps + 1. */
    public int leafCount() {
        return tree.size();
    }

    /** Leaf hash of the header (leaf 0). */
    public Digest headerLeafHash() {
        return tree.leafHash(0);
    }

    /** Leaf hash of step {@code stepIndex} (leaf {@code stepIndex + 1}). */
    public Digest stepLeafHash(int stepIndex) {
        checkIndex(stepIndex);
        return tree.leafHash(stepIndex + 1);
    }

    /** Inclusion proof of step {@code stepIndex} against {@link #root()}. */
    public InclusionProof inclusionProof(int stepIndex) {
        checkIndex(stepIndex);
        return tree.inclusionProof(stepIndex + 1);
    }

    /** Inclusion proof of the header against {@link #root()}. */
    public InclusionProof headerInclusionProof() {
        return tree.inclusionProof(0);
    }

    /** The Merkle tree over [header, steps...], for bisection over subtrees. */
    public MerkleTree tree() {
        return tree;
    }

    private void checkIndex(int stepIndex) {
        if (stepIndex < 0 || stepIndex >= steps.size()) {
            throw new MalformedInputException("step index " + stepIndex + " is beyond the transcript's " + steps.size() + " steps");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Transcript t && header.equals(t.header) && steps.equals(t.steps) && profile.equals(t.profile);
    }

    @Override
    public int hashCode() {
        return tree.root().hashCode();
    }

    @Override
    public String toString() {
        return "Transcript[root=" + root().hex() + ", mode=" + header.mode().specName() + ", steps=" + steps.size() + "]";
    }
}
