package dev.opg.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MerkleDemoTest {
    @Test
    void demoProvesIncludesAndCatchesTheFlippedBit() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        boolean ok = MerkleDemo.run(new PrintStream(buf, true, StandardCharsets.UTF_8));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertTrue(ok, text);
        assertTrue(text.contains("verifies") && text.contains("root changed") && text.contains("proof rejected"), text);
    }
}
