package dev.opg.verify.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.generate.DecoderModel;
import dev.opg.core.generate.GenerationRequest;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.Generator;
import dev.opg.core.generate.SamplingParams;
import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.verify.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The larger committed decoder (opg-examples/models/kjv-gpt-medium: 4 layers of width 192, the
 * model GenerationBenchmark measures besides the example one): its layers are found as blocks, an
 * honest generation passes the exact and the fast check (the fast check's tolerance, measured on
 * the example model, holds on a deeper, wider one), and a changed token or weight is caught.
 */
class MediumDecoderTest {
    private static final int N = 32;
    private static DecoderModel model;
    private static GenerationVerifier verifier;
    private static GenerationTranscript honest;
    private static Generator generator;
    private static dev.opg.core.generate.KvWitness witness;

    @BeforeAll
    static void generate() {
        model = DecoderModel.open(Decoders.dir("kjv-gpt-medium"), OnnxProfiles.apply(1, 1, 0));
        verifier = new GenerationVerifier(model);
        generator = new Generator(model);
        honest = generator.generate(GenerationRequest.of("And God said", new SamplingParams(0.8f, 40, 0.95f, 7, N, List.of())), null);
        witness = generator.lastWitness();
        assertEquals(N, honest.tokens().size());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void eachLayerIsABlock() {
        assertEquals(4, model.layers());
        List<String> cuts = model.layerCuts();
        assertEquals(5, cuts.size(), "one cut before each layer and one before the final norm: " + cuts);
        assertEquals(cuts, honest.header().cuts());
        for (int i = 0; i < 4; i++) {
            assertTrue(cuts.get(i).startsWith("/layers." + i + "/"), cuts.toString());
        }
    }

    @Test
    void anHonestGenerationPassesTheExactAndTheFastCheck() {
        GenerationReport e = verifier.exact(honest);
        assertTrue(e.valid(), e.summary());
        GenerationReport f = verifier.fast(honest);
        assertTrue(f.valid(), f.summary());
        System.out.println("kjv-gpt-medium fast check: largest sketch error " + f.maxSketchError() + "; text: "
                + model.tokenizer().decode(honest.tokens()));
        assertTrue(verifier.fast(honest.toCompact()).valid());
    }

    /** The fast check's logit tolerance (1e-4, set on the example model) still covers prefill against incremental decode here. */
    @Test
    void prefillAndIncrementalDecodeDifferByLessThanTheTolerance() {
        float[][] prefill = generator.teacherForced(honest.header().promptTokens(), honest.tokens());
        double maxAbs = 0;
        for (int i = 0; i < N; i++) {
            var past = new java.util.ArrayList<dev.opg.core.Digest>();
            for (String name : model.pastNames()) {
                past.add(honest.segments().get(i).record().input(name));
            }
            float[] inc = generator.rerun(honest.header(), honest.tokens(), i, witness, past).logits();
            for (int v = 0; v < inc.length; v++) {
                maxAbs = Math.max(maxAbs, Math.abs(inc[v] - prefill[i][v]));
            }
        }
        System.out.printf("kjv-gpt-medium, prefill vs incremental decode, %d positions: largest logit difference %.3g%n", N, maxAbs);
        assertTrue(maxAbs < FastTolerance.DEFAULT.logit(), "largest difference " + maxAbs);
    }

    @Test
    void aChangedTokenIsNamedByTheFastCheck() {
        int i = N / 2;
        int other = (honest.tokens().get(i) + 1) % model.vocabSize();
        GenerationTranscript t = Tamper.withToken(model, honest, i, other);
        assertEquals(Verdict.INVALID, verifier.exact(t).verdict());
        GenerationReport f = verifier.fast(t.toCompact());
        assertEquals(Verdict.INVALID, f.verdict(), f.summary());
        assertEquals(i, f.firstFailingToken(), f.summary());
    }

    @Test
    void aMiddleLayerWeightChangedIsCaughtByTheFastCheck(@TempDir Path tmp) throws Exception {
        Path src = Decoders.dir("kjv-gpt-medium");
        var weights = Decoders.weights(Files.readAllBytes(src.resolve("model.onnx")));
        var w = weights.stream().filter(x -> x.name().equals("layers.2.fc.bias")).findFirst()
                .orElseThrow(() -> new AssertionError("no layers.2.fc.bias among " + weights.stream().map(Decoders.Weight::name).toList()));
        Path dir = Decoders.tampered(src, tmp, w, 11, 1.0f);
        GenerationTranscript lie;
        try (DecoderModel bad = DecoderModel.open(dir, model.profile())) {
            lie = new Generator(bad).replay(honest.header(), null);
            lie = Tamper.withHeader(lie, Tamper.modelId(lie.header(), model.modelId()));
        }
        GenerationReport f = verifier.fast(lie);
        assertEquals(Verdict.INVALID, f.verdict(), w.name() + ": " + f.summary());
        System.out.println("kjv-gpt-medium, " + w.name() + "[11] + 1.0: " + f.summary());
        assertEquals(Verdict.INVALID, verifier.exact(lie).verdict());
    }

    /**
     * The fast check's false accepts on compact transcripts of this decoder (docs/generation.md
     * reports them beside the example model's): fewer trials than CompactCommitmentTest's, each
     * weight change writing and loading an 8 MB model.
     */
    @Test
    void falseAcceptRates(@TempDir Path tmp) throws Exception {
        FalseAccepts.Rates r = FalseAccepts.measure(model, Decoders.dir("kjv-gpt-medium"), tmp, honest, 2027, 100, 8);
        System.out.print(FalseAccepts.describe("kjv-gpt-medium", r));
        FalseAccepts.assertBounds(r);
    }
}
