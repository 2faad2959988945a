package dev.opg.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsTableTest {
    @TempDir
    Path dir;

    @Test
    void readsJmhJsonConvertsUnitsAndJudgesEachGoal() throws Exception {
        Path json = dir.resolve("jmh.json");
        Files.writeString(json, """
                [
                 {"benchmark":"dev.opg.benchmarks.HashingBenchmark.rawSha256","params":{"bytes":"1048576"},
                  "primaryMetric":{"score":500.0,"scoreError":5.0,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.HashingBenchmark.digestDirectBuffer","params":{"bytes":"1048576"},
                  "primaryMetric":{"score":0.55,"scoreError":0.01,"scoreUnit":"ms/op"}},
                 {"benchmark":"dev.opg.benchmarks.HashingBenchmark.digestFloatArray","params":{"bytes":"1048576"},
                  "primaryMetric":{"score":700.0,"scoreError":"NaN","scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.MerkleBenchmark.root","params":{"leaves":"1048576"},
                  "primaryMetric":{"score":1.5,"scoreError":0.1,"scoreUnit":"s/op"}}
                ]""");
        Map<String, ResultsTable.Score> scores = ResultsTable.readScores(json);
        assertEquals(550.0, scores.get("HashingBenchmark.digestDirectBuffer:bytes=1048576").micros(), 1e-9);
        String table = ResultsTable.render(scores, "");
        assertTrue(table.contains("| tensor digest, 1 MB (direct buffer) | 550.00 ± 10.00 us | 500.00 ± 5.00 us | 91% | >= 80% of raw SHA-256 | yes |"), table);
        assertTrue(table.contains("| tensor digest, 1 MB (float[]) | 700.00 us | 500.00 ± 5.00 us | 71% | >= 80% of raw SHA-256 | **no** |"), table);
        assertTrue(table.contains("| Merkle root, 1M leaves | 1.50 ± 0.10 s |  |  | < 1 s | **no** |"), table);
        assertTrue(table.contains("| Merkle root, 1K leaves | not run |"), table);
    }

    @Test
    void provingAndVerificationRatiosAreJudgedAgainstTheirBaselines() throws Exception {
        Path json = dir.resolve("jmh.json");
        Files.writeString(json, """
                [
                 {"benchmark":"dev.opg.benchmarks.ProvingBenchmark.plain","params":{"model":"cnn","batch":"1"},
                  "primaryMetric":{"score":200.0,"scoreError":2.0,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.ProvingBenchmark.opgFull","params":{"model":"cnn","batch":"1"},
                  "primaryMetric":{"score":210.0,"scoreError":2.0,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.ProvingBenchmark.opgSketch","params":{"model":"cnn","batch":"1"},
                  "primaryMetric":{"score":250.0,"scoreError":2.0,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.VerificationBenchmark.reexecute","params":{"model":"cnn","batch":"1"},
                  "primaryMetric":{"score":240.0,"scoreError":2.0,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.VerificationBenchmark.spotCheckOneStep","params":{"model":"cnn","batch":"1"},
                  "primaryMetric":{"score":48.0,"scoreError":1.0,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.VerificationBenchmark.reexecute","params":{"model":"mlp","batch":"1"},
                  "primaryMetric":{"score":100.0,"scoreError":1.0,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.VerificationBenchmark.spotCheckOneStep","params":{"model":"mlp","batch":"1"},
                  "primaryMetric":{"score":30.0,"scoreError":1.0,"scoreUnit":"us/op"}}
                ]""");
        Map<String, ResultsTable.Score> scores = ResultsTable.readScores(json);
        String table = ResultsTable.render(scores, Map.of("steps.cnn", "8", "steps.mlp", "5"), "");
        assertTrue(table.contains("| prove FULL (block) vs plain predict, small CNN, batch 1 | 210.00 ± 2.00 us | 200.00 ± 2.00 us | 1.050x | <= 1.10x | yes |"), table);
        assertTrue(table.contains("| prove SKETCH (block) vs plain predict, small CNN, batch 1 | 250.00 ± 2.00 us | 200.00 ± 2.00 us | 1.250x | <= 1.02x | **no** |"), table);
        assertTrue(table.contains("| full re-execution verify vs plain predict, small CNN, batch 1 | 240.00 ± 2.00 us | 200.00 ± 2.00 us | 1.200x | <= 1.10x | **no** |"), table);
        // 48 / 240 = 0.2 <= 2/8; 30 / 100 = 0.3 <= 2/5
        assertTrue(table.contains("| spot check of 1 step vs full re-execution, small CNN, batch 1 | 48.00 ± 1.00 us | 240.00 ± 2.00 us | 0.200x | <= 2/L = 0.250x (L = 8) | yes |"), table);
        assertTrue(table.contains("| spot check of 1 step vs full re-execution, MNIST MLP, batch 1 | 30.00 ± 1.00 us | 100.00 ± 1.00 us | 0.300x | <= 2/L = 0.400x (L = 5) | yes |"), table);
        assertTrue(table.contains("| prove FULL (block) vs plain predict, MNIST MLP, batch 32 | not run |"), table);
        assertTrue(table.contains("| prove FULL (block) vs plain predict, Silero VAD (ONNX), batch 1 | not run |"), table);
    }

    @Test
    void spotCheckWithoutItsStepCountIsNotJudged() throws Exception {
        Path json = dir.resolve("jmh.json");
        Files.writeString(json, """
                [
                 {"benchmark":"dev.opg.benchmarks.VerificationBenchmark.reexecute","params":{"model":"cnn","batch":"32"},
                  "primaryMetric":{"score":240.0,"scoreError":2.0,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.VerificationBenchmark.spotCheckOneStep","params":{"model":"cnn","batch":"32"},
                  "primaryMetric":{"score":200.0,"scoreError":1.0,"scoreUnit":"us/op"}}
                ]""");
        String table = ResultsTable.render(ResultsTable.readScores(json), Map.of(), "");
        assertTrue(table.contains("| spot check of 1 step vs full re-execution, small CNN, batch 32 | not run |"), table);
        String judged = ResultsTable.render(ResultsTable.readScores(json), Map.of("steps.cnn", "8"), "");
        assertTrue(judged.contains("| 0.833x | <= 2/L = 0.250x (L = 8) | **no** |"), judged);
    }

    @Test
    void codecAndBisectionRowsShowTimesAndFactsWithoutJudging() throws Exception {
        Path json = dir.resolve("jmh.json");
        Files.writeString(json, """
                [
                 {"benchmark":"dev.opg.benchmarks.BisectionBenchmark.bisect","primaryMetric":{"score":15.0,"scoreError":1.0,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.BisectionBenchmark.linearCompare","primaryMetric":{"score":12.0,"scoreError":1.0,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.CodecBenchmark.write","params":{"mode":"full"},
                  "primaryMetric":{"score":0.36,"scoreError":0.01,"scoreUnit":"ms/op"}}
                ]""");
        Path facts = dir.resolve("facts");
        Files.createDirectories(facts);
        Files.writeString(facts.resolve("codec.full.bytesPerStep"), "222\n");
        Files.writeString(facts.resolve("bisection.queries"), "22");
        Path out = dir.resolve("RESULTS.md");
        ResultsTable.main(new String[] {json.toString(), out.toString(), dir.resolve("no-gas.json").toString(), facts.toString()});
        String md = Files.readString(out);
        assertTrue(md.contains("| bisection, two 1,000-step transcripts (vs comparing them leaf by leaf) | 15.00 ± 1.00 us | 12.00 ± 1.00 us | 1.250x | (reference) |  |"), md);
        assertTrue(md.contains("| bisection, questions asked (both parties) | 22 questions | | | <= 2 ceil(log2 1001) + 4 = 24 | |"), md);
        assertTrue(md.contains("| transcript JSON write, 1,000 FULL steps | 360.00 ± 10.00 us |  |  | (reference) |  |"), md);
        assertTrue(md.contains("| transcript JSON size per FULL step | 222 bytes | | | (reference) | |"), md);
        assertTrue(md.contains("| transcript JSON size per SKETCH step | not run |"), md);
    }

    @Test
    void nodeRowsAreJudgedAgainstTheirBoundFromTheEngineAndTheHashingRate() throws Exception {
        Path json = dir.resolve("jmh.json");
        // plain 40 ms, every node exposed 50 ms, SHA-256 at 0.5 ms per MiB, 90 MiB hashed on 1 core = 45 ms:
        // bound = max(50, 45) = 50 ms = 1.25x plain; 1.2 x bound = 60 ms
        Files.writeString(json, """
                [
                 {"benchmark":"dev.opg.benchmarks.MiniLmBenchmark.plain","params":{"batch":"1"},
                  "primaryMetric":{"score":40.0,"scoreError":1.0,"scoreUnit":"ms/op"}},
                 {"benchmark":"dev.opg.benchmarks.MiniLmBenchmark.plainDefault","params":{"batch":"1"},
                  "primaryMetric":{"score":32.0,"scoreError":1.0,"scoreUnit":"ms/op"}},
                 {"benchmark":"dev.opg.benchmarks.MiniLmBenchmark.exposeAll","params":{"batch":"1"},
                  "primaryMetric":{"score":50.0,"scoreError":1.0,"scoreUnit":"ms/op"}},
                 {"benchmark":"dev.opg.benchmarks.MiniLmBenchmark.proveNode","params":{"batch":"1"},
                  "primaryMetric":{"score":58.0,"scoreError":1.0,"scoreUnit":"ms/op"}},
                 {"benchmark":"dev.opg.benchmarks.MiniLmBenchmark.proveBlock","params":{"batch":"1"},
                  "primaryMetric":{"score":44.0,"scoreError":1.0,"scoreUnit":"ms/op"}},
                 {"benchmark":"dev.opg.benchmarks.HashingBenchmark.rawSha256","params":{"bytes":"1048576"},
                  "primaryMetric":{"score":500.0,"scoreError":5.0,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.ResNet18Benchmark.plain",
                  "primaryMetric":{"score":50.0,"scoreError":1.0,"scoreUnit":"ms/op"}},
                 {"benchmark":"dev.opg.benchmarks.ResNet18Benchmark.proveNode",
                  "primaryMetric":{"score":70.0,"scoreError":1.0,"scoreUnit":"ms/op"}}
                ]""");
        Map<String, String> facts = Map.of("minilm.nodeBytes.batch1", String.valueOf(90L * 1048576), "cores.hashing", "1",
                "minilm.blockBytes.batch1", "1379840", "resnet18.nodeBytes", String.valueOf(20L * 1048576));
        String table = ResultsTable.render(ResultsTable.readScores(json), facts, "");
        assertTrue(table.contains("| prove FULL (node) vs plain predict, MiniLM-L6 (ONNX, 128 tokens), batch 1 | 58.00 ± 1.00 ms | 40.00 ± 1.00 ms"
                + " | 1.450x | <= 1.2 x bound = 1.500x: max(exposeAll 1.250x, SHA-256 of 94.4 MB on 1 core 1.125x) | yes |"), table);
        assertTrue(table.contains("| prove FULL (block) vs plain predict, MiniLM-L6 (ONNX, 128 tokens), batch 1 | 44.00 ± 1.00 ms | 40.00 ± 1.00 ms"
                + " | 1.100x | <= 1.05x | **no** |"), table);
        assertTrue(table.contains("| plain with opg's session settings vs DJL's defaults, MiniLM-L6 (ONNX, 128 tokens), batch 1 | 40.00 ± 1.00 ms"
                + " | 32.00 ± 1.00 ms | 1.250x | (reference) |  |"), table);
        assertTrue(table.contains("| prove FULL (block) vs plain with DJL's defaults, MiniLM-L6 (ONNX, 128 tokens), batch 1 | 44.00 ± 1.00 ms"
                + " | 32.00 ± 1.00 ms | 1.375x | (reference) |  |"), table);
        assertTrue(table.contains("| bytes hashed per prediction (block), MiniLM-L6 (ONNX, 128 tokens), batch 1 | 1379840 bytes |"), table);
        // hashing 20 MiB takes 10 ms < 50 ms plain: the bound is the engine's time, 1.2 x 50 = 60 < 70
        assertTrue(table.contains("| 70.00 ± 1.00 ms | 50.00 ± 1.00 ms | 1.400x | <= 1.2 x bound = 1.200x: max(plain 1.000x, SHA-256 of 21.0 MB on 1 core 0.200x) | **no** |"), table);
        assertTrue(table.contains("| prove FULL (output) vs plain predict, MiniLM-L6 (ONNX, 128 tokens), batch 8 | not run |"), table);
    }

    @Test
    void nodeRowWithoutItsBoundShowsTheRatioAndSaysWhatIsMissing() throws Exception {
        Path json = dir.resolve("jmh.json");
        Files.writeString(json, """
                [
                 {"benchmark":"dev.opg.benchmarks.ResNet18Benchmark.plain","primaryMetric":{"score":50.0,"scoreError":1.0,"scoreUnit":"ms/op"}},
                 {"benchmark":"dev.opg.benchmarks.ResNet18Benchmark.proveNode","primaryMetric":{"score":70.0,"scoreError":1.0,"scoreUnit":"ms/op"}}
                ]""");
        String table = ResultsTable.render(ResultsTable.readScores(json), Map.of(), "");
        assertTrue(table.contains("| 70.00 ± 1.00 ms | 50.00 ± 1.00 ms | 1.400x | <= 1.2 x bound (bound not measured: needs plain, HashingBenchmark"
                + " and the hashed bytes) | |"), table);
    }

    @Test
    void transcriptFixedCostsAreDifferencesPerPredictionAndPerStep() throws Exception {
        Path json = dir.resolve("jmh.json");
        Files.writeString(json, """
                [
                 {"benchmark":"dev.opg.benchmarks.TranscriptCostBenchmark.run","params":{"steps":"1"},
                  "primaryMetric":{"score":5.0,"scoreError":0.5,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.TranscriptCostBenchmark.record","params":{"steps":"1"},
                  "primaryMetric":{"score":12.0,"scoreError":0.5,"scoreUnit":"us/op"}},
                 {"benchmark":"dev.opg.benchmarks.TranscriptCostBenchmark.run","params":{"steps":"1000"},
                  "primaryMetric":{"score":3.0,"scoreError":0.1,"scoreUnit":"ms/op"}},
                 {"benchmark":"dev.opg.benchmarks.TranscriptCostBenchmark.record","params":{"steps":"1000"},
                  "primaryMetric":{"score":9.0,"scoreError":0.1,"scoreUnit":"ms/op"}}
                ]""");
        String table = ResultsTable.render(ResultsTable.readScores(json), Map.of(), "");
        // per prediction 12 - 5 = 7 us; per step ((9000 - 3000) - 7) / 999 = 5.999 us
        assertTrue(table.contains("| transcript fixed cost per prediction (1 step of a 1-element tensor, recorded minus unrecorded) | 7.00 us"
                + " | 5.00 ± 0.50 us |  | (reference) |  |"), table);
        assertTrue(table.contains("| transcript fixed cost per step (its growth from 1 to 1,000 steps, per step added) | 6.00 us |  |  | (reference) |  |"), table);
    }

    @Test
    void interleavedRowsSetEachHalfPerCallAgainstTheOther() throws Exception {
        Path json = dir.resolve("jmh.json");
        // 10 pairs: subject 420 ms in all, baseline 400 ms: 42 ms against 40 ms per call
        Files.writeString(json, """
                [
                 {"benchmark":"dev.opg.benchmarks.MiniLmBenchmark.pairedBlock","params":{"batch":"1"},
                  "primaryMetric":{"score":82.0,"scoreError":1.0,"scoreUnit":"ms/op"},
                  "secondaryMetrics":{"subjectNanos":{"score":4.2E8,"scoreError":"NaN","scoreUnit":"#"},
                   "baselineNanos":{"score":4.0E8,"scoreError":"NaN","scoreUnit":"#"},
                   "pairs":{"score":10.0,"scoreError":"NaN","scoreUnit":"#"}}},
                 {"benchmark":"dev.opg.benchmarks.ResNet18Benchmark.pairedNode",
                  "primaryMetric":{"score":82.0,"scoreError":1.0,"scoreUnit":"ms/op"},
                  "secondaryMetrics":{"subjectNanos":{"score":6.0E8,"scoreError":"NaN","scoreUnit":"#"},
                   "baselineNanos":{"score":5.0E8,"scoreError":"NaN","scoreUnit":"#"},
                   "pairs":{"score":10.0,"scoreError":"NaN","scoreUnit":"#"}}}
                ]""");
        String table = ResultsTable.render(ResultsTable.readScores(json), Map.of(), "");
        assertTrue(table.contains("| prove FULL (block) vs plain predict, interleaved, MiniLM-L6 (ONNX, 128 tokens), batch 1 | 42.00 ms | 40.00 ms"
                + " | 1.050x | <= 1.05x | yes |"), table);
        assertTrue(table.contains("| prove FULL (node) vs plain predict, interleaved, ResNet-18-sized CNN (DJL blocks, PyTorch, 224x224), batch 1"
                + " | 60.00 ms | 50.00 ms | 1.200x | (reference) |  |"), table);
        assertTrue(table.contains("| prove FULL (output) vs plain predict, interleaved, MiniLM-L6 (ONNX, 128 tokens), batch 1 | not run |"), table);
        // with the pairs' own ratios (Interleaved.writeRatios), the cell adds their median and quartiles; the judgement stays the sums'
        String withPairs = ResultsTable.render(ResultsTable.readScores(json),
                Map.of("paired.MiniLmBenchmark.pairedBlock:batch=1", "1.0312 0.9950 1.0800 30"), "");
        assertTrue(withPairs.contains("| 42.00 ms | 40.00 ms | 1.050x (pairs: median 1.031x, quartiles 0.995 .. 1.080, 30 pairs) | <= 1.05x | yes |"),
                withPairs);
    }

    @Test
    void thePairsRatiosAreNamedAsTheTableLooksThemUpAndTheirQuartilesInterpolate() {
        assertEquals(2.0, Interleaved.quantile(new double[] {1, 2, 3}, 0.5));
        assertEquals(1.5, Interleaved.quantile(new double[] {1, 2, 3}, 0.25));
        assertEquals(2.5, Interleaved.quantile(new double[] {1, 2, 3, 4}, 0.5));
        assertEquals(7.0, Interleaved.quantile(new double[] {7}, 0.75));
        assertEquals("paired.SparkBenchmark.paired:cores=2:model=mlp",
                Interleaved.factKey("dev.opg.benchmarks.SparkBenchmark.paired", Map.of("model", "mlp", "cores", "2")));
    }

    @Test
    void everyMeasureNamesADistinctRow() {
        assertEquals(ResultsTable.MEASURES.size(), ResultsTable.MEASURES.stream().map(ResultsTable.Measure::label).distinct().count());
    }

    @Test
    void gasRowsAreJudgedAgainstTheBatchGoal() throws Exception {
        Path gas = dir.resolve("gas.json");
        Files.writeString(gas, """
                [{"operation":"anchor","roots":1,"gas":47000},
                 {"operation":"anchorBatch 1024","roots":1024,"gas":52000},
                 {"operation":"anchorBatch 16","roots":16,"gas":61000}]""");
        Path jmh = dir.resolve("jmh.json");
        Files.writeString(jmh, "[]");
        Path out = dir.resolve("RESULTS.md");
        ResultsTable.main(new String[] {jmh.toString(), out.toString(), gas.toString()});
        String md = Files.readString(out);
        assertTrue(md.contains("| anchorBatch 1024 | 52000 | 50 | <= 60,000 | yes |"), md);
        assertTrue(md.contains("| anchorBatch 16 | 61000 | 3812 | <= 60,000 | **no** |"), md);
    }

    @Test
    void aFilteredRunKeepsEarlierRowsWholeAndMarksTheirDate() {
        String previous = """
                Measured by `benchmarks/run.sh` on 2 cores, 2026-11-30, openjdk.

                | measure | value | baseline | ratio | goal | met |
                | --- | ---: | ---: | ---: | --- | --- |
                | Merkle root, 1K leaves | 12.00 us |  |  | < 1 s | yes |
                | Merkle root, 64K leaves (run of 2026-11-01) | 900.00 us |  |  | < 1 s | yes |
                | Merkle root, 1M leaves | not run |  |  | < 1 s | |
                | inclusion proof check, 1M leaves | 3.00 us |  |  | < 20 us | yes |
                """;
        String now = """
                | measure | value | baseline | ratio | goal | met |
                | --- | ---: | ---: | ---: | --- | --- |
                | Merkle root, 1K leaves | not run | | | < 1 s | |
                | Merkle root, 64K leaves | not run | | | < 1 s | |
                | Merkle root, 1M leaves | not run | | | < 1 s | |
                | inclusion proof check, 1M leaves | 4.00 us |  |  | < 20 us | yes |
                """;
        String merged = ResultsTable.keepEarlierRows(now, previous);
        assertTrue(merged.contains("| Merkle root, 1K leaves (run of 2026-11-30) | 12.00 us |  |  | < 1 s | yes |"), merged);
        assertTrue(merged.contains("| Merkle root, 64K leaves (run of 2026-11-01) | 900.00 us |"), merged);
        assertTrue(merged.contains("| Merkle root, 1M leaves | not run |"), merged);
        assertTrue(merged.contains("| inclusion proof check, 1M leaves | 4.00 us |"), merged);
        assertTrue(!merged.contains("3.00 us"), "a row this run measured replaces the earlier one: " + merged);
        assertEquals(now.split("\n").length, merged.split("\n").length, merged);
    }

    @Test
    void sparkRowsGiveRowsPerSecondScalingAndTheInterleavedRatio() throws Exception {
        Path json = dir.resolve("jmh.json");
        // 2 pairs per iteration; local[1]: proving 2 s, plain 1.6 s per job; local[2]: proving 1.25 s, plain 1 s
        Files.writeString(json, """
                [
                 {"benchmark":"dev.opg.benchmarks.SparkBenchmark.paired","params":{"model":"mlp","cores":"1"},
                  "primaryMetric":{"score":3600.0,"scoreError":1.0,"scoreUnit":"ms/op"},
                  "secondaryMetrics":{"subjectNanos":{"score":4.0E9,"scoreError":"NaN","scoreUnit":"#"},
                   "baselineNanos":{"score":3.2E9,"scoreError":"NaN","scoreUnit":"#"},
                   "pairs":{"score":2.0,"scoreError":"NaN","scoreUnit":"#"}}},
                 {"benchmark":"dev.opg.benchmarks.SparkBenchmark.paired","params":{"model":"mlp","cores":"2"},
                  "primaryMetric":{"score":2250.0,"scoreError":1.0,"scoreUnit":"ms/op"},
                  "secondaryMetrics":{"subjectNanos":{"score":2.5E9,"scoreError":"NaN","scoreUnit":"#"},
                   "baselineNanos":{"score":2.0E9,"scoreError":"NaN","scoreUnit":"#"},
                   "pairs":{"score":2.0,"scoreError":"NaN","scoreUnit":"#"}}}
                ]""");
        String table = ResultsTable.render(ResultsTable.readScores(json), Map.of("spark.mlp.rows", "4000"), "");
        String mlp = "MNIST MLP (784-128-64-10, PyTorch), 4,000 digits in 4 partitions";
        assertTrue(table.contains("| rows proven per second, opg-spark FULL (block), " + mlp + ", local[1] | 2000.0 rows/s | | | (reference) | |"),
                table);
        assertTrue(table.contains("| rows proven per second, opg-spark FULL (block), " + mlp + ", local[2] | 3200.0 rows/s |"), table);
        assertTrue(table.contains("| rows per second, plain Spark inference, " + mlp + ", local[2] | 4000.0 rows/s |"), table);
        assertTrue(table.contains("| scaling local[1] to local[2], opg-spark FULL (block), " + mlp + " | 1.25 s | 2.00 s | 1.60x | >= 1.70x | **no** |"),
                table);
        assertTrue(table.contains("| scaling local[1] to local[2], plain Spark inference, " + mlp + " | 1.00 s | 1.60 s | 1.60x | (reference) |  |"),
                table);
        assertTrue(table.contains("| prove in Spark FULL (block) vs plain Spark inference, interleaved, " + mlp + ", local[2] | 1.25 s | 1.00 s"
                + " | 1.250x | <= 1.10x | **no** |"), table);
        // no row count for MiniLM: its rows-per-second rows are not guessed
        assertTrue(table.contains("| rows proven per second, opg-spark FULL (block), MiniLM-L6 (ONNX, 128 tokens), 24 rows in 2 partitions,"
                + " local[1] | not run |"), table);
    }
}
