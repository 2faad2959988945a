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
 * <p>Usage: {@code ResultsTable jmh.json RESULTS.md [gas.json [facts-dir]]}. The facts folder
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
        FACT
    }

    /**
     * One row of the table.
     *
     * @param subject "Class.method:param=value..." (params in name order), or the unit of a FACT
     * @param baseline the benchmark the subject is set against, or null
     * @param fact the fact a RATIO_AT_MOST_K_OVER_L or FACT row reads, or null
     */
    record Measure(String label, String subject, String baseline, Goal goal, double bound, String goalText, String fact) {
        Measure(String label, String subject, String baseline, Goal goal, double bound, String goalText) {
            this(label, subject, baseline, goal, bound, goalText, null);
        }
    }

    private static final String[] MODELS = {"mlp", "cnn"};
    private static final String[] MODEL_NAMES = {"MNIST MLP", "small CNN"};
    private static final int[] BATCHES = {1, 32};

    private static List<Measure> measures() {
        List<Measure> m = new ArrayList<>();
        for (int i = 0; i < MODELS.length; i++) {
            for (int batch : BATCHES) {
                String p = ":batch=" + batch + ":model=" + MODELS[i];
                String what = MODEL_NAMES[i] + ", batch " + batch;
                m.add(new Measure("prove FULL vs plain predict, " + what, "ProvingBenchmark.opgFull" + p,
                        "ProvingBenchmark.plain" + p, Goal.RATIO_AT_MOST, 1.10, "<= 1.10x"));
                m.add(new Measure("prove SKETCH vs plain predict, " + what, "ProvingBenchmark.opgSketch" + p,
                        "ProvingBenchmark.plain" + p, Goal.RATIO_AT_MOST, 1.02, "<= 1.02x"));
            }
        }
        for (String batch : new String[] {"1", "32"}) {
            String p = ":batch=" + batch;
            m.add(new Measure("prove FULL vs plain predict, Silero VAD (ONNX), batch " + batch, "OnnxProvingBenchmark.opgFull" + p,
                    "OnnxProvingBenchmark.plain" + p, Goal.RATIO_AT_MOST, 1.10, "<= 1.10x"));
            m.add(new Measure("prove SKETCH vs plain predict, Silero VAD (ONNX), batch " + batch, "OnnxProvingBenchmark.opgSketch" + p,
                    "OnnxProvingBenchmark.plain" + p, Goal.RATIO_AT_MOST, 1.02, "<= 1.02x"));
        }
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
            throw new IllegalArgumentException("usage: ResultsTable JMH_JSON RESULTS_MD [GAS_JSON [FACTS_DIR]]");
        }
        Map<String, Score> scores = readScores(Path.of(args[0]));
        String gas = args.length > 2 && Files.exists(Path.of(args[2])) ? gasSection(Path.of(args[2])) : "";
        Map<String, String> facts = args.length > 3 ? readFacts(Path.of(args[3])) : Map.of();
        Files.writeString(Path.of(args[1]), render(scores, facts, gas), StandardCharsets.UTF_8);
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
            out.put(key.toString(), new Score(m.get("score").asDouble() * factor, error));
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
            String ratio = "";
            String goalText = m.goalText();
            boolean met;
            boolean judged = true;
            switch (m.goal()) {
                case RATIO_AT_MOST -> {
                    double r = s.micros() / b.micros();
                    ratio = String.format(Locale.ROOT, "%.3fx", r);
                    met = r <= m.bound();
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
