package dev.opg.verify.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.generate.DecoderModel;
import dev.opg.core.generate.GenerationRequest;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.Generator;
import dev.opg.core.generate.KvWitness;
import dev.opg.core.generate.SamplingParams;
import dev.opg.verify.Verdict;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every verification path accepts an honest generation and catches each change a prover can make. */
class GenerationVerifierTest {
    private static DecoderModel model;
    private static GenerationVerifier verifier;
    private static GenerationTranscript honest;
    private static KvWitness witness;
    private static final int N = 24;

    @BeforeAll
    static void generate() {
        model = Decoders.open();
        verifier = new GenerationVerifier(model);
        Generator g = new Generator(model);
        // no stop token, so that the generation has N tokens whatever the model says
        honest = g.generate(GenerationRequest.of("And God said", new SamplingParams(0.9f, 50, 0.95f, 2026, N, List.of())), null);
        witness = g.lastWitness();
        assertEquals(N, honest.tokens().size());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static void allPathsReject(GenerationTranscript t, String what) {
        assertEquals(Verdict.INVALID, verifier.exact(t).verdict(), what + ": exact");
        assertEquals(Verdict.INVALID, verifier.fast(t).verdict(), what + ": fast");
        assertEquals(Verdict.INVALID, verifier.spot(t, N, witness, 1L).verdict(), what + ": spot");
        assertEquals(Verdict.INVALID, verifier.exact(t.toCompact()).verdict(), what + ": exact, compact");
        assertEquals(Verdict.INVALID, verifier.fast(t.toCompact()).verdict(), what + ": fast, compact");
    }

    @Test
    void anHonestGenerationPassesEveryPath() {
        GenerationReport e = verifier.exact(honest);
        assertTrue(e.valid(), e.summary());
        GenerationReport f = verifier.fast(honest);
        assertTrue(f.valid(), f.summary());
        System.out.println("fast check: largest sketch error " + f.maxSketchError());
        GenerationReport s = verifier.spot(honest, 5, witness, null);
        assertTrue(s.valid(), s.summary());
        assertTrue(verifier.exact(honest.toCompact()).valid());
        assertTrue(verifier.fast(honest.toCompact()).valid());
    }

    @Test
    void aChangedTokenIsCaughtByEveryPath() {
        for (int i : new int[] {0, N / 2, N - 1}) {
            int other = (honest.tokens().get(i) + 1 + i) % model.vocabSize();
            GenerationTranscript t = Tamper.withToken(model, honest, i, other);
            allPathsReject(t, "token " + i);
            assertEquals(i, verifier.exact(t).firstFailingToken());
            GenerationReport fr = verifier.fast(t.toCompact());
            assertEquals(i, fr.firstFailingToken(), "the fast check names the changed token: " + fr.summary() + " honest " + honest.tokens() + " changed " + t.tokens());
        }
    }

    @Test
    void aChangedPromptSamplingParameterOrSeedIsCaught() {
        var h = honest.header();
        var other = model.tokenizer().encode("And Abram said");
        allPathsReject(Tamper.withHeader(honest, Tamper.prompt(h, "And Abram said", other)), "prompt");
        SamplingParams s = h.sampling();
        allPathsReject(Tamper.withHeader(honest, Tamper.sampling(h, s.withSeed(s.seed() + 1))), "seed");
        allPathsReject(Tamper.withHeader(honest, Tamper.sampling(h, new SamplingParams(0.3f, s.topK(), s.topP(), s.seed(), s.maxNewTokens(),
                s.stopTokens()))), "temperature");
        allPathsReject(Tamper.withHeader(honest, Tamper.sampling(h, new SamplingParams(s.temperature(), 2, s.topP(), s.seed(), s.maxNewTokens(),
                s.stopTokens()))), "top-k");
        // the prompt tokens of another text under the committed text
        assertEquals(Verdict.INVALID, verifier.fast(Tamper.withHeader(honest, Tamper.prompt(h, h.promptText(), other))).verdict());
    }

    @Test
    void aModelWithOneWeightChangedIsCaughtByTheFastCheck(@TempDir Path tmp) throws Exception {
        var weights = Decoders.weights(Decoders.model());
        var head = weights.stream().filter(w -> w.name().contains("head")).findFirst().orElse(weights.get(weights.size() - 1));
        Path dir = Decoders.tampered(tmp, head, 7, 1.0f);
        GenerationTranscript lie;
        try (DecoderModel bad = DecoderModel.open(dir, model.profile())) {
            lie = new Generator(bad).replay(honest.header(), null);
            // claimed under the honest model's id
            lie = Tamper.withHeader(lie, Tamper.modelId(lie.header(), model.modelId()));
        }
        GenerationReport f = verifier.fast(lie);
        assertEquals(Verdict.INVALID, f.verdict(), f.summary());
        System.out.println("weight changed: " + f.summary());
        assertEquals(Verdict.INVALID, verifier.fast(lie.toCompact()).verdict());
        assertEquals(Verdict.INVALID, verifier.exact(lie).verdict());
    }

    @Test
    void aTranscriptOfAnotherModelOrProfileIsNotAccepted() {
        var h = honest.header();
        assertEquals(Verdict.INVALID, verifier.fast(Tamper.withHeader(honest, Tamper.modelId(h, dev.opg.core.Digest.of(new byte[32]))))
                .verdict());
        Function<GenerationTranscript, GenerationReport> spotWithout = t -> verifier.spot(t, N, null, 3L);
        assertEquals(Verdict.INCONCLUSIVE, spotWithout.apply(honest).verdict(), "no witness, no spot check past the prefill");
    }
}
