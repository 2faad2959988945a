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
 * <p>Usage: {@code ResultsTable jmh.json RESULTS.md [gas.json]}. Measures whose benchmarks are
 * absent from the run are listed as "not run", never guessed.
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
        MICROS_BELOW
    }

    record Measure(String label, String subject, String baseline, Goal goal, double bound, String goalText) {}

    static final List<Measure> MEASURES = List.of(
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

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: ResultsTable JMH_JSON RESULTS_MD [GAS_JSON]");
        }
        Map<String, Score> scores = readScores(Path.of(args[0]));
        String gas = args.length > 2 && Files.exists(Path.of(args[2])) ? gasSection(Path.of(args[2])) : "";
        Files.writeString(Path.of(args[1]), render(scores, gas), StandardCharsets.UTF_8);
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
        StringBuilder sb = new StringBuilder();
        sb.append("| measure | value | baseline | ratio | goal | met |\n");
        sb.append("| --- | ---: | ---: | ---: | --- | --- |\n");
        for (Measure m : MEASURES) {
            Score s = scores.get(m.subject());
            Score b = m.baseline() == null ? null : scores.get(m.baseline());
            if (s == null || (m.baseline() != null && b == null)) {
                sb.append("| ").append(m.label()).append(" | not run | | | ").append(m.goalText()).append(" | |\n");
                continue;
            }
            String ratio = "";
            boolean met;
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
                default -> met = s.micros() < m.bound();
            }
            sb.append("| ").append(m.label()).append(" | ").append(time(s)).append(" | ")
                    .append(b == null ? "" : time(b)).append(" | ").append(ratio).append(" | ")
                    .append(m.goalText()).append(" | ")
                    .append(Double.isInfinite(m.bound()) ? "" : met ? "yes" : "**no**").append(" |\n");
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
