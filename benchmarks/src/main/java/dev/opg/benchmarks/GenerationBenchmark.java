package dev.opg.benchmarks;

import dev.opg.core.generate.DecoderModel;
import dev.opg.core.generate.GenerationCodec;
import dev.opg.core.generate.GenerationRequest;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.Generator;
import dev.opg.core.generate.SamplingParams;
import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.core.transcript.Granularity;
import dev.opg.verify.generate.GenerationReport;
import dev.opg.verify.generate.GenerationVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Verifiable text generation with the committed decoders ({@code model}: opg-examples/models/kjv-gpt,
 * 2 layers of width 96, 0.34M parameters, the example and test model; kjv-gpt-medium, the same design
 * at 4 layers of width 192, 2.0M parameters, both trained by opg-examples/models/train_gpt.py; {@value #LARGE},
 * 8 layers of width 512, 25.9M parameters, made by benchmarks/run.sh: {@link #LARGE}), 256 new
 * tokens from a 3-token prompt, sampling at temperature 0.8, top-k 40, top-p 0.95, no stop token,
 * under {@code OnnxProfiles.apply(1, 1, 0)}:
 *
 * <ul>
 *   <li>{@code plain}: the same prefill and incremental decode with the KV cache, the same sampler,
 *       through the same runner at output granularity (one ONNX Runtime session exposing only the
 *       model outputs), nothing hashed or recorded: the baseline;
 *   <li>{@code proveBlock}, {@code proveNode}, {@code proveOutput}: {@code Generator.generate}, one
 *       segment per token, at each granularity. ONNX Runtime runs on the calling thread (1 intra-op
 *       thread, as in {@code plain}); this 2-core machine leaves a core free, so the generator hashes
 *       token t on a second thread while token t+1's forward pass runs ({@code Generator.pipelined});
 *   <li>{@code proveBlockInline}: {@code proveBlock} with every hash on the calling thread (no second
 *       thread), what a machine without a free core gets;
 *   <li>{@code verifyFast}: the fast check of the block transcript (one teacher-forced prefill of
 *       259 positions); {@code verifyExact}: exact replay;
 *   <li>{@code plainExposed}: {@code plain} through the block-granularity session (the block
 *       boundaries exposed by ONNX Runtime, nothing hashed): the part of the proving overhead that
 *       is exposing the boundaries;
 *   <li>{@code pairedBlock}, {@code pairedBlockInline}, {@code pairedFast}, {@code pairedExposed}:
 *       {@code proveBlock}, {@code proveBlockInline}, {@code verifyFast} and {@code plainExposed} each
 *       against {@code plain} in the same call,
 *       timed apart ({@link Interleaved}): the ratios RESULTS.md judges, robust to a load that
 *       drifts between forks.
 * </ul>
 *
 * One operation is a whole 256-token generation (or its check): per-token cost is the score / 256.
 * Bytes per token of each commitment are facts recorded by the setup (and measured in opg-verify's
 * CompactCommitmentTest).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class GenerationBenchmark {
    static final int TOKENS = 256;

    private DecoderModel decoder;
    private Generator generator;
    private Generator inline;
    private GenerationVerifier verifier;
    private GenerationRequest request;
    private List<Integer> prompt;
    private GenerationTranscript transcript;

    /** The decoder under opg-examples/models, or {@value #LARGE} (made by benchmarks/run.sh, see {@link #modelDir}). */
    @Param({"kjv-gpt", "kjv-gpt-medium", LARGE})
    public String model;

    /**
     * The same design at 8 layers of width 512 (8 heads of 64), 25.9M parameters: 103 MB of ONNX, too
     * large to commit, so {@code benchmarks/run.sh} makes it before JMH runs, with
     * {@code opg-examples/models/train_gpt.py --layers 8 --heads 8 --d-model 512 --steps 0 --out
     * benchmarks/target/models/kjv-gpt-large} (its seeded initial weights, not trained: a forward
     * pass costs the same whatever the weights hold, and so does everything proving records).
     */
    static final String LARGE = "kjv-gpt-large";

    static Path modelDir(String name) {
        String root = System.getProperty("opg.repo.root");
        String rel = (name.equals(LARGE) ? "benchmarks/target/models/" : "opg-examples/models/") + name;
        for (Path p : new Path[] {root == null ? null : Path.of(root, rel), Path.of(rel), Path.of("..", rel)}) {
            if (p != null && Files.isDirectory(p)) {
                return p;
            }
        }
        throw new IllegalStateException(rel + " not found; run from the repository root" + (name.equals(LARGE)
                ? " (benchmarks/run.sh makes it with opg-examples/models/train_gpt.py --layers 8 --heads 8 --d-model 512 --steps 0)" : ""));
    }

    /** Pairs per call of a {@code paired*} benchmark ({@link Interleaved#pairsPerCall}). */
    private int pairsPerCall = 1;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        setUp();
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        if (method.equals("pairedBlock")) {
            pairsPerCall = Interleaved.pairsPerCall(this::plain, this::proveBlock);
        } else if (method.equals("pairedBlockInline")) {
            pairsPerCall = Interleaved.pairsPerCall(this::plain, this::proveBlockInline);
        } else if (method.equals("pairedExposed")) {
            pairsPerCall = Interleaved.pairsPerCall(this::plain, this::plainExposed);
        } else if (method.equals("pairedFast")) {
            pairsPerCall = Interleaved.pairsPerCall(this::plain, this::verifyFast);
        }
    }

    /**
     * Opens the model, generates the transcript the checks check, and records the bytes per token
     * of each commitment as facts ({@link Facts}): the full transcript's JSON at each granularity,
     * the compact transcript's JSON, and the compact commitment itself (the root and the
     * per-token sketches, 32 + 2k n bytes for n tokens).
     */
    public void setUp() {
        if (model == null) {
            model = "kjv-gpt";
        }
        decoder = DecoderModel.open(modelDir(model), OnnxProfiles.apply(1, 1, 0));
        generator = new Generator(decoder);
        inline = new Generator(decoder, false);
        System.err.println(model + ": generator hashes on a thread of its own: " + generator.pipelined() + " ("
                + Runtime.getRuntime().availableProcessors() + " cores, " + decoder.profile().intraOpThreads() + " intra-op thread)");
        verifier = new GenerationVerifier(decoder);
        request = GenerationRequest.of("And God said", new SamplingParams(0.8f, 40, 0.95f, 7, TOKENS, List.of()));
        prompt = decoder.tokenizer().encode(request.prompt());
        transcript = generator.generate(request, null);
        // the example model's facts keep their names; another model's carry its name
        String factPrefix = model.equals("kjv-gpt") ? "generation." : "generation." + model + ".";
        for (Granularity g : Granularity.values()) {
            if (model.equals(LARGE) && g != Granularity.BLOCK) {
                continue; // a node-granularity generation of the large decoder takes minutes per fork: its block facts only
            }
            GenerationTranscript t = generator.generate(request.at(g), null);
            int n = t.tokens().size();
            double full = (double) GenerationCodec.encode(t).length / n;
            double compactJson = (double) GenerationCodec.encode(t.toCompact()).length / n;
            double compact = (32.0 + 2.0 * t.header().sketchDimension() * n) / n;
            Facts.put(factPrefix + g.specName() + ".fullJsonBytesPerToken", String.format(java.util.Locale.ROOT, "%.1f", full));
            Facts.put(factPrefix + g.specName() + ".compactJsonBytesPerToken", String.format(java.util.Locale.ROOT, "%.1f", compactJson));
            Facts.put(factPrefix + "compactCommitmentBytesPerToken", String.format(java.util.Locale.ROOT, "%.3f", compact));
            System.err.printf("bytes/token at %s: full JSON %.1f, compact JSON %.1f, compact commitment %.3f%n", g.specName(), full,
                    compactJson, compact);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        decoder.close();
    }

    /**
     * A paired measurement for a busy machine: plain and proved generation alternate, round after
     * round, so that load drifts hit both alike; prints the medians and their ratio.
     * {@code java -cp benchmarks/target/benchmarks.jar dev.opg.benchmarks.GenerationBenchmark [rounds [model]]}
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        GenerationBenchmark b = new GenerationBenchmark();
        b.model = args.length > 1 ? args[1] : "kjv-gpt";
        b.setUp();
        try {
            for (int i = 0; i < 3; i++) {
                b.plain();
                b.proveBlock();
            }
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            // wall-clock and this thread's CPU time (ONNX Runtime runs on the calling thread at 1/1 threads), per call; the
            // generator's hashing thread is not in the second: "cpu" is what proving costs the calling thread
            Runnable[] calls = {b::plain, b::proveBlock, b::proveBlockInline, b::proveOutput, b::verifyFast};
            String[] names = {"plain", "block", "block, hashing inline", "output", "fast check"};
            long[][] wall = new long[calls.length][rounds];
            long[][] cpu = new long[calls.length][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int c = 0; c < calls.length; c++) {
                    int k = (c + r) % calls.length; // each call follows each other one in turn
                    long w0 = System.nanoTime();
                    long c0 = mx.getCurrentThreadCpuTime();
                    calls[k].run();
                    cpu[k][r] = mx.getCurrentThreadCpuTime() - c0;
                    wall[k][r] = System.nanoTime() - w0;
                }
            }
            for (String kind : new String[] {"wall", "calling-thread cpu"}) {
                long[][] t = kind.equals("wall") ? wall : cpu;
                double plain = median(t[0]);
                StringBuilder line = new StringBuilder(String.format(java.util.Locale.ROOT, "paired (%s), %d rounds of %d tokens: plain %.3f ms/token",
                        kind, rounds, TOKENS, plain / TOKENS / 1e6));
                for (int c = 1; c < calls.length; c++) {
                    double[] ratios = new double[rounds];
                    for (int r = 0; r < rounds; r++) {
                        ratios[r] = (double) t[c][r] / t[0][r];
                    }
                    java.util.Arrays.sort(ratios);
                    line.append(String.format(java.util.Locale.ROOT, "; %s %.3f ms%s (per-round ratio median %.3f, quartiles %.3f .. %.3f)",
                            names[c], median(t[c]) / (c == calls.length - 1 ? 1 : TOKENS) / 1e6, c == calls.length - 1 ? "" : "/token",
                            ratios[rounds / 2], ratios[rounds / 4], ratios[3 * rounds / 4]));
                }
                System.out.println(line);
            }
        } finally {
            b.tearDown();
        }
    }

    private static double median(long[] v) {
        long[] c = v.clone();
        java.util.Arrays.sort(c);
        return c[c.length / 2];
    }

    @Benchmark
    public List<Integer> plain() {
        return generator.generatePlain(prompt, request.sampling());
    }

    /** {@link #plain} through the block session: the block boundaries exposed by ONNX Runtime, nothing hashed. */
    @Benchmark
    public List<Integer> plainExposed() {
        return generator.generatePlain(prompt, request.sampling(), Granularity.BLOCK, transcript.header().cuts());
    }

    @Benchmark
    public GenerationTranscript proveBlock() {
        return generator.generate(request, null);
    }

    /** {@link #proveBlock} with every hash on the calling thread. */
    @Benchmark
    public GenerationTranscript proveBlockInline() {
        return inline.generate(request, null);
    }

    @Benchmark
    public GenerationTranscript proveNode() {
        return generator.generate(request.at(Granularity.NODE), null);
    }

    @Benchmark
    public GenerationTranscript proveOutput() {
        return generator.generate(request.at(Granularity.OUTPUT), null);
    }

    @Benchmark
    public GenerationReport verifyFast() {
        GenerationReport r = verifier.fast(transcript);
        if (!r.valid()) {
            throw new IllegalStateException(r.summary());
        }
        return r;
    }

    @Benchmark
    public GenerationReport verifyExact() {
        return verifier.exact(transcript);
    }

    /** {@link #proveBlock} and {@link #plain} alternately in one call, timed apart ({@link Interleaved}). */
    @Benchmark
    public GenerationTranscript pairedBlock(Interleaved pair) {
        return pair.pairs(pairsPerCall, this::plain, this::proveBlock);
    }

    /** {@link #proveBlockInline} and {@link #plain} alternately in one call, timed apart ({@link Interleaved}). */
    @Benchmark
    public GenerationTranscript pairedBlockInline(Interleaved pair) {
        return pair.pairs(pairsPerCall, this::plain, this::proveBlockInline);
    }

    /** {@link #plainExposed} and {@link #plain} alternately in one call, timed apart ({@link Interleaved}). */
    @Benchmark
    public List<Integer> pairedExposed(Interleaved pair) {
        return pair.pairs(pairsPerCall, this::plain, this::plainExposed);
    }

    /** {@link #verifyFast} and {@link #plain} alternately in one call, timed apart ({@link Interleaved}). */
    @Benchmark
    public GenerationReport pairedFast(Interleaved pair) {
        return pair.pairs(pairsPerCall, this::plain, this::verifyFast);
    }
}
