package dev.opg.core.generate;

import dev.opg.core.Digest;
import dev.opg.core.merkle.ConsistencyProof;
import dev.opg.core.merkle.InclusionProof;

/**
 * What a streaming consumer receives with each token (spec section 3.19): the token, its text, the
 * transcript root at the new size, the RFC 9162 consistency proof from the previous size, and the
 * token's record leaf with its inclusion proof in the new tree. The last update of a stream
 * carries the end leaf instead ({@code token} is -1).
 *
 * @param index the generated token's index (-1 for the end)
 * @param token the token id (-1 for the end)
 * @param piece the token's text (the generated text for the end)
 * @param leaf the token record's leaf data (the end leaf's for the end)
 * @param leafIndex the leaf's index in the tree
 * @param size the tree size after this update
 * @param root the root at {@code size}
 * @param consistency the proof from the previous size to {@code size}
 * @param inclusion the proof of {@code leaf} at {@code leafIndex} in the tree of {@code size}
 */
public record StreamUpdate(int index, int token, String piece, byte[] leaf, long leafIndex, long size, Digest root,
        ConsistencyProof consistency, InclusionProof inclusion) {
    public boolean isEnd() {
        return index < 0;
    }
}
