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
}
