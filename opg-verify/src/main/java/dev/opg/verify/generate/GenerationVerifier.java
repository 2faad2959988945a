package dev.opg.verify.generate;

import dev.opg.core.Digest;
import dev.opg.core.generate.Commitment;
import dev.opg.core.generate.DecoderModel;
import dev.opg.core.generate.GenerationException;
import dev.opg.core.generate.GenerationHeader;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.Generator;
import dev.opg.core.generate.KvWitness;
import dev.opg.core.generate.LogitSketch;
import dev.opg.core.generate.NamedDigest;
import dev.opg.core.generate.Sampler;
import dev.opg.core.generate.SamplingParams;
import dev.opg.core.generate.Segment;
import dev.opg.core.generate.StopReason;
import dev.opg.core.generate.TokenRecord;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.transcript.Step;
import dev.opg.verify.Verdict;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a generation transcript against the model the verifier holds (spec section 4.12). Every
 * path first derives what must hold from the model, the tokenizer and the header alone: the model
 * id and tokenizer digest, the prompt's tokens, the text of the tokens, the stop rule, and (FULL)
 * each forward pass's bound inputs (the fed token, mask and positions the verifier computes) and
 * the cache each token read being the cache the token before it wrote. Then:
 *
 * <ul>
 *   <li>{@link #exact}: generates again under the same profile and compares every leaf (bitwise);
 *   <li>{@link #fast}: one teacher-forced prefill over the prompt and the generated tokens; each
 *       token's logit sketch must be within tolerance of the verifier's and each token must be the
 *       sampler's choice from the verifier's logits (up to a near tie within the tolerance);
 *   <li>{@link #spot}: re-runs K tokens chosen at random, each from the committed cache (a KV
 *       witness checked against its KV digest), bitwise.
 * </ul>
 */
public final class GenerationVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(GenerationVerifier.class);

    private final DecoderModel model;
    private final Generator generator;

    public GenerationVerifier(DecoderModel model) {
        this.model = model;
        this.generator = new Generator(model);
    }

    /** Exact replay: the same generation under the same profile, compared leaf by leaf (both commitments: root, tokens, sketches). */
    public GenerationReport exact(GenerationTranscript t) {
        GenerationReport pre = preflight(t, "exact");
        if (pre != null) {
            return pre;
        }
        if (!model.profile().equals(t.profile())) {
            return GenerationReport.inconclusive("exact", t.root(), "the transcript was recorded under " + t.profile()
                    + "; this model runs under " + model.profile() + " (open the model under the transcript's profile, or use --fast)");
        }
        GenerationTranscript mine;
        try {
            mine = generator.replay(t.header(), null);
        } catch (GenerationException e) {
            return GenerationReport.invalid("exact", t.root(), -1, "the committed generation cannot be run: " + e.getMessage());
        }
        int n = Math.min(mine.tokens().size(), t.tokens().size());
        for (int i = 0; i < n; i++) {
            if (!mine.tokens().get(i).equals(t.tokens().get(i))) {
                return GenerationReport.invalid("exact", t.root(), i, "token " + i + " is " + t.tokens().get(i) + "; the model chooses "
                        + mine.tokens().get(i));
            }
            if (!Arrays.equals(mine.sketch(i), t.sketch(i))) {
                return GenerationReport.invalid("exact", t.root(), i, "the logit sketch of token " + i + " differs from the model's");
            }
            if (t.commitment() == Commitment.FULL && !mine.segments().get(i).equals(t.segments().get(i))) {
                return GenerationReport.invalid("exact", t.root(), i, "token " + i + ": " + firstDifference(t.segments().get(i),
                        mine.segments().get(i)));
            }
        }
        if (mine.tokens().size() != t.tokens().size()) {
            return GenerationReport.invalid("exact", t.root(), n, "the model generates " + mine.tokens().size() + " tokens ("
                    + mine.end().reason().specName() + "); the transcript has " + t.tokens().size());
        }
        if (!mine.end().equals(t.end()) || !mine.root().equals(t.root()) || mine.leafCount() != t.leafCount()) {
            return GenerationReport.invalid("exact", t.root(), -1, "the root over the model's leaves is " + mine.root().hex() + " ("
                    + mine.leafCount() + " leaves); the transcript claims " + t.root().hex() + " (" + t.leafCount() + ")");
        }
        return new GenerationReport(Verdict.VALID, "exact", t.root(), -1, "every leaf is the model's own, bit for bit ("
                + t.tokens().size() + " tokens, " + t.leafCount() + " leaves)", t.tokens().size(), 0, 0, List.of());
    }

    /** The fast check with {@link FastTolerance#DEFAULT}. */
    public GenerationReport fast(GenerationTranscript t) {
        return fast(t, FastTolerance.DEFAULT);
    }

    /** One teacher-forced prefill pass; names the first token whose sketch or sampling decision is off. */
    public GenerationReport fast(GenerationTranscript t, FastTolerance tol) {
        GenerationReport pre = preflight(t, "fast");
        if (pre != null) {
            return pre;
        }
        GenerationHeader h = t.header();
        float[][] rows;
        try {
            rows = generator.teacherForced(h.promptTokens(), t.tokens());
        } catch (GenerationException e) {
            return GenerationReport.invalid("fast", t.root(), -1, "the committed sequence cannot be run: " + e.getMessage());
        }
        double maxErr = 0;
        int k = h.sketchDimension();
        for (int i = 0; i < rows.length; i++) {
            double[] y = LogitSketch.project(rows[i], k);
            short[] c = t.sketch(i);
            for (int j = 0; j < k; j++) {
                double err = Math.abs(Float.float16ToFloat(c[j]) - y[j]);
                maxErr = Math.max(maxErr, Double.isNaN(err) ? Double.POSITIVE_INFINITY : err);
                if (!LogitSketch.within(c[j], y[j], tol.sketchAbs(), tol.sketchRel())) {
                    return new GenerationReport(Verdict.INVALID, "fast", t.root(), i, "the logit sketch of token " + i + " (value " + j + ": "
                            + Float.float16ToFloat(c[j]) + ") is not within tolerance of the model's " + y[j] + " (abs " + tol.sketchAbs()
                            + ", rel " + tol.sketchRel() + ")", i, maxErr, 0, List.of());
                }
            }
            String why = decision(rows[i], h.sampling(), h.position(i), t.tokens().get(i), tol.logit());
            if (why != null) {
                return new GenerationReport(Verdict.INVALID, "fast", t.root(), i, "token " + i + ": " + why, i, maxErr, 0, List.of());
            }
        }
        List<String> notes = new ArrayList<>(List.of("tolerance: sketch abs " + tol.sketchAbs() + " rel " + tol.sketchRel() + ", logit "
                + tol.logit(), "the root is not checked (fast compares values, not bits); exact replay checks it"));
        return new GenerationReport(Verdict.VALID, "fast", t.root(), -1, "every token is the sampler's choice from the model's logits and "
                + "every sketch is within tolerance (" + rows.length + " tokens, one prefill pass)", rows.length, maxErr, 0, notes);
    }

    /** Null if {@code committed} is the sampler's choice from {@code row}, up to a near tie within {@code logitTol}; else why not. */
    static String decision(float[] row, SamplingParams s, long position, int committed, double logitTol) {
        if (committed < 0 || committed >= row.length) {
            return "token id " + committed + " is outside the vocabulary";
        }
        int mine = Sampler.choose(row, s, position).token();
        if (mine == committed) {
            return null;
        }
        float[] favoured = new float[row.length];
        for (int i = 0; i < row.length; i++) {
            favoured[i] = (float) (i == committed ? row[i] + logitTol : row[i] - logitTol);
        }
        if (Sampler.choose(favoured, s, position).token() == committed) {
            return null; // a near tie: within the tolerance the prover may have seen either
        }
        return "the committed token " + committed + " is not the sampler's choice " + mine + " from the model's logits (logit "
                + row[committed] + " vs " + row[mine] + ", random " + Sampler.uniform(s.seed(), position) + ")";
    }

    /**
     * Spot checks: re-runs {@code k} tokens chosen uniformly at random (from {@code seed}; null for
     * a secure random source), each from the committed cache read from {@code witness}, and
     * compares the token's leaves bitwise.
     */
    public GenerationReport spot(GenerationTranscript t, int k, KvWitness witness, Long seed) {
        GenerationReport pre = preflight(t, "spot");
        if (pre != null) {
            return pre;
        }
        if (t.commitment() != Commitment.FULL) {
            return GenerationReport.inconclusive("spot", t.root(), "a compact transcript holds no leaves to spot-check; use exact or fast");
        }
        if (!model.profile().equals(t.profile())) {
            return GenerationReport.inconclusive("spot", t.root(), "the transcript was recorded under another profile; spot checks are bitwise");
        }
        int n = t.tokens().size();
        int kk = Math.min(Math.max(k, 1), n);
        Random r = seed == null ? new SecureRandom() : new Random(seed);
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(i);
        }
        java.util.Collections.shuffle(all, r);
        List<Integer> chosen = all.subList(0, kk).stream().sorted().toList();
        for (int i : chosen) {
            Segment committed = t.segments().get(i);
            List<Digest> past = new ArrayList<>();
            for (String name : model.pastNames()) {
                past.add(committed.record().input(name));
            }
            Generator.Rerun rr;
            try {
                rr = generator.rerun(t.header(), t.tokens(), i, witness, past);
            } catch (GenerationException e) {
                if (e.getMessage().contains("needs the cache")) {
                    return GenerationReport.inconclusive("spot", t.root(), e.getMessage());
                }
                return GenerationReport.invalid("spot", t.root(), i, e.getMessage());
            }
            if (!rr.segment().equals(committed)) {
                return GenerationReport.invalid("spot", t.root(), i, "token " + i + ": " + firstDifference(committed, rr.segment()));
            }
        }
        double escape = 1.0 - (double) kk / n;
        return new GenerationReport(Verdict.VALID, "spot", t.root(), -1, kk + " of " + n + " tokens re-run bitwise from the committed cache: "
                + chosen, kk, 0, 0, List.of("a transcript false in exactly one token passes with probability " + escape));
    }

    /** Where two segments of the same token first differ. */
    static String firstDifference(Segment committed, Segment mine) {
        List<Step> a = committed.steps();
        List<Step> b = mine.steps();
        for (int s = 0; s < Math.min(a.size(), b.size()); s++) {
            if (!a.get(s).equals(b.get(s))) {
                return "step " + s + " '" + b.get(s).name() + "' differs from the model's (committed '" + a.get(s).name() + "')";
            }
        }
        if (a.size() != b.size()) {
            return "the token commits " + a.size() + " steps; the model runs " + b.size();
        }
        TokenRecord x = committed.record();
        TokenRecord y = mine.record();
        if (x.token() != y.token()) {
            return "the committed token " + x.token() + " is not the model's choice " + y.token();
        }
        if (!x.inputs().equals(y.inputs())) {
            return "the forward pass's inputs differ from the model's";
        }
        if (!x.outputs().equals(y.outputs())) {
            return "the forward pass's outputs (logits or cache) differ from the model's";
        }
        return "the logit sketch differs from the model's";
    }

    /**
     * What must hold whatever the check: derived from the model, its tokenizer and the header.
     * Null when it all holds.
     */
    GenerationReport preflight(GenerationTranscript t, String check) {
        GenerationHeader h = t.header();
        Digest root = t.root();
        if (!h.modelId().equals(model.modelId())) {
            return GenerationReport.invalid(check, root, -1, "the transcript is about model " + h.modelId().hex() + "; the model given is "
                    + model.modelId().hex());
        }
        if (!h.tokenizer().equals(model.tokenizer().digest())) {
            return GenerationReport.invalid(check, root, -1, "the transcript names tokenizer " + h.tokenizer().hex()
                    + "; the model directory's tokenizer.json is " + model.tokenizer().digest().hex());
        }
        if (!model.tokenizer().encode(h.promptText()).equals(h.promptTokens())) {
            return GenerationReport.invalid(check, root, -1, "the prompt tokens " + h.promptTokens() + " are not the tokenizer's tokens of "
                    + "the prompt '" + h.promptText() + "'");
        }
        int vocab = model.vocabSize();
        for (int s : h.sampling().stopTokens()) {
            if (s >= vocab) {
                return GenerationReport.invalid(check, root, -1, "stop token " + s + " is outside the vocabulary");
            }
        }
        List<Integer> tokens = t.tokens();
        int n = tokens.size();
        for (int i = 0; i < n; i++) {
            if (tokens.get(i) >= vocab) {
                return GenerationReport.invalid(check, root, i, "token " + tokens.get(i) + " is outside the vocabulary 0.." + (vocab - 1));
            }
            if (i < n - 1 && h.sampling().stopTokens().contains(tokens.get(i))) {
                return GenerationReport.invalid(check, root, i, "token " + i + " is a stop token, yet the generation goes on");
            }
        }
        StopReason why = t.end().reason();
        int p = h.promptTokens().size();
        boolean stopLast = h.sampling().stopTokens().contains(tokens.get(n - 1));
        boolean full = n == h.sampling().maxNewTokens();
        boolean ctx = p + n - 1 >= model.maxPositions();
        StopReason expected = stopLast ? StopReason.STOP_TOKEN : full ? StopReason.LENGTH : ctx ? StopReason.CONTEXT : null;
        if (expected != why) {
            return GenerationReport.invalid(check, root, n - 1, "the generation says it stopped for '" + why.specName() + "'; after " + n
                    + " tokens the rule gives " + (expected == null ? "no stop (it ended early)" : "'" + expected.specName() + "'"));
        }
        if (!model.tokenizer().decode(tokens).equals(t.end().text())) {
            return GenerationReport.invalid(check, root, -1, "the committed text is not the tokenizer's text of the tokens");
        }
        if (h.sketchDimension() > LogitSketch.MAX_DIMENSION) {
            return GenerationReport.invalid(check, root, -1, "sketch dimension " + h.sketchDimension() + " is over the cap");
        }
        if (t.commitment() == Commitment.FULL) {
            return dataflow(t, check);
        }
        return null;
    }

    /** FULL: each forward pass's bound inputs are the ones the model is fed, and each token reads the cache the previous one wrote. */
    /** Whether {@code bound} names exactly {@code names}, in order. */
    private static boolean namesAre(List<NamedDigest> bound, List<String> names) {
        if (bound.size() != names.size()) {
            return false;
        }
        for (int i = 0; i < names.size(); i++) {
            if (!bound.get(i).name().equals(names.get(i))) {
                return false;
            }
        }
        return true;
    }

    private GenerationReport dataflow(GenerationTranscript t, String check) {
        GenerationHeader h = t.header();
        List<String> inNames = model.nodeRunner().inputNames();
        List<String> outNames = model.nodeRunner().outputNames();
        List<String> pastNames = model.pastNames();
        List<String> presentNames = model.presentNames();
        Digest empty = model.emptyCacheDigest();
        int p = h.promptTokens().size();
        int[] pastIndex = pastNames.stream().mapToInt(inNames::indexOf).toArray();
        int[] presentIndex = presentNames.stream().mapToInt(outNames::indexOf).toArray();
        for (int i = 0; i < t.segments().size(); i++) {
            TokenRecord r = t.segments().get(i).record();
            if (!namesAre(r.inputs(), inNames) || !namesAre(r.outputs(), outNames)) {
                List<String> gotIn = r.inputs().stream().map(NamedDigest::name).toList();
                List<String> gotOut = r.outputs().stream().map(NamedDigest::name).toList();
                return GenerationReport.invalid(check, t.root(), i, "token " + i + " binds inputs " + gotIn + " and outputs " + gotOut
                        + "; the model's are " + inNames + " and " + outNames);
            }
            int pastLength = i == 0 ? 0 : p + i - 1;
            long[] ids = i == 0 ? h.promptTokens().stream().mapToLong(Integer::longValue).toArray() : new long[] {t.tokens().get(i - 1)};
            long[] mask = new long[pastLength + ids.length];
            Arrays.fill(mask, 1L);
            long[] pos = new long[ids.length];
            for (int j = 0; j < pos.length; j++) {
                pos[j] = pastLength + j;
            }
            Digest[] want = {TensorDigest.ofInt64(ids, 1, ids.length), TensorDigest.ofInt64(mask, 1, mask.length),
                    TensorDigest.ofInt64(pos, 1, pos.length)};
            String[] names = {DecoderModel.INPUT_IDS, DecoderModel.ATTENTION_MASK, DecoderModel.POSITION_IDS};
            for (int j = 0; j < names.length; j++) {
                int at0 = inNames.indexOf(names[j]); // the record binds the model's inputs in order (checked above)
                if (at0 >= 0 && !want[j].equals(r.inputs().get(at0).digest())) {
                    // the pass of token i is fed token i-1: where they disagree, token i-1 is the first that may be wrong
                    int at = j == 0 && i > 0 ? i - 1 : i;
                    return GenerationReport.invalid(check, t.root(), at, "the forward pass of token " + i + " commits " + names[j]
                            + " that is not what the model is fed there (" + (i == 0 ? "the prompt" : "token " + (i - 1) + ", its position")
                            + ")");
                }
            }
            for (int c = 0; c < pastNames.size(); c++) {
                Digest read = r.inputs().get(pastIndex[c]).digest();
                Digest written = i == 0 ? empty : t.segments().get(i - 1).record().outputs().get(presentIndex[c]).digest();
                if (!read.equals(written)) {
                    return GenerationReport.invalid(check, t.root(), i, "token " + i + " reads a " + pastNames.get(c) + " that is not the "
                            + (i == 0 ? "empty cache" : "cache token " + (i - 1) + " wrote"));
                }
            }
        }
        return null;
    }
}
