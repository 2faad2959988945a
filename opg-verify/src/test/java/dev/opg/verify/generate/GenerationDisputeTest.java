package dev.opg.verify.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Digest;
import dev.opg.core.generate.DecoderModel;
import dev.opg.core.generate.GenerationEnd;
import dev.opg.core.generate.GenerationRequest;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.Generator;
import dev.opg.core.generate.KvWitness;
import dev.opg.core.generate.SamplingParams;
import dev.opg.core.generate.Segment;
import dev.opg.core.transcript.Step;
import dev.opg.verify.DisputeRefusedException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Disputes bisect over tokens, then inside the token, and the referee re-runs one token. */
class GenerationDisputeTest {
    private static DecoderModel model;
    private static GenerationTranscript honest;
    private static KvWitness witness;

    @BeforeAll
    static void generate() {
        model = Decoders.open();
        Generator g = new Generator(model);
        honest = g.generate(GenerationRequest.of("And Jacob said", new SamplingParams(0.9f, 40, 0.95f, 99, 20, List.of())), null);
        witness = g.lastWitness();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** The honest transcript with one step output of token {@code t} replaced (the root recomputed by the liar). */
    static GenerationTranscript stepLie(int t, int step) {
        List<Segment> segs = new ArrayList<>(honest.segments());
        Segment s = segs.get(t);
        List<Step> steps = new ArrayList<>(s.steps());
        Step st = steps.get(step);
        List<Digest> outs = new ArrayList<>(st.outputs());
        outs.set(0, Digest.of(new byte[32]));
        steps.set(step, Step.full(st.index(), st.name(), st.inputs(), outs));
        segs.set(t, new Segment(steps, s.record()));
        return GenerationTranscript.full(honest.header(), honest.profile(), segs, honest.end());
    }

    @Test
    void aLieInsideATokenLosesAtThatTokenAndStep() {
        GenerationTranscript lie = stepLie(7, 2);
        GenerationDispute.Ruling r = GenerationDispute.settle(model, honest, witness, lie, null);
        assertEquals(GenerationDispute.Party.A, r.winner(), r.reason());
        assertEquals(7, r.token());
        assertEquals(2, r.step());
        assertEquals(honest.segments().get(7).steps().get(2).name(), r.stepName());
        assertTrue(r.rounds() <= 1 + (int) Math.ceil(Math.log(honest.leafCount()) / Math.log(2)), r.rounds() + " rounds");
        // the same with the parties swapped, and with only the liar's (useless) witness: the honest one's is needed from token 1 on
        assertEquals(GenerationDispute.Party.B, GenerationDispute.settle(model, lie, null, honest, witness).winner());
    }

    @Test
    void aChangedTokenLosesAtItsRecord() {
        List<Segment> segs = new ArrayList<>(honest.segments());
        var r = segs.get(4).record();
        segs.set(4, new Segment(segs.get(4).steps(), new dev.opg.core.generate.TokenRecord(r.index(), r.position(), r.stepCount(), r.inputs(),
                r.outputs(), (r.token() + 1) % model.vocabSize(), r.sketch())));
        List<Integer> tokens = segs.stream().map(x -> x.record().token()).toList();
        GenerationTranscript lie = GenerationTranscript.full(honest.header(), honest.profile(), segs,
                new GenerationEnd(tokens.size(), honest.end().reason(), model.tokenizer().decode(tokens)));
        GenerationDispute.Ruling ruling = GenerationDispute.settle(model, lie, witness, honest, witness);
        assertEquals(GenerationDispute.Party.B, ruling.winner(), ruling.reason());
        assertEquals(4, ruling.token());
        assertEquals(-1, ruling.step());
    }

    @Test
    void disputesNeedTheSameHeaderAndFullTranscripts() {
        GenerationTranscript other = new Generator(model).generate(GenerationRequest.of("And Jacob said",
                new SamplingParams(0.9f, 40, 0.95f, 100, 20, List.of())), null);
        assertThrows(DisputeRefusedException.class, () -> GenerationDispute.settle(model, honest, witness, other, null));
        assertThrows(DisputeRefusedException.class, () -> GenerationDispute.settle(model, honest.toCompact(), witness, stepLie(1, 0), null));
        assertThrows(DisputeRefusedException.class, () -> GenerationDispute.settle(model, honest, witness, honest, witness));
    }
}
