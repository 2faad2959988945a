package dev.opg.core.generate;

import java.util.List;

/** Prints the text and root of fixed generations; the two-process test runs it in a child JVM. */
public final class PrintGeneration {
    private PrintGeneration() {}

    public static void main(String[] args) {
        try (DecoderModel m = KjvGpt.open()) {
            Generator g = new Generator(m);
            for (long seed : new long[] {7, 8}) {
                GenerationTranscript t = g.generate(GenerationRequest.of("And God said",
                        new SamplingParams(0.8f, 40, 0.95f, seed, 24, List.of(0))), null);
                System.out.println("seed " + seed + " " + t.root().hex() + " " + t.end().text().replace('\n', ' '));
            }
        }
    }
}
