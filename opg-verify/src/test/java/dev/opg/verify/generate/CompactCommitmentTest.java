package dev.opg.verify.generate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.generate.DecoderModel;
import dev.opg.core.generate.GenerationCodec;
import dev.opg.core.generate.GenerationRequest;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.Generator;
import dev.opg.core.generate.KvWitness;
import dev.opg.core.generate.SamplingParams;
import dev.opg.core.transcript.Granularity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures what docs/generation.md reports: bytes per token of each commitment, how far prefill
 * and incremental decode differ, and the fast check's false-accept rate on compact transcripts
 * against a model substitution (one weight changed) and a changed token.
 */
class CompactCommitmentTest {
    private static DecoderModel model;
    private static Generator gen;

    @BeforeAll
    static void open() {
        model = Decoders.open();
        gen = new Generator(model);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static SamplingParams params(long seed, int n) {
        return new SamplingParams(0.9f, 40, 0.95f, seed, n, List.of());
    }

    @Test
    void bytesPerToken() {
        int n = 64;
        GenerationRequest r = GenerationRequest.of("And God said", params(1, n));
        for (Granularity g : Granularity.values()) {
            GenerationTranscript t = gen.generate(r.at(g), null);
            double full = (double) GenerationCodec.encode(t).length / n;
            double compactJson = (double) GenerationCodec.encode(t.toCompact()).length / n;
            double compactBinary = (32.0 + 2.0 * t.header().sketchDimension() * n) / n;
            System.out.printf("bytes/token at %s: full JSON %.1f, compact JSON %.1f, compact commitment (root + sketches) %.3f%n", g.specName(),
                    full, compactJson, compactBinary);
            assertTrue(compactBinary <= 8.0, "the compact commitment is at most 8 bytes a token");
        }
    }

    @Test
    void prefillAndIncrementalDecodeDifferByLittle() {
        int n = 96;
        GenerationTranscript t = gen.generate(GenerationRequest.of("And God said", params(5, n)), null);
        KvWitness w = gen.lastWitness();
        float[][] prefill = gen.teacherForced(t.header().promptTokens(), t.tokens());
        double maxAbs = 0;
        double maxRel = 0;
        for (int i = 0; i < n; i++) {
            var past = new ArrayList<dev.opg.core.Digest>();
            for (String name : model.pastNames()) {
                past.add(t.segments().get(i).record().input(name));
            }
            float[] inc = gen.rerun(t.header(), t.tokens(), i, w, past).logits();
            for (int v = 0; v < inc.length; v++) {
                double d = Math.abs(inc[v] - prefill[i][v]);
                maxAbs = Math.max(maxAbs, d);
                maxRel = Math.max(maxRel, d / Math.max(1e-6, Math.abs(prefill[i][v])));
            }
        }
        System.out.printf("prefill vs incremental decode, %d positions: largest logit difference %.3g (relative %.3g)%n", n, maxAbs, maxRel);
        assertTrue(maxAbs < FastTolerance.DEFAULT.logit(), "the measured difference is below the fast check's logit tolerance");
    }

    @Test
    void falseAcceptRates(@TempDir Path tmp) throws Exception {
        GenerationTranscript honest = gen.generate(GenerationRequest.of("And God said", params(77, 32)), null);
        FalseAccepts.Rates r = FalseAccepts.measure(model, Decoders.dir(), tmp, honest, 2026, 200, 20);
        System.out.print(FalseAccepts.describe("kjv-gpt", r));
        FalseAccepts.assertBounds(r);
    }
}
