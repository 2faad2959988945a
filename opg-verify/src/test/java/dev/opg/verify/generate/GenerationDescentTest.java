package dev.opg.verify.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import dev.opg.core.Digest;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.generate.DecoderModel;
import dev.opg.core.generate.GenerationRequest;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.Generator;
import dev.opg.core.generate.KvWitness;
import dev.opg.core.generate.SamplingParams;
import dev.opg.core.generate.Segment;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Granularity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Generation disputes bisect over tokens, then descend into the disputed token's block to one
 * node (spec section 4.12): an honest party against a forger who computed token {@value #TOKEN}
 * with a copy of the model in which one bias element of layer 1's feed-forward layer is changed
 * (read by one node, {@code /layers.1/fc/Add}), claiming the honest model id.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GenerationDescentTest {
    static final int TOKEN = 6;
    static final String BIAS = "layers.1.fc.bias";
    /** The one node of the graph that reads {@link #BIAS} (the exporter's name for the bias Add of layer 1's fc). */
    static final String READER = "/layers.1/fc/Add";

    private DecoderModel model;
    private DecoderModel altered;
    private Model honestOnnx;
    private Model alteredOnnx;
    private Model refereeOnnx;
    private VerifiableModel honestVm;
    private VerifiableModel alteredVm;
    private GenerationTranscript honest;
    private KvWitness witness;
    private GenerationTranscript forged;

    @BeforeAll
    void generate() throws Exception {
        model = Decoders.open();
        Generator g = new Generator(model);
        honest = g.generate(GenerationRequest.of("And Jacob said", new SamplingParams(0.9f, 40, 0.95f, 99, 12, List.of())), null);
        witness = g.lastWitness();
        Path tmp = Files.createDirectories(Path.of("target", "generation-descent").toAbsolutePath());
        Decoders.Weight w = Decoders.weights(Decoders.model()).stream().filter(x -> x.name().equals(BIAS)).findFirst().orElseThrow();
        Path dir = Decoders.tampered(tmp, w, 5, 1.0f);
        altered = DecoderModel.open(dir, model.profile());
        assertNotEquals(model.modelId(), altered.modelId());
        // the forger re-runs token TOKEN from the agreed cache with its altered model; its segment claims the honest header
        List<Digest> past = new ArrayList<>();
        for (String n : model.pastNames()) {
            past.add(honest.segments().get(TOKEN - 1).record().output(n.replace("past_key_values.", "present.")));
        }
        Segment lie = new Generator(altered).rerun(honest.header(), honest.tokens(), TOKEN, witness, past).segment();
        List<Segment> segs = new ArrayList<>(honest.segments());
        segs.set(TOKEN, lie);
        forged = GenerationTranscript.full(honest.header(), honest.profile(), segs, honest.end());
        RecordingOptions o = new RecordingOptions(CommitmentMode.FULL, 0, true, Granularity.BLOCK, honest.header().cuts());
        honestOnnx = LoadedModel.load(Decoders.dir().resolve("model.onnx"));
        alteredOnnx = LoadedModel.load(dir.resolve("model.onnx"));
        refereeOnnx = LoadedModel.load(Decoders.dir().resolve("model.onnx"));
        honestVm = VerifiableModel.wrap(honestOnnx, model.profile(), o);
        alteredVm = VerifiableModel.wrap(alteredOnnx, model.profile(), o);
    }

    @AfterAll
    void close() {
        honestVm.close();
        alteredVm.close();
        honestOnnx.close();
        alteredOnnx.close();
        refereeOnnx.close();
        altered.close();
        model.close();
    }

    /** The block of token TOKEN that holds layer 1 (the honest segment's step whose name starts there). */
    private int layer1Block() {
        List<dev.opg.core.transcript.Step> steps = honest.segments().get(TOKEN).steps();
        for (int j = 0; j < steps.size(); j++) {
            if (steps.get(j).name().startsWith("/layers.1/")) {
                return j;
            }
        }
        throw new AssertionError("no layer-1 block in " + steps.stream().map(dev.opg.core.transcript.Step::name).toList());
    }

    @Test
    void theDisputeDescendsToTheOneAlteredNodeAndTheHonestPartyWinsOnEitherSide() {
        GenerationParty h = GenerationParty.withModel(honestVm, honest, witness);
        GenerationParty f = GenerationParty.withModel(alteredVm, forged, null);
        int block = layer1Block();
        for (boolean honestFirst : new boolean[] {true, false}) {
            GenerationDispute.Ruling r = honestFirst ? GenerationDispute.settle(model, refereeOnnx, h, f)
                    : GenerationDispute.settle(model, refereeOnnx, f, h);
            assertEquals(honestFirst ? GenerationDispute.Party.A : GenerationDispute.Party.B, r.winner(), r.reason());
            assertEquals(TOKEN, r.token(), r.reason());
            assertEquals(block, r.step(), r.reason());
            assertEquals(honest.segments().get(TOKEN).steps().get(block).name(), r.stepName());
            assertEquals(READER, r.nodeName(), r.reason());
            assertTrue(r.node() >= 0, r.reason());
        }
    }

    @Test
    void withoutModelsTheRulingStaysAtTheBlock() {
        GenerationDispute.Ruling r = GenerationDispute.settle(model, honest, witness, forged, null);
        assertEquals(GenerationDispute.Party.A, r.winner(), r.reason());
        assertEquals(TOKEN, r.token());
        assertEquals(layer1Block(), r.step());
        assertEquals(-1, r.node());
        assertEquals("", r.nodeName());
    }

    /** Without the other side's re-run there is nothing to bisect: the referee's re-run of the whole token decides, for the honest party. */
    @Test
    void aPartyThatCannotReRunTheTokenLeavesTheRulingToTheRefereesReRun() {
        GenerationParty h = GenerationParty.withModel(honestVm, honest, witness);
        GenerationParty f = GenerationParty.of(forged, null);
        for (boolean honestFirst : new boolean[] {true, false}) {
            GenerationDispute.Ruling r = honestFirst ? GenerationDispute.settle(model, refereeOnnx, h, f)
                    : GenerationDispute.settle(model, refereeOnnx, f, h);
            assertEquals(honestFirst ? GenerationDispute.Party.A : GenerationDispute.Party.B, r.winner(), r.reason());
            assertEquals(-1, r.node());
            assertEquals(layer1Block(), r.step());
        }
        // the forger descends, the honest party cannot: the forger's consistent re-run does not win it the dispute
        GenerationParty forgerWithModel = GenerationParty.withModel(alteredVm, forged, null);
        GenerationParty honestAlone = GenerationParty.of(honest, witness);
        assertEquals(GenerationDispute.Party.A, GenerationDispute.settle(model, refereeOnnx, honestAlone, forgerWithModel).winner());
        assertEquals(GenerationDispute.Party.B, GenerationDispute.settle(model, refereeOnnx, forgerWithModel, honestAlone).winner());
    }

    /** The binding rule of spec 4.12 step 3: the honest forward pass binds to the honest segment (KV digests included) and to no other. */
    @Test
    void anHonestForwardPassBindsToItsSegmentAndNotToAChangedOne() {
        GenerationParty h = GenerationParty.withModel(honestVm, honest, witness);
        List<Digest> past = new ArrayList<>();
        for (String n : model.pastNames()) {
            past.add(honest.segments().get(TOKEN - 1).record().output(n.replace("past_key_values.", "present.")));
        }
        try (ai.djl.ndarray.NDManager m = model.manager().newSubManager()) {
            ai.djl.ndarray.NDList in = new Generator(model).forwardInputs(m, honest.header(), honest.tokens(), TOKEN, witness, past);
            GenerationParty.ForwardPass fp = h.forwardPass(TOKEN, in);
            java.util.Map<Digest, dev.opg.core.witness.WitnessTensor> given = new java.util.HashMap<>();
            for (ai.djl.ndarray.NDArray x : in) {
                dev.opg.core.witness.WitnessTensor t = dev.opg.core.witness.WitnessTensor.of(x);
                given.put(t.digest(), t);
            }
            dev.opg.verify.TensorSource tensors = dev.opg.verify.TensorSource.firstOf(List.of(dev.opg.verify.TensorSource.of(given),
                    fp.witness()));
            // the ordinary transcript commits caches by tensor digest, the segment by KV digest: they differ, and still bind
            assertNotEquals(fp.transcript().steps().get(1).inputs(), honest.segments().get(TOKEN).steps().get(1).inputs());
            assertEquals(null, GenerationDispute.binds(fp, honest, TOKEN, tensors));
            String off = GenerationDispute.binds(fp, forged, TOKEN, tensors);
            assertTrue(off != null && off.contains("step " + layer1Block()), off);
            // and without the tensors a KV digest cannot be bound at all
            assertTrue(GenerationDispute.binds(fp, honest, TOKEN, d -> java.util.Optional.empty()) != null);
        }
    }

    /**
     * A forger whose re-run is the honest computation (it has the honest model) but whose
     * committed segment is the altered one: its forward pass does not bind to what it committed,
     * so it loses although every node it shows is right.
     */
    @Test
    void aForgerWhoseForwardPassDoesNotBindToItsSegmentLoses() {
        GenerationParty h = GenerationParty.withModel(honestVm, honest, witness);
        GenerationParty f = GenerationParty.withModel(honestVm, forged, null);
        for (boolean honestFirst : new boolean[] {true, false}) {
            GenerationDispute.Ruling r = honestFirst ? GenerationDispute.settle(model, refereeOnnx, h, f)
                    : GenerationDispute.settle(model, refereeOnnx, f, h);
            assertEquals(honestFirst ? GenerationDispute.Party.A : GenerationDispute.Party.B, r.winner(), r.reason());
            assertEquals(-1, r.node(), "no descent with a forward pass that does not bind: " + r.reason());
        }
    }
}
