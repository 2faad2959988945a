package dev.opg.core.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.djl.ModelRunner;
import dev.opg.core.djl.SeenArrays;
import dev.opg.core.djl.StepSink;
import dev.opg.core.merkle.AppendOnlyTree;
import dev.opg.core.merkle.ConsistencyProof;
import dev.opg.core.merkle.InclusionProof;
import dev.opg.core.tensor.DType;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates text with a {@link DecoderModel} and records it (spec section 3.16): a prefill over the
 * prompt, then one incremental forward pass per token with the KV cache, each pass run through
 * the model's {@link dev.opg.core.onnx.OnnxRunner} at the requested granularity (block: one ONNX
 * Runtime session exposing only block boundaries) and committed as one segment; every token is
 * chosen by {@link Sampler} from the committed seed and its position. Caches are committed by
 * their {@link KvDigest}, extended by the new positions only, so the hashing per token does not
 * grow with the sequence beyond what the model itself reads.
 *
 * <p>Hashing is pipelined where a core is free ({@link #Generator(DecoderModel)}): the forward
 * pass of token t+1 needs only token t and the cache, not token t's digests, so token t's values
 * are hashed and appended to the tree on a thread of the generation's own while pass t+1 runs.
 * The leaves, the root and every stream update are byte for byte those of hashing on the calling
 * thread; the arrays a pass hands to hashing stay open until it is done; an exception thrown while
 * hashing is thrown by {@code generate} itself, and the thread has ended when {@code generate}
 * returns or throws. Whether the second thread pays off is measured on each generation: 16 tokens
 * hashed inline and 16 on the thread, in alternating runs of 4, then the cheaper for the calling thread; on a
 * busy machine the second thread slows the forward pass more than it saves.
 *
 * <p>With a listener, each token is streamed once it is hashed (on a thread of its own: after the
 * next token's forward pass), in order, with the root so far and a consistency proof from the
 * previous root ({@link StreamUpdate}); the listener is called on the calling thread. Not thread-safe.
 */
public final class Generator {
    private static final Logger LOG = LoggerFactory.getLogger(Generator.class);

    private final DecoderModel model;
    /** Whether a generation hashes token t on a thread of its own while token t+1's forward pass runs. */
    private final boolean pipelined;
    /** Called on the hashing side with each token index before the token is hashed (tests inject failures). */
    IntConsumer beforeRecord = t -> {};
    /** The token from which a generation hashes inline whatever its probe found (tests switch mid-generation). */
    int inlineFrom = Integer.MAX_VALUE;
    /**
     * Tokens per probe window ({@link Probe}); 0: no probe, the lane's thread from the first token
     * on (tests of the threaded path).
     */
    int probeWindow = Probe.WINDOW;
    /** The probe of the last generation that ran one (tests read its decision). */
    Probe lastProbe;
    private KvWitness lastWitness;

    /**
     * A generator for {@code model} that hashes each token on a thread of its own, during the next
     * token's forward pass, where this machine has a core the profile's intra-op threads leave
     * free and each generation measures that to be faster; else on the calling
     * thread. The transcript is the same either way.
     */
    public Generator(DecoderModel model) {
        this(model, freeCore(model.profile().intraOpThreads()));
    }

    /**
     * A generator for {@code model} that may hash each token on a thread of its own while the next
     * token's forward pass runs ({@code pipelined}: where each generation measures that to be
     * faster), or always on the calling thread. The transcript is the same either
     * way; pipelining needs a core the engine's threads leave free to pay off.
     */
    public Generator(DecoderModel model, boolean pipelined) {
        this.model = model;
        this.pipelined = pipelined;
    }

    /** Whether a core is left free by {@code intraOpThreads} engine threads (0 or less: the engine's default, every core). */
    static boolean freeCore(int intraOpThreads) {
        int cores = Runtime.getRuntime().availableProcessors();
        return intraOpThreads > 0 && cores > intraOpThreads;
    }

    /** Whether this generator may hash on a thread of its own ({@link #Generator(DecoderModel)}). */
    public boolean pipelined() {
        return pipelined;
    }

    /** Generates for {@code request}, streaming each token to {@code listener} (may be null). */
    public GenerationTranscript generate(GenerationRequest request, Consumer<StreamUpdate> listener) {
        List<Integer> prompt = model.tokenizer().encode(request.prompt());
        List<String> cuts = request.cuts() == null && request.granularity() == Granularity.BLOCK ? model.layerCuts() : request.cuts();
        return run(request.prompt(), prompt, request.sampling(), request.granularity(), cuts, request.sketchDimension(), listener);
    }

    /**
     * Generates again what {@code header} commits to (its prompt tokens, sampling parameters,
     * granularity, cuts and sketch size), as exact replay does.
     */
    public GenerationTranscript replay(GenerationHeader header, Consumer<StreamUpdate> listener) {
        return run(header.promptText(), header.promptTokens(), header.sampling(), header.granularity(),
                header.granularity() == Granularity.BLOCK ? header.cuts() : null, header.sketchDimension(), listener);
    }

    private GenerationTranscript run(String promptText, List<Integer> prompt, SamplingParams sampling, Granularity g, List<String> cuts,
            int k, Consumer<StreamUpdate> listener) {
        if (prompt.isEmpty()) {
            throw new MalformedInputException("the prompt '" + promptText + "' has no tokens; give at least one character");
        }
        for (int s : sampling.stopTokens()) {
            if (s >= model.vocabSize()) {
                throw new MalformedInputException("stop token " + s + " is outside the vocabulary 0.." + (model.vocabSize() - 1));
            }
        }
        ModelRunner runner = model.runner(g, cuts);
        NDManager base = model.manager();
        NDManager prevScope = null;
        NDManager scope = base.newSubManager();
        Probe probe = pipelined && probeWindow > 0 ? new Probe(probeWindow) : null;
        if (probe != null) {
            lastProbe = probe;
        }
        try (HashingLane<Recorded> lane = new HashingLane<>(pipelined && probe == null)) {
            int[] ids = prompt.stream().mapToInt(Integer::intValue).toArray();
            NDList inputs = model.inputs(scope, ids, 0, null);
            List<String> committedCuts = g == Granularity.BLOCK ? runner.cuts(inputs) : List.of();
            GenerationHeader header = new GenerationHeader(g, committedCuts, model.modelId(), model.profile().digest(),
                    model.tokenizer().digest(), promptText, prompt, sampling, k);
            Recorder rec = new Recorder(header, k, listener != null);
            List<Integer> tokens = new ArrayList<>();
            int pastLength = 0;
            StopReason reason;
            Stream stream = listener == null ? null : new Stream(prompt, tokens, listener);
            Pass last;
            for (int t = 0;; t++) {
                boolean timed = probe != null && probe.times(t);
                if (timed && probe.startsRun(t)) {
                    // an inline run is timed without the lane's thread spinning beside it; a threaded one with it awake
                    if (probe.threaded(t)) {
                        lane.wake();
                    } else {
                        lane.rest();
                    }
                }
                long wall0 = timed ? System.nanoTime() : 0;
                Pass pass = forward(runner, scope, inputs, pastLength, ids.length, sampling, header.position(t));
                if (!pass.cutsMatch(committedCuts, runner)) {
                    throw new GenerationException("the block partition changed between forward passes; opg commits one partition "
                            + "per generation");
                }
                last = pass;
                int token = pass.token;
                tokens.add(token);
                if (lane.pending()) {
                    handBack(lane, stream); // token t-1, hashed during this pass
                }
                if (probe != null && t == probe.threadedFrom()) {
                    lane.goThreaded();
                } else if (probe != null && t == probe.decidedAt() && lane.threaded() && !probe.decide()) {
                    LOG.debug("tokens cost the calling thread {} us hashed on a thread of their own against {} us hashed inline; "
                            + "hashing inline from token {}", probe.threadedMicros(), probe.inlineMicros(), t);
                    lane.goInline();
                }
                if (lane.threaded() && t >= inlineFrom) {
                    lane.goInline();
                }
                int index = t;
                int past = pastLength;
                // while the probe times tokens, its inline ones are hashed here although the lane's thread is up
                boolean here = timed && !probe.threaded(t);
                if (lane.submit(() -> rec.record(pass, past, header.position(index), index), here)) {
                    handBack(lane, stream);
                }
                if (timed) {
                    probe.token(t, System.nanoTime() - wall0);
                    if (probe.lostEarly(t)) {
                        LOG.debug("the probe's tokens hashed on the lane's thread cost the caller over a quarter more than inline "
                                + "ones; hashing inline from token {}", t + 1);
                        if (lane.pending()) {
                            handBack(lane, stream); // token t, offered to the lane's thread
                        }
                        lane.goInline();
                    } else if (probe.recheckSaysInline(t)) {
                        LOG.debug("a re-check measured hashing inline cheaper than on the lane's thread; hashing inline from token {}", t + 1);
                        lane.goInline();
                    }
                }
                if (sampling.stopTokens().contains(token)) {
                    reason = StopReason.STOP_TOKEN;
                    break;
                }
                if (t + 1 >= sampling.maxNewTokens()) {
                    reason = StopReason.LENGTH;
                    break;
                }
                long position = header.position(t);
                if (position >= model.maxPositions()) {
                    reason = StopReason.CONTEXT;
                    break;
                }
                pastLength += ids.length;
                ids = new int[] {token};
                // token t-1's hashing is done; token t's (pending) reads only pass t's arrays, never the cache pass t was fed
                if (prevScope != null) {
                    prevScope.close();
                }
                prevScope = scope;
                scope = base.newSubManager();
                // this renames pass t's cache outputs to pass t+1's inputs: the pending job of token t took every
                // name it commits when pass t ran (Pass), never from the arrays
                inputs = model.inputs(scope, ids, pastLength, pass.presents);
            }
            if (lane.pending()) {
                handBack(lane, stream);
            }
            lastWitness = witness(last.presents);
            GenerationEnd end = new GenerationEnd(tokens.size(), reason, model.tokenizer().decode(tokens));
            AppendOnlyTree tree = rec.tree;
            int before = tree.size();
            tree.append(end.leafData());
            if (listener != null) {
                listener.accept(new StreamUpdate(-1, -1, end.text(), end.leafData(), tree.size() - 1, tree.size(), tree.root(),
                        tree.consistencyProof(before, tree.size()), tree.inclusionProof(tree.size() - 1, tree.size())));
            }
            GenerationTranscript tr = GenerationTranscript.fromTree(header, model.profile(), rec.segments, end, tree);
            LOG.debug("generated {} tokens ({}), root {}", tokens.size(), reason.specName(), tr.root().hex());
            return tr;
        } finally {
            // the lane is closed (its thread ended, no job running) before any scope is
            scope.close();
            if (prevScope != null) {
                prevScope.close();
            }
        }
    }

    /**
     * Whether hashing on a thread of its own pays off on this machine now, measured on the
     * generation itself: the calling thread's time per token (forward pass, hand-over, and the
     * hashing where it is inline) over {@link #WINDOW} tokens hashed inline and as many hashed on
     * the lane's thread, from token 1 on, in alternating runs of {@code window / 4} tokens: the
     * time of a forward pass drifts along a generation by more than the hashing costs (plain
     * generation on kjv-gpt-medium, medians: 641 us a token over tokens 1-16, 529 over 17-32, 586
     * over 33-64), so one window after the other measured the drift as much as the hashing; the generation
     * goes on with the cheaper, by the medians (robust to another process's bursts). A second
     * thread pays off where a core is idle; on a machine whose cores are taken (other processes,
     * a hypervisor's steal, hardware threads sharing a core) it slows the forward pass by more
     * than the hashing it takes off it (measured here under load: 668 against 583 us a token at
     * best on kjv-gpt-medium), which the calling thread's own CPU time does not show. So the
     * lane's thread sleeps through the inline runs ({@link HashingLane#rest}) instead of spinning
     * beside them: while it spun there, both kinds of run paid for it, and on a host that gave
     * this VM less than two cores the probe kept the thread at 1.95x plain generation where
     * hashing inline cost 1.29x (kjv-gpt). The first token of each run is not timed: it pays
     * the switch. Which thread hashes changes no byte of the transcript.
     */
    static final class Probe {
        static final int WINDOW = 16;
        /** How many of the lane's latest timed tokens a re-check compares an inline run with. */
        static final int RECENT = 12;
        private final int window;
        private final int run;
        private final long[] inline;
        private final long[] threaded;
        private int inlineCount;
        private int threadedCount;
        /** After the decision, with the thread kept: the lane's latest timed tokens (a ring), and the current re-check run's. */
        private final long[] recent = new long[RECENT];
        private int recentCount;
        private int recentNext;
        private final long[] recheck;
        private int recheckCount;
        /** Null until {@link #decide}; then whether the lane's thread was kept. */
        private Boolean keptThread;
        /** Whether the probe has ended: inline for good, nothing more timed. */
        private boolean over;

        Probe(int window) {
            this.window = window;
            this.run = Math.max(1, window / 4);
            this.inline = new long[window];
            this.threaded = new long[window];
            this.recheck = new long[run];
        }

        /** Whether token {@code t} starts a run (where the lane's thread is woken or let rest). */
        boolean startsRun(int t) {
            return times(t) && (t - 1) % run == 0;
        }

        /**
         * Whether timed token {@code t} is hashed on the lane's thread: the second run of tokens,
         * the fourth, ...; after the decision, with the thread kept, every token but the last run
         * of each {@link #period} (a re-check, inline).
         */
        boolean threaded(int t) {
            if (t < decidedAt()) {
                return ((t - 1) / run) % 2 == 1;
            }
            return (t - decidedAt()) % period() < period() - run;
        }

        /** Tokens between the starts of two re-checks, after the decision. */
        int period() {
            return 2 * window;
        }

        /** The first token hashed on the lane's thread (where its thread starts). */
        int threadedFrom() {
            return 1 + run;
        }

        /** The token before whose hashing the probe decides. */
        int decidedAt() {
            return 1 + 2 * window;
        }

        /**
         * Whether token {@code t}'s time is measured: tokens 1 to {@link #decidedAt} - 1 (the
         * prefill, token 0, is not), and after the decision every token while the thread is kept.
         */
        boolean times(int t) {
            if (t < 1 || over) {
                return false;
            }
            return t < decidedAt() || Boolean.TRUE.equals(keptThread);
        }

        /**
         * Records token {@code t}'s time; the first token of each run is left out where runs are
         * longer than one token: it pays the switch (waking the lane's thread, or its last job of
         * the run before), not what the run measures.
         */
        void token(int t, long nanos) {
            if (run > 1 && startsRun(t)) {
                return;
            }
            if (t < decidedAt()) {
                if (threaded(t)) {
                    threaded[threadedCount++] = nanos;
                } else {
                    inline[inlineCount++] = nanos;
                }
            } else if (threaded(t)) {
                recent[recentNext] = nanos;
                recentNext = (recentNext + 1) % RECENT;
                recentCount = Math.min(RECENT, recentCount + 1);
            } else {
                recheck[recheckCount++] = nanos;
            }
        }

        /**
         * At the last token of one of the probe's threaded runs: whether the thread has already
         * lost by a margin no later run can make up (its median over a quarter above the inline
         * one's, at least 3 tokens each: what a thread can save is the hashing, a fraction of a
         * token); if so the probe ends and the generation goes on inline. On a host that gives
         * this VM less than two cores, each probed token on the thread cost up to twice an inline
         * one here, 16 of them in a full probe.
         */
        boolean lostEarly(int t) {
            if (over || t >= decidedAt() - 1 || !threaded(t) || threaded(t + 1) || threadedCount < 3 || inlineCount < 3) {
                return false;
            }
            if (median(threaded, threadedCount) * 4 > median(inline, inlineCount) * 5) {
                keptThread = false;
                over = true;
                return true;
            }
            return false;
        }

        /** Decides, at {@link #decidedAt}: whether the lane's thread is kept (it measured faster). */
        boolean decide() {
            keptThread = threadedIsFaster();
            over = !keptThread;
            return keptThread;
        }

        /**
         * At the last token of a re-check run (after the decision, the thread kept): whether the
         * run's inline tokens cost the caller less, by the medians, than the lane's latest
         * {@value #RECENT} tokens; if so the probe ends and the generation goes on inline. A host
         * whose second core is taken later in a generation (or was free only while the probe
         * ran) would otherwise keep a thread that costs more than it saves: a generation that
         * kept it cost 756 us a token here where hashing inline cost 334.
         */
        boolean recheckSaysInline(int t) {
            if (over || t < decidedAt() || threaded(t) || !threaded(t + 1)) {
                return false;
            }
            boolean inlineWins = recheckCount > 0 && recentCount > 0 && median(recheck, recheckCount) < median(recent, recentCount);
            recheckCount = 0;
            over = inlineWins;
            return inlineWins;
        }

        boolean threadedIsFaster() {
            return median(threaded, threadedCount) < median(inline, inlineCount);
        }

        long inlineMicros() {
            return median(inline, inlineCount) / 1000;
        }

        long threadedMicros() {
            return median(threaded, threadedCount) / 1000;
        }

        private static long median(long[] v, int n) {
            long[] c = java.util.Arrays.copyOf(v, n);
            java.util.Arrays.sort(c);
            return n == 0 ? 0 : c[n / 2];
        }
    }

    /** Takes the lane's pending token back (its hashing done) and streams it. */
    private static void handBack(HashingLane<Recorded> lane, Stream stream) {
        Recorded r = lane.next();
        if (stream != null) {
            stream.deliver(r);
        }
    }

    /**
     * The hashing side of one generation: the tree and the cache digests, touched only by the
     * lane's jobs (one at a time, in token order) until the lane has handed every job back.
     */
    private final class Recorder {
        final AppendOnlyTree tree = new AppendOnlyTree();
        final List<Segment> segments = new ArrayList<>();
        private final int k;
        private final boolean proofs;
        private List<Digest> pastDigests = new ArrayList<>();

        Recorder(GenerationHeader header, int k, boolean proofs) {
            this.k = k;
            this.proofs = proofs;
            tree.append(header.leafData());
            Digest empty = model.emptyCacheDigest();
            for (int i = 0; i < 2 * model.layers(); i++) {
                pastDigests.add(empty);
            }
        }

        /** Hashes token {@code index}'s pass, appends its segment to the tree; with proofs, what its stream update carries. */
        Recorded record(Pass pass, int pastLength, long position, int index) {
            beforeRecord.accept(index);
            Outcome o = Generator.this.record(pass, pastDigests, pastLength, position, index, k);
            pastDigests = o.presentDigests;
            segments.add(o.segment);
            int before = tree.size();
            for (Step st : o.segment.steps()) {
                tree.append(Names.stepLeaf(st));
            }
            byte[] leaf = o.segment.record().leafData();
            tree.append(leaf);
            if (!proofs) {
                return new Recorded(index, pass.token, null, 0, 0, null, null, null);
            }
            int size = tree.size();
            return new Recorded(index, pass.token, leaf, size - 1, size, tree.root(), tree.consistencyProof(before, size),
                    tree.inclusionProof(size - 1, size));
        }
    }

    /** A hashed token and, where a listener streams, its place in the tree. */
    private record Recorded(int index, int token, byte[] leaf, long leafIndex, long size, Digest root, ConsistencyProof consistency,
            InclusionProof inclusion) {}

    /** Streams hashed tokens to a listener, in token order, each with its text. */
    private final class Stream {
        private final List<Integer> prompt;
        private final List<Integer> tokens;
        private final Consumer<StreamUpdate> listener;
        private String textSoFar;
        private int next;

        Stream(List<Integer> prompt, List<Integer> tokens, Consumer<StreamUpdate> listener) {
            this.prompt = prompt;
            this.tokens = tokens;
            this.listener = listener;
            this.textSoFar = model.tokenizer().decode(prompt);
        }

        void deliver(Recorded r) {
            if (r.index != next) {
                throw new IllegalStateException("token " + r.index + " hashed out of order; expected " + next);
            }
            next++;
            List<Integer> seq = new ArrayList<>(prompt);
            seq.addAll(tokens.subList(0, r.index + 1));
            String text = model.tokenizer().decode(seq);
            String piece = text.startsWith(textSoFar) ? text.substring(textSoFar.length()) : text;
            textSoFar = text;
            listener.accept(new StreamUpdate(r.index, r.token, piece, r.leaf, r.leafIndex, r.size, r.root, r.consistency, r.inclusion));
        }
    }

    /** The cache after the last forward pass of the last generation (for spot checks and disputes), or null before any. */
    public KvWitness lastWitness() {
        return lastWitness;
    }

    private KvWitness witness(NDList presents) {
        float[][] data = new float[presents.size()][];
        int positions = (int) presents.get(0).getShape().get(2);
        for (int i = 0; i < presents.size(); i++) {
            java.nio.FloatBuffer f = model.data(presents.get(i)).duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
            data[i] = new float[f.remaining()];
            f.get(data[i]);
        }
        return new KvWitness(presents.size(), model.heads(), positions, model.headDim(), data);
    }

    /**
     * Re-runs the forward pass of generated token {@code t} of the generation {@code header}
     * commits to, from the cache in {@code witness} (checked first against {@code pastDigests},
     * the KV digests the transcript commits for the cache token {@code t} read), exactly as
     * {@link #generate} ran it: the spot check's and the referee's one-token re-execution.
     *
     * @param tokens the generated tokens (token t-1 is fed; token t is drawn)
     * @throws GenerationException if the witness is not the committed cache
     */
    public Rerun rerun(GenerationHeader header, List<Integer> tokens, int t, KvWitness witness, List<Digest> pastDigests) {
        ModelRunner runner = model.runner(header.granularity(), header.granularity() == Granularity.BLOCK ? header.cuts() : null);
        int p = header.promptTokens().size();
        try (NDManager scope = model.manager().newSubManager()) {
            NDList inputs = forwardInputs(scope, header, tokens, t, witness, pastDigests);
            int fed = t == 0 ? p : 1;
            int pastLength = t == 0 ? 0 : p + t - 1;
            Outcome o = segment(runner, scope, inputs, pastLength, pastDigests, fed, header.sampling(), header.position(t), t,
                    header.sketchDimension());
            return new Rerun(o.segment, o.logits);
        }
    }

    /**
     * The model inputs of the forward pass of generated token {@code t} of the generation
     * {@code header} commits to, as {@link #generate} fed them (arrays of {@code scope}, named by
     * the model's inputs): the prompt for token 0; else token t-1 fed after the cache of the
     * positions before it, taken from {@code witness} and checked first against
     * {@code pastDigests}, the KV digests the transcript commits for the cache token t read. What
     * a dispute about token t agrees on before anything runs.
     *
     * @throws GenerationException if the witness is missing or is not the committed cache
     */
    public NDList forwardInputs(NDManager scope, GenerationHeader header, List<Integer> tokens, int t, KvWitness witness,
            List<Digest> pastDigests) {
        int p = header.promptTokens().size();
        if (t < 0 || t > tokens.size()) {
            throw new GenerationException("the generation has no token " + t + "; it has " + tokens.size());
        }
        int[] ids;
        int pastLength;
        NDList past = null;
        if (t == 0) {
            ids = header.promptTokens().stream().mapToInt(Integer::intValue).toArray();
            pastLength = 0;
        } else {
            ids = new int[] {tokens.get(t - 1)};
            pastLength = p + t - 1;
            if (witness == null) {
                throw new GenerationException("re-running token " + t + " needs the cache of the " + pastLength
                        + " positions before it (a KV witness)");
            }
            past = new NDList();
            List<String> names = model.pastNames();
            if (witness.tensors() != names.size() || witness.heads() != model.heads() || witness.headDim() != model.headDim()) {
                throw new GenerationException("the KV witness holds " + witness.tensors() + " caches of " + witness.heads() + " heads of "
                        + witness.headDim() + "; this model has " + names.size() + " of " + model.heads() + " heads of " + model.headDim());
            }
            for (int i = 0; i < names.size(); i++) {
                Digest d = witness.prefixDigest(i, pastLength);
                if (!d.equals(pastDigests.get(i))) {
                    throw new GenerationException("the witness's " + names.get(i) + " over " + pastLength + " positions has KV digest "
                            + d.hex() + "; the transcript commits " + pastDigests.get(i).hex() + " for token " + t);
                }
                past.add(scope.create(witness.prefix(i, pastLength), new ai.djl.ndarray.types.Shape(1, model.heads(), pastLength,
                        model.headDim()), ai.djl.ndarray.types.DataType.FLOAT32));
            }
        }
        return model.inputs(scope, ids, pastLength, past);
    }

    /** A re-run token: its segment and the logit row its token was drawn from. */
    public record Rerun(Segment segment, float[] logits) {}

    /** One forward pass recorded as a segment, with what the next pass needs. */
    public static final class Outcome {
        final Segment segment;
        final NDList presents;
        final List<Digest> presentDigests;
        final float[] logits;

        Outcome(Segment segment, NDList presents, List<Digest> presentDigests, float[] logits) {
            this.segment = segment;
            this.presents = presents;
            this.presentDigests = presentDigests;
            this.logits = logits;
        }

        public Segment segment() {
            return segment;
        }

        /** The cache after this pass, in {@link DecoderModel#presentNames} order (arrays of the pass's manager). */
        public NDList presents() {
            return presents;
        }

        public List<Digest> presentDigests() {
            return presentDigests;
        }

        /** The logit row the token was drawn from. */
        public float[] logits() {
            return logits.clone();
        }
    }

    /**
     * Runs one forward pass on {@code inputs} (made by {@link DecoderModel#inputs}) after a cache of
     * {@code pastLength} positions whose KV digests are {@code pastDigests}, records it as the
     * segment of token {@code index} at {@code position}, and draws the token from the last row.
     * Spot checks and the referee re-run one token this way from a cache they checked.
     */
    public Outcome segment(ModelRunner runner, NDManager scope, NDList inputs, int pastLength, List<Digest> pastDigests, int fed,
            SamplingParams sampling, long position, int index, int k) {
        return record(forward(runner, scope, inputs, pastLength, fed, sampling, position), pastDigests, pastLength, position, index, k);
    }

    /**
     * One forward pass before anything is hashed: what the next pass needs (the token, the cache)
     * and what hashing it reads. Every name the segment commits is taken here, when the pass has
     * run: the next pass's {@link DecoderModel#inputs} renames this pass's cache arrays while a
     * lane may still be hashing them. Hashing reads the data of this pass's own arrays only; the
     * cache it was fed is committed by the digests the previous pass's hashing made, never read again.
     */
    private static final class Pass {
        final NDList inputs;
        final List<String> inputNames;
        /** For each input, its index in {@link DecoderModel#pastNames}, or -1 for a value that is not a cache. */
        final int[] inputPast;
        final NDList outputs;
        final List<String> outputNames;
        final NDList presents;
        final long[][] presentShapes;
        final List<String> stepNames;
        final List<NDList[]> stepIo;
        final float[] row;
        final int token;
        final List<String> cutsSeen;

        Pass(NDList inputs, List<String> inputNames, int[] inputPast, NDList outputs, List<String> outputNames, NDList presents,
                long[][] presentShapes, List<String> stepNames, List<NDList[]> stepIo, float[] row, int token, List<String> cutsSeen) {
            this.inputs = inputs;
            this.inputNames = inputNames;
            this.inputPast = inputPast;
            this.outputs = outputs;
            this.outputNames = outputNames;
            this.presents = presents;
            this.presentShapes = presentShapes;
            this.stepNames = stepNames;
            this.stepIo = stepIo;
            this.row = row;
            this.token = token;
            this.cutsSeen = cutsSeen;
        }

        boolean cutsMatch(List<String> committed, ModelRunner runner) {
            return runner.granularity() != Granularity.BLOCK || cutsSeen.equals(committed);
        }
    }

    /** Runs one forward pass and draws its token, hashing nothing ({@link #record} does). */
    private Pass forward(ModelRunner runner, NDManager scope, NDList inputs, int pastLength, int fed, SamplingParams sampling,
            long position) {
        List<String> names = new ArrayList<>();
        List<NDList[]> io = new ArrayList<>();
        List<List<String>> partition = new ArrayList<>(1);
        StepSink sink = new StepSink() {
            @Override
            public void step(String name, NDList in, NDList out) {
                names.add(name);
                io.add(new NDList[] {in, out});
            }

            @Override
            public void partition(List<String> cuts) {
                partition.add(cuts); // the runner's own partition for this pass, no second plan lookup
            }
        };
        NDList out = model.run(runner, scope, inputs, sink);
        List<String> pastNames = model.pastNamesCached();
        List<String> inNames = new ArrayList<>(inputs.size());
        int[] inPast = new int[inputs.size()];
        for (int i = 0; i < inputs.size(); i++) {
            String n = inputs.get(i).getName();
            inNames.add(n);
            inPast[i] = pastNames.indexOf(n);
        }
        List<String> outNames = new ArrayList<>(out.size());
        for (NDArray a : out) {
            outNames.add(a.getName());
        }
        NDList presents = model.presents(out);
        long[][] shapes = new long[presents.size()][];
        for (int c = 0; c < presents.size(); c++) {
            NDArray a = presents.get(c);
            long[] shape = DecoderModel.shapeOf(a);
            if (shape.length != 4 || shape[0] != 1 || shape[1] != model.heads() || shape[3] != model.headDim()
                    || shape[2] != pastLength + fed) {
                throw new GenerationException("cache output " + a.getName() + " has shape " + java.util.Arrays.toString(shape) + "; expected [1, "
                        + model.heads() + ", " + (pastLength + fed) + ", " + model.headDim() + "] (generation.json numHeads/headDim)");
            }
            shapes[c] = shape;
        }
        NDArray logits = model.output(out, DecoderModel.LOGITS);
        float[] row = model.logitsRow(logits, fed - 1);
        Sampler.Choice choice = Sampler.choose(row, sampling, position);
        List<String> cutsSeen = runner.granularity() != Granularity.BLOCK ? List.of()
                : partition.isEmpty() ? runner.cuts(inputs) : partition.get(0);
        return new Pass(inputs, List.copyOf(inNames), inPast, out, List.copyOf(outNames), presents, shapes, names, io, row, choice.token(),
                cutsSeen);
    }

    /**
     * Hashes {@code pass} into the segment of token {@code index} at {@code position}: its inputs
     * (caches by {@code pastDigests}), its new cache positions, its outputs and its steps' values,
     * each distinct array once, and the sketch of its row.
     */
    private Outcome record(Pass pass, List<Digest> pastDigests, int pastLength, long position, int index, int k) {
        SeenArrays<Digest> known = new SeenArrays<>(); // each distinct array (by identity) hashed once
        java.util.function.Function<NDArray, Digest> digest = model::digest;
        List<NamedDigest> inDigests = new ArrayList<>(pass.inputs.size());
        for (int i = 0; i < pass.inputs.size(); i++) {
            NDArray a = pass.inputs.get(i);
            int c = pass.inputPast[i];
            Digest d = c >= 0 ? pastDigests.get(c) : model.digest(a);
            known.put(a, d);
            inDigests.add(new NamedDigest(pass.inputNames.get(i), d));
        }
        List<Digest> presentDigests = new ArrayList<>(pass.presents.size());
        for (int c = 0; c < pass.presents.size(); c++) {
            NDArray a = pass.presents.get(c);
            Digest d = KvDigest.extend(pastDigests.get(c), DType.fromDjl(a.getDataType()), pass.presentShapes[c],
                    model.data(a).duplicate().order(ByteOrder.nativeOrder()), pastLength);
            presentDigests.add(d);
            known.put(a, d);
        }
        List<NamedDigest> outDigests = new ArrayList<>(pass.outputs.size());
        for (int i = 0; i < pass.outputs.size(); i++) {
            outDigests.add(new NamedDigest(pass.outputNames.get(i), known.computeIfAbsent(pass.outputs.get(i), digest)));
        }
        List<Step> steps = new ArrayList<>(pass.stepNames.size());
        for (int s = 0; s < pass.stepNames.size(); s++) {
            NDList[] io = pass.stepIo.get(s);
            List<Digest> si = new ArrayList<>(io[0].size());
            for (NDArray a : io[0]) {
                si.add(known.computeIfAbsent(a, digest));
            }
            List<Digest> so = new ArrayList<>(io[1].size());
            for (NDArray a : io[1]) {
                so.add(known.computeIfAbsent(a, digest));
            }
            steps.add(Step.full(s, pass.stepNames.get(s), si, so));
        }
        short[] sketch = LogitSketch.sketch(pass.row, k);
        TokenRecord record = new TokenRecord(index, position, steps.size(), inDigests, outDigests, pass.token, sketch);
        return new Outcome(new Segment(steps, record), pass.presents, presentDigests, pass.row);
    }

    /**
     * The teacher-forced pass of the fast check: one prefill over the prompt and every generated
     * token but the last, at output granularity (no value inside the model exposed), returning the
     * logit row each generated token was drawn from, in order.
     */
    public float[][] teacherForced(List<Integer> prompt, List<Integer> generated) {
        if (generated.isEmpty()) {
            return new float[0][];
        }
        int n = prompt.size() + generated.size() - 1;
        int[] ids = new int[n];
        for (int i = 0; i < prompt.size(); i++) {
            ids[i] = prompt.get(i);
        }
        for (int i = 0; i < generated.size() - 1; i++) {
            ids[prompt.size() + i] = generated.get(i);
        }
        try (NDManager scope = model.manager().newSubManager()) {
            NDList out = model.run(model.runner(Granularity.OUTPUT, null), scope, model.inputs(scope, ids, 0, null), (a, b, c) -> {});
            NDArray logits = model.output(out, DecoderModel.LOGITS);
            float[][] rows = new float[generated.size()][];
            for (int t = 0; t < generated.size(); t++) {
                rows[t] = model.logitsRow(logits, prompt.size() - 1 + t);
            }
            return rows;
        }
    }

    /**
     * Plain generation with the same model, sampler and settings, without recording anything
     * (output granularity, no hashing): the baseline of the proving overhead. Returns the tokens.
     */
    public List<Integer> generatePlain(List<Integer> prompt, SamplingParams sampling) {
        return generatePlain(prompt, sampling, Granularity.OUTPUT, null);
    }

    /**
     * {@link #generatePlain(List, SamplingParams)} through the model's runner at {@code g} with
     * {@code cuts} (at block granularity: the one ONNX Runtime session that exposes the block
     * boundaries), nothing hashed or recorded: what exposing the boundaries costs by itself.
     */
    public List<Integer> generatePlain(List<Integer> prompt, SamplingParams sampling, Granularity g, List<String> cuts) {
        ModelRunner runner = model.runner(g, cuts);
        List<Integer> tokens = new ArrayList<>();
        NDManager prev = null;
        NDManager scope = model.manager().newSubManager();
        try {
            int[] ids = prompt.stream().mapToInt(Integer::intValue).toArray();
            NDList inputs = model.inputs(scope, ids, 0, null);
            int pastLength = 0;
            for (int t = 0;; t++) {
                NDList out = model.run(runner, scope, inputs, (a, b, c) -> {});
                float[] row = model.logitsRow(model.output(out, DecoderModel.LOGITS), ids.length - 1);
                int token = Sampler.choose(row, sampling, prompt.size() + t).token();
                tokens.add(token);
                if (sampling.stopTokens().contains(token) || t + 1 >= sampling.maxNewTokens() || prompt.size() + t >= model.maxPositions()) {
                    return tokens;
                }
                pastLength += ids.length;
                ids = new int[] {token};
                if (prev != null) {
                    prev.close();
                }
                prev = scope;
                scope = model.manager().newSubManager();
                inputs = model.inputs(scope, ids, pastLength, model.presents(out));
            }
        } finally {
            scope.close();
            if (prev != null) {
                prev.close();
            }
        }
    }
}
