package dev.opg.verify.generate;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.generate.Commitment;
import dev.opg.core.generate.DecoderModel;
import dev.opg.core.generate.GenerationException;
import dev.opg.core.generate.GenerationHeader;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.Generator;
import dev.opg.core.generate.KvDigest;
import dev.opg.core.generate.KvWitness;
import dev.opg.core.generate.Segment;
import dev.opg.core.merkle.MerkleTree;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.witness.WitnessTensor;
import dev.opg.verify.DisputeRefusedException;
import dev.opg.verify.DjlReference;
import dev.opg.verify.Referee;
import dev.opg.verify.TensorSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles a dispute between two generation transcripts of the same header (spec section 4.12):
 * bisection over the leaves (tokens first: a segment is a run of leaves, so the first differing
 * leaf names the first token whose commitments differ, then the step inside it), then the
 * referee re-runs that one token from the cache both parties agreed on (read from a party's KV
 * witness, checked against the agreed KV digests) and compares the disputed leaf with each
 * party's. The referee's work is one forward pass, whatever the length of the generation.
 *
 * <p>Where the disputed leaf is a block both parties ran on the same inputs, and the parties can
 * re-run the token ({@link GenerationParty#forwardPass}), the dispute descends into the block to
 * one node with the machinery of ordinary transcripts ({@link dev.opg.verify.Referee},
 * {@link dev.opg.verify.ModelParty}, {@link dev.opg.verify.Reference#descend}): see
 * {@link #settle(DecoderModel, Model, GenerationParty, GenerationParty)}.
 *
 * <p>Each bisection round asks both parties for the root of their first m leaves (an honest
 * party answers from its transcript; a consistency proof to its committed root binds the answer),
 * so the rounds are {@code ceil(log2 n)}. Here both full transcripts are in hand and the prefix
 * roots are computed from them.
 */
public final class GenerationDispute {
    private static final Logger LOG = LoggerFactory.getLogger(GenerationDispute.class);
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
     * @param node after a descent into the block {@code step}, the node step inside it where the
     *     parties' re-runs first differ (its index in the block's node-level sub-transcript), else -1
     * @param nodeName that node's name ("" without a descent)
     * @param rounds the bisection rounds over the generation's leaves (a descent's own rounds are not counted)
     * @param reason one line
     */
    public record Ruling(Party winner, long leaf, int token, int step, String stepName, int node, String nodeName, int rounds,
            String reason) {}

    private GenerationDispute() {}

    /**
     * Settles between {@code a} and {@code b}; {@code witnessA} / {@code witnessB} may be null (a
     * dispute at token 0 needs none; later ones need one that matches the agreed cache).
     *
     * @throws DisputeRefusedException if the transcripts are not two full transcripts of the same header, model and profile
     */
    public static Ruling settle(DecoderModel model, GenerationTranscript a, KvWitness witnessA, GenerationTranscript b, KvWitness witnessB) {
        return settle(model, null, GenerationParty.of(a, witnessA), GenerationParty.of(b, witnessB));
    }

    /**
     * Settles between two parties, descending into the disputed token's block where both parties'
     * leaf there is the block the referee's re-run names, reading the inputs it reads, and they
     * differ only in its outputs (spec section 4.12): the referee builds the token's agreed model
     * inputs (the prompt, the agreed tokens, the cache from a party's KV witness checked against
     * the agreed KV digests); each party re-runs the token as an ordinary transcript
     * ({@link GenerationParty#forwardPass}), which must bind to its committed segment step by step
     * (a value committed by its KV digest binds to the tensor whose KV digest it is); then the
     * {@link dev.opg.verify.Referee} settles the two forward passes against {@code onnx} on those
     * inputs, bisecting to the block and descending to one node, which it re-runs alone. Where a
     * party cannot re-run the token, or its forward pass does not bind, there is no descent: the
     * ruling is the referee's re-run of the whole token, as without {@code onnx} (the party whose
     * leaf it reproduces wins; the ruling names the block, not a node).
     *
     * @param onnx the decoder's ONNX file loaded with DJL ({@code LoadedModel.load}), the referee's
     *     model for a descent; null: no descent
     * @throws DisputeRefusedException if the transcripts are not two full transcripts of the same header, model and profile
     */
    public static Ruling settle(DecoderModel model, Model onnx, GenerationParty partyA, GenerationParty partyB) {
        GenerationTranscript a = partyA.transcript();
        GenerationTranscript b = partyB.transcript();
        KvWitness witnessA = partyA.witness();
        KvWitness witnessB = partyB.witness();
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
            return new Ruling(Party.NEITHER, leaf, -1, -1, "", -1, "", rounds, "the transcripts differ only in the end leaf; exact replay decides");
        }
        List<Digest> past = new ArrayList<>();
        for (String n : model.pastNames()) {
            past.add(token == 0 ? model.emptyCacheDigest() : a.segments().get(token - 1).record().output(n.replace("past_key_values.", "present.")));
        }
        Generator.Rerun rr = null;
        String why = null;
        KvWitness agreed = null;
        for (KvWitness w : new KvWitness[] {witnessA, witnessB}) {
            try {
                rr = new Generator(model).rerun(a.header(), a.tokens(), token, w, past);
                agreed = w;
                break;
            } catch (GenerationException e) {
                why = e.getMessage();
            }
        }
        if (rr == null) {
            throw new DisputeRefusedException("the referee cannot re-run token " + token + ": " + why + " (a party must show the agreed cache)");
        }
        Segment mine = rr.segment();
        if (onnx != null && step >= 0 && step < mine.steps().size() && a.header().granularity() != Granularity.NODE) {
            Step want = mine.steps().get(step);
            Step sa = stepOf(a, token, step);
            Step sb = stepOf(b, token, step);
            if (sa != null && sb != null && sameBlock(want, sa) && sameBlock(want, sb)) {
                Optional<Ruling> d = descend(model, onnx, partyA, partyB, token, step, want.name(), agreed, past, leaf, rounds);
                if (d.isPresent()) {
                    return d.get();
                }
            }
        }
        byte[] want = step >= 0 ? mine.steps().size() > step ? mine.steps().get(step).leafData() : null : mine.record().leafData();
        boolean aOk = want != null && Arrays.equals(want, leafOf(a, token, step));
        boolean bOk = want != null && Arrays.equals(want, leafOf(b, token, step));
        Party w = aOk && !bOk ? Party.A : bOk && !aOk ? Party.B : Party.NEITHER;
        String name = step >= 0 && step < mine.steps().size() ? mine.steps().get(step).name() : "";
        return new Ruling(w, leaf, token, step, name, -1, "", rounds, "first difference at leaf " + leaf + ": token " + token
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

    private static Step stepOf(GenerationTranscript t, int token, int step) {
        if (token >= t.segments().size()) {
            return null;
        }
        List<Step> steps = t.segments().get(token).steps();
        return step < steps.size() ? steps.get(step) : null;
    }

    /** Whether {@code s} is the block {@code want} on the same inputs (the parties may differ in its outputs only). */
    private static boolean sameBlock(Step want, Step s) {
        return s.index() == want.index() && s.name().equals(want.name()) && s.inputs().equals(want.inputs()) && s.sketches().isEmpty();
    }

    /** The descent into block {@code step} of token {@code token} (see {@link #settle(DecoderModel, Model, GenerationParty, GenerationParty)}). */
    private static Optional<Ruling> descend(DecoderModel model, Model onnx, GenerationParty partyA, GenerationParty partyB, int token, int step,
            String block, KvWitness agreed, List<Digest> past, int leaf, int rounds) {
        GenerationTranscript a = partyA.transcript();
        try (NDManager scope = model.manager().newSubManager()) {
            NDList inputs = new Generator(model).forwardInputs(scope, a.header(), a.tokens(), token, agreed, past);
            Map<Digest, WitnessTensor> given = new HashMap<>();
            for (NDArray x : inputs) {
                WitnessTensor t = WitnessTensor.of(x);
                given.put(t.digest(), t);
            }
            GenerationParty[] parties = {partyA, partyB};
            GenerationParty.ForwardPass[] fp = new GenerationParty.ForwardPass[2];
            String[] failure = new String[2];
            for (int i = 0; i < 2; i++) {
                try {
                    fp[i] = parties[i].forwardPass(token, inputs);
                    String off = binds(fp[i], parties[i].transcript(), token, TensorSource.firstOf(List.of(TensorSource.of(given),
                            fp[i].witness())));
                    if (off != null) {
                        failure[i] = "its forward pass of token " + token + " does not bind to its committed segment: " + off;
                        fp[i] = null;
                    }
                } catch (RuntimeException e) {
                    failure[i] = "cannot re-run token " + token + ": " + e.getMessage();
                    fp[i] = null;
                }
            }
            String where = "first difference at leaf " + leaf + ": token " + token + ", block " + step + " '" + block + "'; ";
            if (fp[0] == null && fp[1] == null) {
                LOG.info("neither party re-ran token {} for a descent (first: {}; second: {}); the referee's re-run of the token decides", token,
                        failure[0], failure[1]);
                return Optional.empty();
            }
            if (fp[0] == null || fp[1] == null) {
                // One side alone cannot be bisected against; the referee's own re-run of the token is the truth to hold
                // the other to (a descending party does not win by its opponent's silence).
                LOG.info("party {} did not descend into token {} block {} ({}); the referee's re-run of the token decides",
                        fp[0] == null ? "A" : "B", token, step, fp[0] == null ? failure[0] : failure[1]);
                return Optional.empty();
            }
            try (DjlReference reference = new DjlReference(onnx, model.profile(), inputs)) {
                Referee referee = new Referee(reference, TensorSource.firstOf(List.of(fp[0].witness(), fp[1].witness())));
                dev.opg.verify.Ruling r = referee.settle(fp[0].party(), fp[1].party());
                Party w = switch (r.verdict()) {
                    case FIRST_CORRECT -> Party.A;
                    case SECOND_CORRECT -> Party.B;
                    default -> Party.NEITHER;
                };
                dev.opg.verify.Ruling.Descent d = r.descent();
                int node = d == null ? -1 : Math.toIntExact(d.nodeIndex());
                String nodeName = d == null ? "" : d.nodeName();
                int blockAt = r.stepIndex() >= 0 ? Math.toIntExact(r.stepIndex()) : step;
                return Optional.of(new Ruling(w, leaf, token, blockAt, d == null ? block : d.blockName(), node, nodeName, rounds, where
                        + "both parties re-ran the token and the referee settled their forward passes: " + r.verdict() + " (" + r.reason()
                        + ")"));
            }
        }
    }

    /**
     * Why {@code fp} is not the forward pass the party committed to as segment {@code token} of
     * {@code t}, or null: the same steps (names, counts) with the same digests, where a digest the
     * segment commits as a KV digest (a cache, spec section 3.16) binds to the tensor, found by its
     * tensor digest in {@code tensors} and checked, whose KV digest it is.
     */
    static String binds(GenerationParty.ForwardPass fp, GenerationTranscript t, int token, TensorSource tensors) {
        Transcript tr = fp.transcript();
        GenerationHeader g = t.header();
        if (tr.header().granularity() != g.granularity() || (g.granularity() == Granularity.BLOCK && !tr.header().cuts().equals(g.cuts()))) {
            return "it is at " + tr.header().granularity().specName() + " with cuts " + tr.header().cuts() + ", the generation at "
                    + g.granularity().specName() + " with cuts " + g.cuts();
        }
        if (!tr.header().modelId().equals(g.modelId())) {
            return "it names model " + tr.header().modelId().hex() + ", the generation " + g.modelId().hex();
        }
        if (token >= t.segments().size()) {
            return "the generation has no token " + token;
        }
        List<Step> committed = t.segments().get(token).steps();
        if (tr.steps().size() != committed.size()) {
            return "it has " + tr.steps().size() + " steps, the segment " + committed.size();
        }
        for (int j = 0; j < committed.size(); j++) {
            Step o = tr.steps().get(j);
            Step c = committed.get(j);
            if (!o.name().equals(c.name()) || o.inputs().size() != c.inputs().size() || o.outputs().size() != c.outputs().size()
                    || !o.sketches().isEmpty()) {
                return "its step " + j + " is '" + o.name() + "' (" + o.inputs().size() + " in, " + o.outputs().size() + " out), the segment's '"
                        + c.name() + "' (" + c.inputs().size() + " in, " + c.outputs().size() + " out)";
            }
            for (int side = 0; side < 2; side++) {
                List<Digest> os = side == 0 ? o.inputs() : o.outputs();
                List<Digest> cs = side == 0 ? c.inputs() : c.outputs();
                for (int k = 0; k < os.size(); k++) {
                    if (!os.get(k).equals(cs.get(k)) && !isKvOf(tensors, os.get(k), cs.get(k))) {
                        return "step " + j + " ('" + c.name() + "') " + (side == 0 ? "input " : "output ") + k + " is " + os.get(k).hex()
                                + ", which is neither the committed " + cs.get(k).hex() + " nor a cache whose KV digest that is";
                    }
                }
            }
        }
        return null;
    }

    /** Whether the tensor with section-1 digest {@code tensor} (from {@code tensors}, checked) is a cache whose KV digest is {@code kv}. */
    private static boolean isKvOf(TensorSource tensors, Digest tensor, Digest kv) {
        TensorSource.Fetched f = TensorSource.fetch(tensors, tensor);
        if (f.corrupt() || f.tensor().shape().length != 4) {
            return false;
        }
        WitnessTensor w = f.tensor();
        return KvDigest.of(w.dtype(), w.shape(), w.buffer()).equals(kv);
    }
}
