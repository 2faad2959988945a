package dev.opg.benchmarks;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README quotes the measured table; a re-run of benchmarks/run.sh must be quoted again. */
class ReadmeResultsTest {
    @Test
    void readmeQuotesTheLastMeasuredTableVerbatim() throws Exception {
        Path root = Path.of(System.getProperty("opg.repo.root", ".."));
        String results = Files.readString(root.resolve("benchmarks/RESULTS.md"), StandardCharsets.UTF_8);
        String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
        int start = results.indexOf("| measure | value |");
        assertTrue(start >= 0, "benchmarks/RESULTS.md has no results table");
        String table = results.substring(start).strip();
        assertTrue(readme.contains(table), "README.md's performance table differs from benchmarks/RESULTS.md;"
                + " copy the table from RESULTS.md into README.md's Performance section");
    }
}
