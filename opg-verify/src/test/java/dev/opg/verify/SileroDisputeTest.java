package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A dispute over Silero VAD v5 (ONNX, one step per node, 214 steps at 16 kHz): one party changes
 * one step's output (the tensor in its witness and the digest in its transcript, and passes the
 * changed digest on to the steps that read it, as a consistent liar would). The bisection finds
 * that step, and the referee re-runs that one ONNX node from the agreed inputs and rules for the
 * honest party, whichever side it is on.
 */
class SileroDisputeTest {
    private static Model model;
    private static VerifiableModel vm;
    private static NDManager manager;
    private static Transcript honest;
    private static Map<Digest, WitnessTensor> honestTensors;
    private static DjlReference reference;

    @BeforeAll
    static void record() throws Exception {
        model = TestModels.loadOnnx(TestModels.sileroVadV5());
        vm = VerifiableModel.wrap(model, TestModels.onnxProfile(), RecordingOptions.full().at(Granularity.NODE).withWitness());
        manager = model.getNDManager().newSubManager();
        NDList input = TestModels.sileroInput(manager, 21, 16000);
        Prediction<NDList> p = vm.predict(input);
        reference = new DjlReference(model, TestModels.onnxProfile(), input);
        honest = p.transcript();
        Witness w = p.witness().orElseThrow();
        honestTensors = new HashMap<>();
        for (Step s : honest.steps()) {
            for (Digest d : s.inputs()) {
                honestTensors.put(d, w.tensor(d));
            }
            for (Digest d : s.outputs()) {
                honestTensors.put(d, w.tensor(d));
            }
        }
    }

    @AfterAll
    static void close() {
        reference.close();
        manager.close();
        vm.close();
        model.close();
    }

    /** A liar's transcript and witness tensors. */
    private record Lie(Transcript transcript, Map<Digest, WitnessTensor> tensors) {}

    /**
     * Step {@code i}'s first output with one bit flipped: the liar's witness holds the changed
     * tensor, its transcript the changed digest at step {@code i} and wherever a later step (or the
     * header's outputs) reads it; every other digest is left as the honest run computed it.
     */
    private static Lie lieAt(int i, Random r) {
        Step s = honest.steps().get(i);
        Digest d = s.outputs().get(0);
        WitnessTensor t = honestTensors.get(d);
        byte[] data = t.data();
        int bit = r.nextInt(data.length * 8);
        data[bit / 8] ^= (byte) (1 << (bit % 8));
        WitnessTensor changed = new WitnessTensor(t.dtype(), t.shape(), data);
        Digest d2 = changed.digest();
        List<Step> steps = new ArrayList<>(honest.steps());
        List<Digest> outs = new ArrayList<>(s.outputs());
        outs.set(0, d2);
        steps.set(i, Step.full(i, s.name(), s.inputs(), outs));
        for (int j = i + 1; j < steps.size(); j++) {
            Step x = steps.get(j);
            if (x.inputs().contains(d)) {
                steps.set(j, Step.full(j, x.name(), x.inputs().stream().map(y -> y.equals(d) ? d2 : y).toList(), x.outputs()));
            }
        }
        TranscriptHeader h = honest.header();
        TranscriptHeader h2 = new TranscriptHeader(h.version(), h.mode(), h.sketchDimension(), h.modelId(), h.profileDigest(), h.inputNames(), h.inputs(),
                h.outputs().stream().map(y -> y.equals(d) ? d2 : y).toList());
        Map<Digest, WitnessTensor> tensors = new HashMap<>(honestTensors);
        tensors.put(d2, changed);
        return new Lie(new Transcript(h2, steps, honest.profile()), tensors);
    }

    /** Steps with inputs whose first output no other step also produces (so the lie is about exactly one value). */
    private static List<Integer> candidates() {
        Map<Digest, Integer> producers = new HashMap<>();
        for (Step s : honest.steps()) {
            for (Digest d : s.outputs()) {
                producers.merge(d, 1, Integer::sum);
            }
        }
        List<Integer> l = new ArrayList<>();
        for (Step s : honest.steps()) {
            Digest d = s.outputs().get(0);
            if (!s.inputs().isEmpty() && producers.get(d) == 1 && !honest.header().inputs().contains(d)) {
                l.add((int) s.index());
            }
        }
        return l;
    }

    @Test
    void theRefereeReRunsTheOneDisputedOnnxNodeAndRulesForTheHonestParty() {
        assertEquals(214, honest.steps().size());
        List<Integer> cand = candidates();
        assertTrue(cand.size() >= 20, cand.size() + " candidate steps");
        Random r = new Random(20240603L);
        int bound = 2 * (32 - Integer.numberOfLeadingZeros(honest.leafCount() - 1)) + 4;
        List<Integer> targets = new ArrayList<>(List.of(cand.get(0), cand.get(cand.size() - 1)));
        cand.stream().filter(i -> honest.steps().get(i).name().toLowerCase(java.util.Locale.ROOT).contains("conv")).findFirst()
                .ifPresent(targets::add);
        for (int k = 0; k < 4; k++) {
            targets.add(cand.get(r.nextInt(cand.size())));
        }
        for (int i : targets) {
            String name = honest.steps().get(i).name();
            Lie lie = lieAt(i, r);
            BisectionResult b = new Bisector().bisect(TranscriptParty.honest(honest), TranscriptParty.honest(lie.transcript()));
            assertEquals(i, assertInstanceOf(BisectionResult.FirstDifference.class, b, name).stepIndex(), name);
            assertTrue(b.queries() <= bound, b.queries() + " queries > " + bound);
            // the referee may hold the liar's witness only: the agreed inputs are upstream of the lie
            for (TensorSource source : List.of(TensorSource.of(lie.tensors()), TensorSource.of(honestTensors))) {
                Referee referee = new Referee(reference, source);
                Ruling first = referee.settle(honest, lie.transcript());
                assertEquals(Ruling.Verdict.FIRST_CORRECT, first.verdict(), name + ": " + first.reason());
                assertEquals(i, first.stepIndex(), name);
                Ruling second = referee.settle(lie.transcript(), honest);
                assertEquals(Ruling.Verdict.SECOND_CORRECT, second.verdict(), name + ": " + second.reason());
                assertEquals(i, second.stepIndex(), name);
            }
        }
    }

    @Test
    void twoDifferentLiesAboutTheSameNodeAreBothWrongAndEqualTranscriptsAreNoDispute() {
        List<Integer> cand = candidates();
        int i = cand.get(cand.size() / 2);
        Random r = new Random(20240604L);
        Lie a = lieAt(i, r);
        Lie b;
        do {
            b = lieAt(i, r);
        } while (b.transcript().root().equals(a.transcript().root()));
        Map<Digest, WitnessTensor> both = new HashMap<>(a.tensors());
        both.putAll(b.tensors());
        Referee referee = new Referee(reference, TensorSource.of(both));
        Ruling ruling = referee.settle(a.transcript(), b.transcript());
        assertEquals(Ruling.Verdict.BOTH_WRONG, ruling.verdict(), ruling.reason());
        assertEquals(i, ruling.stepIndex());
        assertEquals(Ruling.Verdict.NO_DISPUTE, referee.settle(honest, honest).verdict());
    }
}
