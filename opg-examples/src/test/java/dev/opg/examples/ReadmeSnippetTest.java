package dev.opg.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * README.md's Java snippets are the files of consumer/src/main/java/example/, verbatim, in the
 * order the README shows them (scripts/consumer-check.sh builds and runs each of them).
 */
class ReadmeSnippetTest {
    @Test
    void readmeSnippetsAreTheConsumerFilesVerbatim() throws Exception {
        Path root = MnistDigits.repoRoot();
        String readme = Files.readString(root.resolve("README.md"));
        java.util.List<String> snippets = new java.util.ArrayList<>();
        for (int start = readme.indexOf("```java\npackage example;"); start >= 0;
                start = readme.indexOf("```java\npackage example;", start + 1)) {
            int body = start + "```java\n".length();
            snippets.add(readme.substring(body, readme.indexOf("```", body)));
        }
        for (String name : new String[] {"Embedding.java", "SentenceEmbedding.java"}) {
            String file = Files.readString(root.resolve("consumer/src/main/java/example/" + name));
            assertTrue(snippets.contains(file), "README shows consumer/src/main/java/example/" + name + " verbatim in a ```java block");
        }
        assertEquals(2, snippets.size(), "every Java snippet of the README is a consumer file the check builds and runs");
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
