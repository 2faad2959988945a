package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void drawsOnATerminalAndEndsTheLine() {
        StringWriter w = new StringWriter();
        try (ProgressBar bar = new ProgressBar(new PrintWriter(w), "proving", 4, true)) {
            for (int i = 0; i < 4; i++) {
                bar.step();
            }
        }
        String s = w.toString();
        assertTrue(s.startsWith("\rproving ["), s);
        assertTrue(s.contains("] 4/4"), s);
        assertTrue(s.contains("[" + "#".repeat(30) + "]"), s);
        assertTrue(s.endsWith(System.lineSeparator()), s);
    }

    @Test
    void staysSilentWhenPiped() {
        StringWriter w = new StringWriter();
        try (ProgressBar bar = new ProgressBar(new PrintWriter(w), "proving", 4, false)) {
            bar.step();
        }
        assertEquals("", w.toString());
    }

    @Test
    void helpAndVersionExitZeroAndListEveryCommand() {
        Cli.Result h = Cli.run("--help");
        assertEquals(0, h.code(), h.toString());
        for (String c : new String[] {"prove", "verify", "inspect", "bisect", "anchor", "check-anchor", "deploy", "demo"}) {
            assertTrue(h.out().contains("  " + c + " ") || h.out().contains("  " + c + "\n"), c + "\n" + h);
        }
        assertTrue(h.out().contains("Exit codes"), h.toString());
        Cli.Result v = Cli.run("--version");
        assertEquals(0, v.code(), v.toString());
        assertTrue(v.out().startsWith("opg "), v.toString());
    }

    @Test
    void missingRequiredOptionIsUsageExit2() {
        Cli.Result r = Cli.run("prove", "--model", "x");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("Missing required option"), r.toString());
    }
}
