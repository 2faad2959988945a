package dev.opg.verify.generate;

import dev.opg.core.Digest;
import dev.opg.core.generate.Commitment;
import dev.opg.core.generate.DecoderModel;
import dev.opg.core.generate.GenerationException;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.Generator;
import dev.opg.core.generate.KvWitness;
import dev.opg.core.generate.Segment;
import dev.opg.core.merkle.MerkleTree;
import dev.opg.verify.DisputeRefusedException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Settles a dispute between two generation transcripts of the same header (spec section 4.12):
 * bisection over the leaves (tokens first: a segment is a run of leaves, so the first differing
 * leaf names the first token whose commitments differ, then the step inside it), then the
 * referee re-runs that one token from the cache both parties agreed on (read from a party's KV
 * witness, checked against the agreed KV digests) and compares the disputed leaf with each
 * party's. The referee's work is one forward pass, whatever the length of the generation.
 *
 * <p>Each bisection round asks both parties for the root of their first m leaves (an honest
 * party answers from its transcript; a consistency proof to its committed root binds the answer),
 * so the rounds are {@code ceil(log2 n)}. Here both full transcripts are in hand and the prefix
 * roots are computed from them.
 */
public final class GenerationDispute {
    /** The parties. */
    public enum Party { A, B, NEITHER }

    /**
     * The ruling.
     *
     * @param winner the party whose disputed leaf is the referee's ({@code NEITHER} if both differ)
     * @param leaf the first leaf index where the transcripts differ
     * @param token the generated token whose segment holds it (-1 for the end leaf)
     * @param step the step inside the token (-1 for the token record or the end leaf)
     * @param stepName that step's name in the referee's re-run ("" for a record)
     * @param rounds the bisection rounds
     * @param reason one line
     */
    public record Ruling(Party winner, long leaf, int token, int step, String stepName, int rounds, String reason) {}

    private GenerationDispute() {}

    /**
     * Settles between {@code a} and {@code b}; {@code witnessA} / {@code witnessB} may be null (a
     * dispute at token 0 needs none; later ones need one that matches the agreed cache).
     *
     * @throws DisputeRefusedException if the transcripts are not two full transcripts of the same header, model and profile
     */
    public static Ruling settle(DecoderModel model, GenerationTranscript a, KvWitness witnessA, GenerationTranscript b, KvWitness witnessB) {
        if (a.commitment() != Commitment.FULL || b.commitment() != Commitment.FULL) {
            throw new DisputeRefusedException("a dispute bisects over leaves: both parties must present full transcripts (a compact party "
                    + "regenerates its leaves and shows they give its committed root)");
        }
        if (!Arrays.equals(a.header().leafData(), b.header().leafData()) || !a.profile().equals(b.profile())) {
            throw new DisputeRefusedException("the transcripts commit to different headers or profiles (prompt, sampling, seed, model, "
                    + "granularity); each is checked alone by exact replay, there is no common leaf to bisect to");
        }
        if (!a.header().modelId().equals(model.modelId()) || !model.profile().equals(a.profile())) {
            throw new DisputeRefusedException("the referee's model or profile is not the one both transcripts name");
        }
        if (a.root().equals(b.root())) {
            throw new DisputeRefusedException("the transcripts have the same root; there is nothing to dispute");
        }
        List<byte[]> la = a.leaves();
        List<byte[]> lb = b.leaves();
        MerkleTree ta = MerkleTree.fromLeafData(la);
        MerkleTree tb = MerkleTree.fromLeafData(lb);
        // smallest m such that the first m leaves differ: prefix roots agree below it (both start with the same header)
        int lo = 1;
        int hi = Math.min(la.size(), lb.size());
        int rounds = 0;
        if (ta.rootAt(hi).equals(tb.rootAt(hi))) {
            lo = hi; // one is a prefix of the other: the first extra leaf is disputed
        } else {
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                rounds++;
                if (ta.rootAt(mid).equals(tb.rootAt(mid))) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            lo = hi - 1;
        }
        rounds++;
        int leaf = lo; // 0-based index of the first differing leaf
        int[] where = locate(a, leaf);
        int token = where[0];
        int step = where[1];
        if (token < 0) {
            return new Ruling(Party.NEITHER, leaf, -1, -1, "", rounds, "the transcripts differ only in the end leaf; exact replay decides");
        }
        List<Digest> past = new ArrayList<>();
        for (String n : model.pastNames()) {
            past.add(token == 0 ? model.emptyCacheDigest() : a.segments().get(token - 1).record().output(n.replace("past_key_values.", "present.")));
        }
        Generator.Rerun rr = null;
        String why = null;
        for (KvWitness w : new KvWitness[] {witnessA, witnessB}) {
            try {
                rr = new Generator(model).rerun(a.header(), a.tokens(), token, w, past);
                break;
            } catch (GenerationException e) {
                why = e.getMessage();
            }
        }
        if (rr == null) {
            throw new DisputeRefusedException("the referee cannot re-run token " + token + ": " + why + " (a party must show the agreed cache)");
        }
        Segment mine = rr.segment();
        byte[] want = step >= 0 ? mine.steps().size() > step ? mine.steps().get(step).leafData() : null : mine.record().leafData();
        boolean aOk = want != null && Arrays.equals(want, leafOf(a, token, step));
        boolean bOk = want != null && Arrays.equals(want, leafOf(b, token, step));
        Party w = aOk && !bOk ? Party.A : bOk && !aOk ? Party.B : Party.NEITHER;
        String name = step >= 0 && step < mine.steps().size() ? mine.steps().get(step).name() : "";
        return new Ruling(w, leaf, token, step, name, rounds, "first difference at leaf " + leaf + ": token " + token
                + (step >= 0 ? ", step " + step + " '" + name + "'" : ", its token record") + "; the referee re-ran token " + token
                + " and agrees with " + (w == Party.NEITHER ? "neither party" : "party " + w));
    }

    /** (token, step) of leaf {@code leaf} in {@code t}; step -1 for a token record; token -1 for the header or end. */
    static int[] locate(GenerationTranscript t, int leaf) {
        int at = 1;
        for (int i = 0; i < t.segments().size(); i++) {
            Segment s = t.segments().get(i);
            if (leaf < at + s.leafCount()) {
                int k = leaf - at;
                return new int[] {i, k < s.steps().size() ? k : -1};
            }
            at += s.leafCount();
        }
        return new int[] {-1, -1};
    }

    private static byte[] leafOf(GenerationTranscript t, int token, int step) {
        if (token >= t.segments().size()) {
            return null;
        }
        Segment s = t.segments().get(token);
        if (step < 0) {
            return s.record().leafData();
        }
        return step < s.steps().size() ? s.steps().get(step).leafData() : null;
    }

    @SuppressWarnings("unused")
    private static Optional<Integer> none() {
        return Optional.empty();
    }
}
