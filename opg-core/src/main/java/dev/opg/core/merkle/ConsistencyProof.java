package dev.opg.core.merkle;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import java.util.List;

/** An RFC 9162 consistency proof that the tree of {@code firstSize} leaves is a prefix of the tree of {@code secondSize}. */
public record ConsistencyProof(long firstSize, long secondSize, List<Digest> path) {
    public ConsistencyProof {
        if (firstSize < 0 || secondSize < firstSize) {
            throw new MalformedInputException("consistency sizes must satisfy 0 <= first <= second; got "
                    + firstSize + " and " + secondSize);
        }
        path = List.copyOf(path);
    }

    /** See {@link MerkleProofs#verifyConsistency}. */
    public boolean verify(Digest firstRoot, Digest secondRoot) {
        return MerkleProofs.verifyConsistency(firstSize, secondSize, path, firstRoot, secondRoot);
    }
}
