package dev.opg.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** README.md's Java snippet is consumer/src/main/java/example/Embedding.java, verbatim. */
class ReadmeSnippetTest {
    @Test
    void readmeSnippetIsTheConsumerFileVerbatim() throws Exception {
        Path root = MnistDigits.repoRoot();
        String readme = Files.readString(root.resolve("README.md"));
        String file = Files.readString(root.resolve("consumer/src/main/java/example/Embedding.java"));
        int start = readme.indexOf("```java\npackage example;");
        assertTrue(start >= 0, "README has no ```java block starting with 'package example;'");
        start += "```java\n".length();
        int end = readme.indexOf("```", start);
        assertEquals(file, readme.substring(start, end));
    }

    @Test
    void readmeNamesEveryExampleCommandTheRunnerKnows() throws Exception {
        Path root = MnistDigits.repoRoot();
        String readme = Files.readString(root.resolve("README.md"));
        String runner = Files.readString(root.resolve("opg-examples/run.sh"));
        for (String ex : new String[] {"mnist", "vad", "torchscript", "embedding"}) {
            assertTrue(readme.contains("`opg-examples/run.sh " + ex + "`"), ex);
            assertTrue(runner.contains("\n  " + ex + ")"), ex);
        }
    }
}
