package dev.opg.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH JSON result file into {@code RESULTS.md}: each measure with its value, its ratio
 * against the baseline measured in the same run, the goal, and whether the goal is met.
 *
 * <p>Usage: {@code ResultsTable jmh.json RESULTS.md [gas.json [facts-dir [previous-RESULTS.md]]]}. The facts folder
 * holds what the benchmarks learned while running (steps per model, bytes per step; see
 * {@link Facts}). Measures whose benchmarks or facts are absent from the run are listed as
 * "not run", never guessed.
 */
public final class ResultsTable {
    private ResultsTable() {}

    /** One JMH score in microseconds per operation, keyed by "Class.method" plus its params. */
    record Score(double micros, double error) {}

    /** How a measure is judged. */
    enum Goal {
        /** subject/baseline time ratio must be at most the bound. */
        RATIO_AT_MOST,
        /** baseline/subject throughput ratio must be at least the bound. */
        THROUGHPUT_AT_LEAST,
        /** subject time in microseconds must be below the bound. */
        MICROS_BELOW,
        /**
         * subject/baseline time ratio must be at most bound / L, L the fact named by the measure
         * (e.g. a spot check of k steps against a full run of L steps).
         */
        RATIO_AT_MOST_K_OVER_L,
        /** no goal: the subject's time and, with a baseline, its ratio, for reference. */
        INFO,
        /** no goal: the value of the fact named by the measure (the subject is its unit). */
        FACT,
        /**
         * subject time must be at most bound x the node bound, the larger of the engine's time
         * with every step output exposed (the benchmark {@code extra[0]}) and the time to SHA-256
         * the bytes one prediction hashes (fact {@code extra[1]}) at the rate of
         * {@link #SHA256_RATE} on the hashing pool's cores (fact {@code cores.hashing});
         * {@code extra[2]} names the engine benchmark in the goal text.
         */
        NODE_BOUND,
        /** no goal: subject time minus baseline time (a fixed cost), in time units. */
        OVERHEAD,
        /**
         * no goal: rows per second, the fact named by the measure (rows per operation) over the
         * subject's time per operation.
         */
        ROWS_PER_SECOND,
        /**
         * baseline/subject time ratio (how many times faster the subject runs the same work, e.g.
         * on more cores) must be at least the bound; a NaN bound: no goal, the speed-up for reference.
         */
        SPEEDUP_AT_LEAST,
        /**
         * no goal: the growth of subject minus baseline from the smaller run ({@code extra[0]}
         * minus {@code extra[1]}), divided by {@code bound} (the steps added): a cost per step.
         */
        OVERHEAD_PER_STEP
    }

    /** The SHA-256 rate the node bound assumes: raw JDK SHA-256 of 1 MB, measured in the same run. */
    static final String SHA256_RATE = "HashingBenchmark.rawSha256:bytes=1048576";
    static final double SHA256_RATE_BYTES = 1048576;
    /** The fact holding how many threads opg's hashing pool had in the benchmark's fork. */
    static final String HASHING_CORES = "cores.hashing";

    /**
     * One row of the table.
     *
     * @param subject "Class.method:param=value..." (params in name order), or the unit of a FACT
     * @param baseline the benchmark the subject is set against, or null
     * @param fact the fact a RATIO_AT_MOST_K_OVER_L or FACT row reads, or null
     * @param extra what a NODE_BOUND or OVERHEAD_PER_STEP row needs besides (see {@link Goal})
     */
    record Measure(String label, String subject, String baseline, Goal goal, double bound, String goalText, String fact,
            List<String> extra) {
        Measure {
            extra = List.copyOf(extra);
        }

        Measure(String label, String subject, String baseline, Goal goal, double bound, String goalText, String fact) {
            this(label, subject, baseline, goal, bound, goalText, fact, List.of());
        }

        Measure(String label, String subject, String baseline, Goal goal, double bound, String goalText) {
            this(label, subject, baseline, goal, bound, goalText, null, List.of());
        }
    }

    /**
     * An {@link Interleaved} row: the subject half against the baseline half of the same calls
     * ({@code bound} infinite: no goal, the ratio for reference).
     */
    private static Measure paired(String label, String benchmark, String params, double bound) {
        return new Measure(label, benchmark + "#subject" + params, benchmark + "#baseline" + params, Goal.RATIO_AT_MOST, bound,
                Double.isInfinite(bound) ? "(reference)" : String.format(Locale.ROOT, "<= %.2fx", bound), null,
                List.of(PAIRED_FACT + benchmark + params));
    }

    /** The fact prefix of {@link Interleaved#writeRatios}: the median and quartiles of the pairs' own ratios. */
    static final String PAIRED_FACT = "paired.";

    /**
     * The ratio cell of an interleaved row: the ratio of the halves' sums (judged), then, where the
     * run wrote them, the median of the pairs' own ratios and its quartiles.
     */
    static String pairedRatio(double ratio, String fact) {
        String r = String.format(Locale.ROOT, "%.3fx", ratio);
        if (fact == null) {
            return r;
        }
        String[] v = fact.trim().split(" ");
        return String.format(Locale.ROOT, "%s (pairs: median %.3fx, quartiles %.3f .. %.3f, %s pairs)", r, Double.parseDouble(v[0]),
                Double.parseDouble(v[1]), Double.parseDouble(v[2]), v[3]);
    }

    /**
     * A node-granularity proving row: {@code subject} against {@code baseline} (plain), judged
     * against 1.2 x the node bound max({@code engine}, SHA-256 of fact {@code bytesFact} on the
     * hashing cores).
     */
    private static Measure nodeBound(String label, String subject, String baseline, String engine, String engineName, String bytesFact) {
        return new Measure(label, subject, baseline, Goal.NODE_BOUND, 1.2, "<= 1.2 x bound", null,
                List.of(engine, bytesFact, engineName));
    }

    private static final String[] MODELS = {"mlp", "cnn"};
    private static final String[] MODEL_NAMES = {"MNIST MLP", "small CNN"};
    private static final int[] BATCHES = {1, 32};
    private static final String[] MINILM_BATCHES = {"1", "8"};

    private static List<Measure> measures() {
        List<Measure> m = new ArrayList<>();
        for (int i = 0; i < MODELS.length; i++) {
            for (int batch : BATCHES) {
                String p = ":batch=" + batch + ":model=" + MODELS[i];
                String what = MODEL_NAMES[i] + ", batch " + batch;
                m.add(new Measure("prove FULL (block) vs plain predict, " + what, "ProvingBenchmark.opgFull" + p,
                        "ProvingBenchmark.plain" + p, Goal.RATIO_AT_MOST, 1.10, "<= 1.10x"));
                m.add(nodeBound("prove FULL (node) vs plain predict, " + what, "ProvingBenchmark.opgFullNode" + p,
                        "ProvingBenchmark.plain" + p, "ProvingBenchmark.plain" + p, "plain", MODELS[i] + ".nodeBytes.batch" + batch));
                m.add(new Measure("prove SKETCH (block) vs plain predict, " + what, "ProvingBenchmark.opgSketch" + p,
                        "ProvingBenchmark.plain" + p, Goal.RATIO_AT_MOST, 1.02, "<= 1.02x"));
            }
        }
        for (String batch : new String[] {"1", "32"}) {
            String p = ":batch=" + batch;
            String what = "Silero VAD (ONNX), batch " + batch;
            m.add(new Measure("prove FULL (block) vs plain predict, " + what, "OnnxProvingBenchmark.opgFull" + p,
                    "OnnxProvingBenchmark.plain" + p, Goal.RATIO_AT_MOST, 1.10, "<= 1.10x"));
            m.add(nodeBound("prove FULL (node) vs plain predict, " + what, "OnnxProvingBenchmark.opgFullNode" + p,
                    "OnnxProvingBenchmark.plain" + p, "OnnxProvingBenchmark.exposeAll" + p, "exposeAll", "silero.nodeBytes.batch" + batch));
            m.add(new Measure("prove SKETCH (block) vs plain predict, " + what, "OnnxProvingBenchmark.opgSketch" + p,
                    "OnnxProvingBenchmark.plain" + p, Goal.RATIO_AT_MOST, 1.02, "<= 1.02x"));
            m.add(new Measure("every node output exposed, nothing hashed, vs plain predict, " + what, "OnnxProvingBenchmark.exposeAll" + p,
                    "OnnxProvingBenchmark.plain" + p, Goal.INFO, Double.NaN, "(reference)"));
        }
        for (String batch : MINILM_BATCHES) {
            String p = ":batch=" + batch;
            String what = "MiniLM-L6 (ONNX, 128 tokens), batch " + batch;
            String plain = "MiniLmBenchmark.plain" + p;
            String plainDefault = "MiniLmBenchmark.plainDefault" + p;
            m.add(new Measure("plain with opg's session settings vs DJL's defaults, " + what, plain, plainDefault, Goal.INFO,
                    Double.NaN, "(reference)"));
            m.add(new Measure("prove FULL (output) vs plain predict, " + what, "MiniLmBenchmark.proveOutput" + p, plain,
                    Goal.RATIO_AT_MOST, 1.02, "<= 1.02x"));
            m.add(new Measure("prove FULL (block) vs plain predict, " + what, "MiniLmBenchmark.proveBlock" + p, plain,
                    Goal.RATIO_AT_MOST, 1.05, "<= 1.05x"));
            m.add(nodeBound("prove FULL (node) vs plain predict, " + what, "MiniLmBenchmark.proveNode" + p, plain,
                    "MiniLmBenchmark.exposeAll" + p, "exposeAll", "minilm.nodeBytes.batch" + batch));
            m.add(new Measure("every node output exposed, nothing hashed, vs plain predict, " + what, "MiniLmBenchmark.exposeAll" + p,
                    plain, Goal.INFO, Double.NaN, "(reference)"));
            for (String g : new String[] {"Output", "Block", "Node"}) {
                m.add(new Measure("prove FULL (" + g.toLowerCase(Locale.ROOT) + ") vs plain with DJL's defaults, " + what,
                        "MiniLmBenchmark.prove" + g + p, plainDefault, Goal.INFO, Double.NaN, "(reference)"));
            }
            m.add(new Measure("verify a block transcript (re-execution) vs plain predict, " + what, "MiniLmBenchmark.verifyBlock" + p,
                    plain, Goal.RATIO_AT_MOST, 1.10, "<= 1.10x"));
            for (String g : new String[] {"output", "block", "node"}) {
                m.add(new Measure("bytes hashed per prediction (" + g + "), " + what, "bytes", null, Goal.FACT, Double.NaN,
                        "(reference)", "minilm." + g + "Bytes.batch" + batch));
            }
        }
        for (String batch : MINILM_BATCHES) {
            String p = ":batch=" + batch;
            String what = "MiniLM-L6 (ONNX, 128 tokens), batch " + batch;
            m.add(paired("prove FULL (output) vs plain predict, interleaved, " + what, "MiniLmBenchmark.pairedOutput", p, 1.02));
            m.add(paired("prove FULL (block) vs plain predict, interleaved, " + what, "MiniLmBenchmark.pairedBlock", p, 1.05));
            m.add(paired("prove FULL (node) vs plain predict, interleaved, " + what, "MiniLmBenchmark.pairedNode", p,
                    Double.POSITIVE_INFINITY));
            m.add(paired("verify a block transcript vs plain predict, interleaved, " + what, "MiniLmBenchmark.pairedVerifyBlock", p, 1.10));
        }
        String resnet = "ResNet-18-sized CNN (DJL blocks, PyTorch, 224x224), batch 1";
        m.add(new Measure("prove FULL (block) vs plain predict, " + resnet, "ResNet18Benchmark.proveBlock", "ResNet18Benchmark.plain",
                Goal.RATIO_AT_MOST, 1.05, "<= 1.05x"));
        m.add(nodeBound("prove FULL (node) vs plain predict, " + resnet, "ResNet18Benchmark.proveNode", "ResNet18Benchmark.plain",
                "ResNet18Benchmark.plain", "plain", "resnet18.nodeBytes"));
        m.add(paired("prove FULL (block) vs plain predict, interleaved, " + resnet, "ResNet18Benchmark.pairedBlock", "", 1.05));
        m.add(paired("prove FULL (node) vs plain predict, interleaved, " + resnet, "ResNet18Benchmark.pairedNode", "",
                Double.POSITIVE_INFINITY));
        for (String g : new String[] {"block", "node"}) {
            m.add(new Measure("bytes hashed per prediction (" + g + "), " + resnet, "bytes", null, Goal.FACT, Double.NaN, "(reference)",
                    "resnet18." + g + "Bytes"));
        }
        m.addAll(SPARK);
        m.add(new Measure("transcript fixed cost per prediction (1 step of a 1-element tensor, recorded minus unrecorded)",
                "TranscriptCostBenchmark.record:steps=1", "TranscriptCostBenchmark.run:steps=1", Goal.OVERHEAD, Double.NaN, "(reference)"));
        m.add(new Measure("transcript fixed cost per step (its growth from 1 to 1,000 steps, per step added)",
                "TranscriptCostBenchmark.record:steps=1000", "TranscriptCostBenchmark.run:steps=1000", Goal.OVERHEAD_PER_STEP, 999,
                "(reference)", null, List.of("TranscriptCostBenchmark.record:steps=1", "TranscriptCostBenchmark.run:steps=1")));
        m.addAll(HASHING_AND_MERKLE);
        for (int i = 0; i < MODELS.length; i++) {
            for (int batch : BATCHES) {
                String p = ":batch=" + batch + ":model=" + MODELS[i];
                String what = MODEL_NAMES[i] + ", batch " + batch;
                m.add(new Measure("full re-execution verify vs plain predict, " + what, "VerificationBenchmark.reexecute" + p,
                        "ProvingBenchmark.plain" + p, Goal.RATIO_AT_MOST, 1.10, "<= 1.10x"));
                m.add(new Measure("spot check of 1 step vs full re-execution, " + what, "VerificationBenchmark.spotCheckOneStep" + p,
                        "VerificationBenchmark.reexecute" + p, Goal.RATIO_AT_MOST_K_OVER_L, 2, "<= 2/L", "steps." + MODELS[i]));
                m.add(new Measure("(same step checks on the caller's thread, no pool hand-off), " + what,
                        "VerificationBenchmark.spotCheckOneStepCallerThread" + p, "VerificationBenchmark.reexecute" + p,
                        Goal.RATIO_AT_MOST_K_OVER_L, 2, "<= 2/L", "steps." + MODELS[i]));
            }
        }
        // Text generation (GenerationBenchmark): 256 new tokens of each committed decoder, one operation per generation
        String gen = "GenerationBenchmark.";
        String tiny = ":model=kjv-gpt";
        String medium = ":model=kjv-gpt-medium";
        String mediumName = " (kjv-gpt-medium: 4 layers of width 192, 2.0M parameters)";
        m.add(paired("generate 256 tokens: prove FULL (block) vs plain generation, per token, interleaved (ONNX Runtime on 1 intra-op "
                + "thread in both; each generation hashes inline or on a second thread, where it measured its calling thread faster)", gen + "pairedBlock",
                tiny, 1.10));
        m.add(paired("generate 256 tokens: the same, every hash on the calling thread (no second thread) vs plain, interleaved",
                gen + "pairedBlockInline", tiny, Double.POSITIVE_INFINITY));
        m.add(paired("generate 256 tokens: plain through the block session (boundaries exposed, nothing hashed) vs plain, interleaved",
                gen + "pairedExposed", tiny, Double.POSITIVE_INFINITY));
        m.add(paired("fast check of a 256-token generation vs generating it, interleaved", gen + "pairedFast", tiny, 0.20));
        String large = ":model=" + GenerationBenchmark.LARGE;
        String largeName = " (kjv-gpt-large: 8 layers of width 512, 25.9M parameters, seeded weights)";
        for (String[] d : new String[][] {{medium, mediumName}, {large, largeName}}) {
            m.add(paired("generate 256 tokens: prove FULL (block) vs plain generation, per token, interleaved" + d[1], gen + "pairedBlock",
                    d[0], 1.10));
            m.add(paired("generate 256 tokens: the same, every hash on the calling thread vs plain, interleaved" + d[1],
                    gen + "pairedBlockInline", d[0], Double.POSITIVE_INFINITY));
            m.add(paired("generate 256 tokens: plain through the block session vs plain, interleaved" + d[1], gen + "pairedExposed", d[0],
                    Double.POSITIVE_INFINITY));
            m.add(paired("fast check of a 256-token generation vs generating it, interleaved" + d[1], gen + "pairedFast", d[0], 0.20));
        }
        // separate forks: on a shared machine their ratio swings both ways (0.77x to 1.38x seen); the interleaved rows above are judged
        m.add(new Measure("generate 256 tokens: prove FULL (block) vs plain generation", gen + "proveBlock" + tiny, gen + "plain" + tiny,
                Goal.INFO, Double.NaN, "(reference; separate forks)"));
        m.add(new Measure("generate 256 tokens: prove FULL (output) vs plain generation", gen + "proveOutput" + tiny, gen + "plain" + tiny,
                Goal.INFO, Double.NaN, "(reference)"));
        m.add(new Measure("generate 256 tokens: prove FULL (node) vs plain generation", gen + "proveNode" + tiny, gen + "plain" + tiny,
                Goal.INFO, Double.NaN, "(reference)"));
        m.add(new Measure("fast check of a 256-token generation vs generating it", gen + "verifyFast" + tiny, gen + "plain" + tiny,
                Goal.RATIO_AT_MOST, 0.20, "<= 0.2x"));
        m.add(new Measure("exact replay of a 256-token generation vs generating it", gen + "verifyExact" + tiny, gen + "plain" + tiny,
                Goal.INFO, Double.NaN, "(reference)"));
        m.add(new Measure("generate 256 tokens: prove FULL (block) vs plain generation" + mediumName, gen + "proveBlock" + medium,
                gen + "plain" + medium, Goal.INFO, Double.NaN, "(reference; separate forks)"));
        m.add(new Measure("generate 256 tokens: plain generation, one generation" + mediumName, gen + "plain" + medium, null, Goal.INFO,
                Double.NaN, "(reference)"));
        m.add(new Measure("generate 256 tokens: plain generation, one generation (kjv-gpt)", gen + "plain" + tiny, null, Goal.INFO, Double.NaN,
                "(reference)"));
        for (String g : new String[] {"block", "output", "node"}) {
            m.add(new Measure("generation, bytes per token: FULL transcript JSON (" + g + ")", "bytes", null, Goal.FACT, Double.NaN,
                    "(reference)", "generation." + g + ".fullJsonBytesPerToken"));
        }
        m.add(new Measure("generation, bytes per token: compact transcript JSON (block)", "bytes", null, Goal.FACT, Double.NaN,
                "(reference)", "generation.block.compactJsonBytesPerToken"));
        m.add(new Measure("generation, bytes per token: compact commitment (root + sketches), 256 tokens", "bytes", null, Goal.FACT,
                Double.NaN, "<= 8", "generation.compactCommitmentBytesPerToken"));
        m.add(new Measure("generation, bytes per token: FULL transcript JSON (block)" + mediumName, "bytes", null, Goal.FACT, Double.NaN,
                "(reference)", "generation.kjv-gpt-medium.block.fullJsonBytesPerToken"));
        m.add(new Measure("generation, bytes per token: FULL transcript JSON (block)" + largeName, "bytes", null, Goal.FACT, Double.NaN,
                "(reference)", "generation." + GenerationBenchmark.LARGE + ".block.fullJsonBytesPerToken"));
        // Dispute rows (DisputeBenchmark, to come) go here, after verification and before bisection.
        m.add(new Measure("bisection, two 1,000-step transcripts (vs comparing them leaf by leaf)", "BisectionBenchmark.bisect",
                "BisectionBenchmark.linearCompare", Goal.INFO, Double.NaN, "(reference)"));
        m.add(new Measure("bisection, questions asked (both parties)", "questions", null, Goal.FACT, Double.NaN,
                "<= 2 ceil(log2 1001) + 4 = 24", "bisection.queries"));
        for (String mode : new String[] {"full", "sketch"}) {
            String upper = mode.toUpperCase(java.util.Locale.ROOT);
            m.add(new Measure("transcript JSON write, 1,000 " + upper + " steps", "CodecBenchmark.write:mode=" + mode, null,
                    Goal.INFO, Double.NaN, "(reference)"));
            m.add(new Measure("transcript JSON read, 1,000 " + upper + " steps (rebuilds the tree)", "CodecBenchmark.read:mode=" + mode,
                    null, Goal.INFO, Double.NaN, "(reference)"));
            m.add(new Measure("transcript JSON size per " + upper + " step", "bytes", null, Goal.FACT, Double.NaN, "(reference)",
                    "codec." + mode + ".bytesPerStep"));
        }
        return List.copyOf(m);
    }

    /** The models of {@code SparkBenchmark} (its {@code model} param) and how the table names them. */
    private static final String[][] SPARK_MODELS = {{"mlp", "MNIST MLP (784-128-64-10, PyTorch), 4,000 digits in 4 partitions"},
            {"minilm", "MiniLM-L6 (ONNX, 128 tokens), 24 rows in 2 partitions"}};

    /**
     * opg-spark rows: throughput (rows per second) of proving and of plain Spark inference at
     * {@code local[1]} and {@code local[2]} from the two halves of {@code SparkBenchmark.paired},
     * the scaling from one to two cores, and proving against plain inference (interleaved).
     */
    private static final List<Measure> SPARK = spark();

    private static List<Measure> spark() {
        List<Measure> m = new ArrayList<>();
        for (String[] model : SPARK_MODELS) {
            String rows = "spark." + model[0] + ".rows";
            for (int cores : new int[] {1, 2}) {
                String p = ":cores=" + cores + ":model=" + model[0];
                m.add(new Measure("rows proven per second, opg-spark FULL (block), " + model[1] + ", local[" + cores + "]",
                        "SparkBenchmark.paired#subject" + p, null, Goal.ROWS_PER_SECOND, Double.NaN, "(reference)", rows));
                m.add(new Measure("rows per second, plain Spark inference, " + model[1] + ", local[" + cores + "]",
                        "SparkBenchmark.paired#baseline" + p, null, Goal.ROWS_PER_SECOND, Double.NaN, "(reference)", rows));
            }
            String one = ":cores=1:model=" + model[0];
            String two = ":cores=2:model=" + model[0];
            m.add(new Measure("scaling local[1] to local[2], opg-spark FULL (block), " + model[1], "SparkBenchmark.paired#subject" + two,
                    "SparkBenchmark.paired#subject" + one, Goal.SPEEDUP_AT_LEAST, 1.7, ">= 1.70x"));
            m.add(new Measure("scaling local[1] to local[2], plain Spark inference, " + model[1], "SparkBenchmark.paired#baseline" + two,
                    "SparkBenchmark.paired#baseline" + one, Goal.SPEEDUP_AT_LEAST, Double.NaN, "(reference)"));
            for (int cores : new int[] {1, 2}) {
                m.add(paired("prove in Spark FULL (block) vs plain Spark inference, interleaved, " + model[1] + ", local[" + cores + "]",
                        "SparkBenchmark.paired", ":cores=" + cores + ":model=" + model[0], 1.10));
            }
        }
        return List.copyOf(m);
    }

    private static final List<Measure> HASHING_AND_MERKLE = List.of(
            new Measure("tensor digest, 4 KB (direct buffer)", "HashingBenchmark.digestDirectBuffer:bytes=4096",
                    "HashingBenchmark.rawSha256:bytes=4096", Goal.THROUGHPUT_AT_LEAST, 0.80, ">= 80% of raw SHA-256"),
            new Measure("tensor digest, 1 MB (direct buffer)", "HashingBenchmark.digestDirectBuffer:bytes=1048576",
                    "HashingBenchmark.rawSha256:bytes=1048576", Goal.THROUGHPUT_AT_LEAST, 0.80, ">= 80% of raw SHA-256"),
            new Measure("tensor digest, 64 MB (direct buffer)", "HashingBenchmark.digestDirectBuffer:bytes=67108864",
                    "HashingBenchmark.rawSha256:bytes=67108864", Goal.THROUGHPUT_AT_LEAST, 0.80, ">= 80% of raw SHA-256"),
            new Measure("tensor digest, 1 MB (float[])", "HashingBenchmark.digestFloatArray:bytes=1048576",
                    "HashingBenchmark.rawSha256:bytes=1048576", Goal.THROUGHPUT_AT_LEAST, 0.80, ">= 80% of raw SHA-256"),
            new Measure("tensor digest, 64 MB (float[])", "HashingBenchmark.digestFloatArray:bytes=67108864",
                    "HashingBenchmark.rawSha256:bytes=67108864", Goal.THROUGHPUT_AT_LEAST, 0.80, ">= 80% of raw SHA-256"),
            new Measure("raw SHA-256 vs memory copy, 64 MB", "HashingBenchmark.rawSha256:bytes=67108864",
                    "HashingBenchmark.memoryCopy:bytes=67108864", Goal.RATIO_AT_MOST, Double.POSITIVE_INFINITY, "(reference)"),
            new Measure("Merkle root, 1K leaves", "MerkleBenchmark.root:leaves=1024", null, Goal.MICROS_BELOW, 1e6, "< 1 s"),
            new Measure("Merkle root, 64K leaves", "MerkleBenchmark.root:leaves=65536", null, Goal.MICROS_BELOW, 1e6, "< 1 s"),
            new Measure("Merkle root, 1M leaves", "MerkleBenchmark.root:leaves=1048576", null, Goal.MICROS_BELOW, 1e6, "< 1 s"),
            new Measure("Merkle tree with proof index, 1M leaves", "MerkleBenchmark.buildTree:leaves=1048576", null,
                    Goal.MICROS_BELOW, 1e6, "< 1 s"),
            new Measure("inclusion proof generation, 1M leaves", "MerkleBenchmark.inclusionProof:leaves=1048576", null,
                    Goal.MICROS_BELOW, 20, "< 20 us"),
            new Measure("inclusion proof check, 1M leaves", "MerkleBenchmark.verifyInclusion:leaves=1048576", null,
                    Goal.MICROS_BELOW, 20, "< 20 us"));

    /** Every row, in table order (after the lists it is built from). */
    static final List<Measure> MEASURES = measures();

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: ResultsTable JMH_JSON RESULTS_MD [GAS_JSON [FACTS_DIR [PREVIOUS_RESULTS_MD]]]");
        }
        Map<String, Score> scores = readScores(Path.of(args[0]));
        String gas = args.length > 2 && Files.exists(Path.of(args[2])) ? gasSection(Path.of(args[2])) : "";
        Map<String, String> facts = args.length > 3 ? readFacts(Path.of(args[3])) : Map.of();
        String table = render(scores, facts, gas);
        if (args.length > 4 && Files.exists(Path.of(args[4]))) {
            table = keepEarlierRows(table, Files.readString(Path.of(args[4]), StandardCharsets.UTF_8));
        }
        Files.writeString(Path.of(args[1]), table, StandardCharsets.UTF_8);
    }

    /** The mark a row kept from an earlier run carries after its measure: " (run of DATE)". */
    private static final java.util.regex.Pattern KEPT = java.util.regex.Pattern.compile(" \\(run of (\\d{4}-\\d{2}-\\d{2})\\)$");
    private static final java.util.regex.Pattern MEASURED_ON = java.util.regex.Pattern.compile("on \\d+ cores, (\\d{4}-\\d{2}-\\d{2})");

    /**
     * A run of some benchmarks only (a filter) keeps the other rows of the previous RESULTS.md:
     * each row this run did not measure ("not run") is replaced by the previous file's row for
     * the same measure, if that one was measured, with the date of the run that measured it
     * appended to its measure ("(run of 2026-12-03)"). A row's subject and baseline always come
     * from one run; rows are never recomputed from scores of different runs.
     */
    static String keepEarlierRows(String table, String previous) {
        java.util.regex.Matcher on = MEASURED_ON.matcher(previous);
        String previousDate = on.find() ? on.group(1) : "an earlier date";
        Map<String, String> earlier = new LinkedHashMap<>();
        for (String line : previous.split("\n")) {
            String label = label(line);
            if (label == null || line.startsWith("| " + cell(line, 0) + " | not run |")) {
                continue;
            }
            java.util.regex.Matcher k = KEPT.matcher(label);
            String bare = k.find() ? label.substring(0, k.start()) : label;
            String date = k.find(0) ? k.group(1) : previousDate;
            earlier.put(bare, "| " + bare + " (run of " + date + ")" + line.substring(("| " + label).length()));
        }
        StringBuilder out = new StringBuilder();
        for (String line : table.split("\n", -1)) {
            String label = label(line);
            String kept = label == null ? null : earlier.get(label);
            boolean notRun = label != null && line.startsWith("| " + label + " | not run |");
            out.append(notRun && kept != null ? kept : line).append('\n');
        }
        return out.substring(0, out.length() - 1);
    }

    /** The measure of a table row, or null for a line that is not a measure row. */
    private static String label(String line) {
        if (!line.startsWith("| ") || line.startsWith("| ---") || line.startsWith("| measure |")) {
            return null;
        }
        return cell(line, 0);
    }

    private static String cell(String line, int k) {
        String[] cells = line.substring(2).split(" \\| ", -1);
        return cells.length > k ? cells[k] : "";
    }

    /** Every fact file in {@code dir} (none if it does not exist), keyed by file name. */
    static Map<String, String> readFacts(Path dir) throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                out.put(f.getFileName().toString(), Files.readString(f, StandardCharsets.UTF_8).trim());
            }
        }
        return out;
    }

    static Map<String, Score> readScores(Path json) throws IOException {
        Map<String, Score> out = new LinkedHashMap<>();
        for (JsonNode run : new ObjectMapper().readTree(json.toFile())) {
            String name = run.get("benchmark").asText();
            name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            StringBuilder key = new StringBuilder(name);
            JsonNode params = run.get("params");
            if (params != null) {
                List<String> names = new ArrayList<>();
                params.fieldNames().forEachRemaining(names::add);
                names.sort(null);
                for (String p : names) {
                    key.append(':').append(p).append('=').append(params.get(p).asText());
                }
            }
            JsonNode m = run.get("primaryMetric");
            double factor = toMicros(m.get("scoreUnit").asText());
            double error = m.get("scoreError").isNumber() ? m.get("scoreError").asDouble() * factor : Double.NaN;
            String paramKey = key.substring(name.length());
            out.put(key.toString(), new Score(m.get("score").asDouble() * factor, error));
            JsonNode secondary = run.get("secondaryMetrics");
            if (secondary != null && secondary.has("pairs") && secondary.get("pairs").get("score").asDouble() > 0) {
                // Interleaved: subject and baseline timed apart within each call; per call = nanos / pairs
                double pairs = secondary.get("pairs").get("score").asDouble();
                for (String half : new String[] {"subject", "baseline"}) {
                    JsonNode n = secondary.get(half + "Nanos");
                    if (n != null) {
                        out.put(name + "#" + half + paramKey, new Score(n.get("score").asDouble() / pairs / 1e3, Double.NaN));
                    }
                }
            }
        }
        return out;
    }

    private static double toMicros(String unit) {
        return switch (unit) {
            case "ns/op" -> 1e-3;
            case "us/op" -> 1;
            case "ms/op" -> 1e3;
            case "s/op" -> 1e6;
            default -> throw new IllegalArgumentException("unsupported JMH score unit " + unit
                    + "; the benchmarks report average time per operation");
        };
    }

    static String render(Map<String, Score> scores, String gasSection) {
        return render(scores, Map.of(), gasSection);
    }

    static String render(Map<String, Score> scores, Map<String, String> facts, String gasSection) {
        StringBuilder sb = new StringBuilder();
        sb.append("| measure | value | baseline | ratio | goal | met |\n");
        sb.append("| --- | ---: | ---: | ---: | --- | --- |\n");
        for (Measure m : MEASURES) {
            if (m.goal() == Goal.FACT) {
                String v = facts.get(m.fact());
                sb.append("| ").append(m.label()).append(" | ").append(v == null ? "not run" : v + " " + m.subject())
                        .append(" | | | ").append(m.goalText()).append(" | |\n");
                continue;
            }
            String l = m.fact() == null ? null : facts.get(m.fact());
            Score s = scores.get(m.subject());
            Score b = m.baseline() == null ? null : scores.get(m.baseline());
            if (s == null || (m.baseline() != null && b == null) || (m.fact() != null && l == null)) {
                sb.append("| ").append(m.label()).append(" | not run | | | ").append(m.goalText()).append(" | |\n");
                continue;
            }
            if (m.goal() == Goal.OVERHEAD || m.goal() == Goal.OVERHEAD_PER_STEP) {
                sb.append(overheadRow(m, s, b, scores));
                continue;
            }
            if (m.goal() == Goal.ROWS_PER_SECOND) {
                double perSecond = Double.parseDouble(l) / (s.micros() / 1e6);
                sb.append("| ").append(m.label()).append(" | ").append(String.format(Locale.ROOT, "%.1f rows/s", perSecond))
                        .append(" | | | ").append(m.goalText()).append(" | |\n");
                continue;
            }
            String ratio = "";
            String goalText = m.goalText();
            boolean met;
            boolean judged = true;
            if (m.goal() == Goal.NODE_BOUND) {
                Score engine = scores.get(m.extra().get(0));
                Score sha = scores.get(SHA256_RATE);
                String bytes = facts.get(m.extra().get(1));
                String cores = facts.get(HASHING_CORES);
                if (engine == null || sha == null || bytes == null || cores == null) {
                    sb.append("| ").append(m.label()).append(" | ").append(time(s)).append(" | ").append(time(b))
                            .append(" | ").append(String.format(Locale.ROOT, "%.3fx", s.micros() / b.micros())).append(" | ")
                            .append(m.goalText()).append(" (bound not measured: needs ").append(m.extra().get(2))
                            .append(", HashingBenchmark and the hashed bytes) | |\n");
                    continue;
                }
                double n = Double.parseDouble(bytes);
                int c = Integer.parseInt(cores);
                double hash = n * sha.micros() / SHA256_RATE_BYTES / c;
                double boundMicros = Math.max(engine.micros(), hash);
                ratio = String.format(Locale.ROOT, "%.3fx", s.micros() / b.micros());
                goalText = String.format(Locale.ROOT, "%s = %.3fx: max(%s %.3fx, SHA-256 of %s on %d core%s %.3fx)", m.goalText(),
                        m.bound() * boundMicros / b.micros(), m.extra().get(2), engine.micros() / b.micros(), megabytes(n), c,
                        c == 1 ? "" : "s", hash / b.micros());
                met = s.micros() <= m.bound() * boundMicros;
                sb.append("| ").append(m.label()).append(" | ").append(time(s)).append(" | ").append(time(b)).append(" | ")
                        .append(ratio).append(" | ").append(goalText).append(" | ").append(met ? "yes" : "**no**").append(" |\n");
                continue;
            }
            switch (m.goal()) {
                case RATIO_AT_MOST -> {
                    double r = s.micros() / b.micros();
                    ratio = m.extra().isEmpty() ? String.format(Locale.ROOT, "%.3fx", r) : pairedRatio(r, facts.get(m.extra().get(0)));
                    met = r <= m.bound();
                }
                case SPEEDUP_AT_LEAST -> {
                    double r = b.micros() / s.micros();
                    ratio = String.format(Locale.ROOT, "%.2fx", r);
                    met = r >= m.bound();
                    judged = !Double.isNaN(m.bound());
                }
                case THROUGHPUT_AT_LEAST -> {
                    double r = b.micros() / s.micros();
                    ratio = String.format(Locale.ROOT, "%.0f%%", 100 * r);
                    met = r >= m.bound();
                }
                case RATIO_AT_MOST_K_OVER_L -> {
                    double r = s.micros() / b.micros();
                    double bound = m.bound() / Double.parseDouble(l);
                    ratio = String.format(Locale.ROOT, "%.3fx", r);
                    goalText = String.format(Locale.ROOT, "%s = %.3fx (L = %s)", m.goalText(), bound, l);
                    met = r <= bound;
                }
                case INFO -> {
                    ratio = b == null ? "" : String.format(Locale.ROOT, "%.3fx", s.micros() / b.micros());
                    met = true;
                    judged = false;
                }
                default -> met = s.micros() < m.bound();
            }
            sb.append("| ").append(m.label()).append(" | ").append(time(s)).append(" | ")
                    .append(b == null ? "" : time(b)).append(" | ").append(ratio).append(" | ")
                    .append(goalText).append(" | ")
                    .append(!judged || Double.isInfinite(m.bound()) ? "" : met ? "yes" : "**no**").append(" |\n");
        }
        return sb.append(gasSection).toString();
    }

    /** A fixed-cost row: subject minus baseline (OVERHEAD), or its growth per step added (OVERHEAD_PER_STEP). */
    private static String overheadRow(Measure m, Score s, Score b, Map<String, Score> scores) {
        double value = s.micros() - b.micros();
        String base = time(b);
        if (m.goal() == Goal.OVERHEAD_PER_STEP) {
            Score s0 = scores.get(m.extra().get(0));
            Score b0 = scores.get(m.extra().get(1));
            if (s0 == null || b0 == null) {
                return "| " + m.label() + " | not run | | | " + m.goalText() + " | |\n";
            }
            value = (value - (s0.micros() - b0.micros())) / m.bound();
            base = "";
        }
        return "| " + m.label() + " | " + time(new Score(value, Double.NaN)) + " | " + base + " |  | " + m.goalText() + " |  |\n";
    }

    private static String megabytes(double bytes) {
        return bytes >= 1e6 ? String.format(Locale.ROOT, "%.1f MB", bytes / 1e6) : String.format(Locale.ROOT, "%.1f KB", bytes / 1e3);
    }

    /** The value and its error in one unit, the one that suits the value. */
    private static String time(Score s) {
        double us = s.micros();
        double scale = us >= 1e6 ? 1e6 : us >= 1e3 ? 1e3 : 1;
        String unit = scale == 1e6 ? "s" : scale == 1e3 ? "ms" : "us";
        String value = String.format(Locale.ROOT, "%.2f", us / scale);
        String err = Double.isNaN(s.error()) ? "" : String.format(Locale.ROOT, " ± %.2f", s.error() / scale);
        return value + err + " " + unit;
    }

    private static String gasSection(Path gasJson) throws IOException {
        StringBuilder sb = new StringBuilder("\n| chain operation | gas used | gas per root | goal | met |\n| --- | ---: | ---: | --- | --- |\n");
        for (JsonNode row : new ObjectMapper().readTree(gasJson.toFile())) {
            long gas = row.get("gas").asLong();
            int roots = row.get("roots").asInt();
            boolean batch = row.get("operation").asText().startsWith("anchorBatch");
            sb.append("| ").append(row.get("operation").asText()).append(" | ").append(gas).append(" | ")
                    .append(gas / Math.max(1, roots)).append(" | ").append(batch ? "<= 60,000" : "").append(" | ")
                    .append(batch ? (gas <= 60_000 ? "yes" : "**no**") : "").append(" |\n");
        }
        return sb.toString();
    }
}
