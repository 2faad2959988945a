package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Dataflow;
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
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Attacks on transcripts at block and output granularity (Silero VAD v5, a third-party ONNX graph),
 * each beside an honest control that stays VALID: a forged block output whose downstream blocks
 * were recomputed honestly from it (full re-execution and spot checks of every block catch it at
 * that block), a recorded partition the model cannot have (a cut naming no node step, cuts out of
 * order), a granularity field rewritten under the same steps, and a descent's scope on a
 * whole-model transcript. Every forged transcript has its root recomputed.
 */
class BlockGranularityAttackTest {
    private static DeterminismProfile profile;
    private static Model silero;
    private static VerifiableModel vm;
    private static NDManager manager;
    private static NDList input;
    private static Transcript honest;
    private static Map<Digest, WitnessTensor> tensors;

    @BeforeAll
    static void record() throws Exception {
        profile = TestModels.onnxProfile();
        silero = TestModels.loadOnnx(TestModels.sileroVadV5());
        vm = VerifiableModel.wrap(silero, profile, RecordingOptions.full().withWitness());
        manager = silero.getNDManager().newSubManager();
        input = TestModels.sileroInput(manager, 41, 16000);
        Prediction<NDList> p = vm.predict(input);
        honest = p.transcript();
        Witness w = p.witness().orElseThrow();
        tensors = new HashMap<>();
        for (Step s : honest.steps()) {
            s.inputs().forEach(d -> tensors.put(d, w.tensor(d)));
            s.outputs().forEach(d -> tensors.put(d, w.tensor(d)));
        }
        assertEquals(Granularity.BLOCK, honest.header().granularity());
        assertTrue(honest.steps().size() > 4 && honest.steps().size() < 40, "Silero's 214 nodes in a few blocks: " + honest.steps().size());
    }

    @AfterAll
    static void close() {
        manager.close();
        vm.close();
        silero.close();
    }

    private static VerificationReport verify(Transcript t) {
        try (Verifier v = new Verifier(silero, profile)) {
            return v.verify(t, input);
        }
    }

    private static VerificationReport spotAll(Transcript t, Map<Digest, WitnessTensor> ts) {
        Dataflow flow = vm.dataflow(input);
        try (SpotChecker c = new SpotChecker(new DjlStepExecutor(vm), 1)) {
            return c.check(t, t.root(), flow, TensorSource.of(ts), IntStream.range(0, t.steps().size()).boxed().toList(), Tolerance.bitwise());
        }
    }

    private static Transcript withHeader(TranscriptHeader h) {
        return new Transcript(h, honest.steps(), honest.profile());
    }

    @Test
    void honestBlockTranscriptIsValidUnderFullAndSpotChecks() {
        assertEquals(Verdict.VALID, verify(honest).verdict(), verify(honest).summary());
        VerificationReport s = spotAll(honest, tensors);
        assertEquals(Verdict.VALID, s.verdict(), s.summary());
        assertEquals(honest.steps().size(), s.stepsChecked());
    }

    @Test
    void aForgedBlockOutputWithHonestDownstreamIsFoundAtThatBlock() {
        int i = 2;
        Step target = honest.steps().get(i);
        Map<Digest, WitnessTensor> forgedTensors = new HashMap<>(tensors);
        Map<Digest, Digest> replaced = new HashMap<>();
        WitnessTensor lie = Forger.far(tensors.get(target.outputs().get(0)), new Random(5));
        replaced.put(target.outputs().get(0), lie.digest());
        forgedTensors.put(lie.digest(), lie);
        // The forger computes every later block honestly from the false value, so only block i lies.
        List<Step> steps = new ArrayList<>(honest.steps().subList(0, i));
        steps.add(Step.full(i, target.name(), target.inputs(), target.outputs().stream().map(d -> replaced.getOrDefault(d, d)).toList()));
        try (NDManager m = manager.newSubManager()) {
            for (int j = i + 1; j < honest.steps().size(); j++) {
                Step s = honest.steps().get(j);
                List<Digest> ins = s.inputs().stream().map(d -> replaced.getOrDefault(d, d)).toList();
                NDList in = new NDList();
                for (Digest d : ins) {
                    in.add(forgedTensors.get(d).toNDArray(m));
                }
                NDList out = vm.runStep(s.name(), in);
                List<Digest> outs = new ArrayList<>();
                for (int k = 0; k < out.size(); k++) {
                    WitnessTensor w = WitnessTensor.of(out.get(k));
                    forgedTensors.put(w.digest(), w);
                    if (!w.digest().equals(s.outputs().get(k))) {
                        replaced.put(s.outputs().get(k), w.digest());
                    }
                    outs.add(w.digest());
                }
                steps.add(Step.full(j, s.name(), ins, outs));
                for (NDArray a : in) {
                    a.close();
                }
            }
        }
        TranscriptHeader h = honest.header();
        Transcript forged = new Transcript(h.withOutputs(h.outputs().stream().map(d -> replaced.getOrDefault(d, d)).toList()), steps,
                honest.profile());
        VerificationReport full = verify(forged);
        assertEquals(Verdict.INVALID, full.verdict(), full.summary());
        assertEquals("step[" + i + "].OUTPUTS", full.firstFinding().orElseThrow().location(), full.summary());
        VerificationReport spot = spotAll(forged, forgedTensors);
        assertEquals(Verdict.INVALID, spot.verdict(), spot.summary());
        assertTrue(spot.firstFinding().orElseThrow().location().startsWith("step[" + i + "]"), spot.summary());
        // control: the same spot check of the honest transcript with the forger's extra tensors is VALID
        assertEquals(Verdict.VALID, spotAll(honest, forgedTensors).verdict());
    }

    @Test
    void aPartitionTheModelCannotHaveIsInvalidBeforeExecution() {
        TranscriptHeader h = honest.header();
        List<String> cuts = h.cuts();
        List<Transcript> forged = List.of(
                withHeader(h.withPartition(Granularity.BLOCK, List.of("no-such-node"))),
                withHeader(h.withPartition(Granularity.BLOCK, List.of(cuts.get(1), cuts.get(0)))));
        for (Transcript f : forged) {
            VerificationReport r = verify(f);
            assertEquals(Verdict.INVALID, r.verdict(), r.summary());
            assertEquals("header.GRANULARITY", r.firstFinding().orElseThrow().location(), r.summary());
        }
        // control: another valid partition is the prover's choice; proved honestly under it, it verifies
        try (VerifiableModel other = VerifiableModel.wrap(silero, profile, RecordingOptions.full().partition(List.of(cuts.get(1))))) {
            Transcript t = other.predict(input).transcript();
            assertEquals(List.of(cuts.get(1)), t.header().cuts());
            assertEquals(2, t.steps().size());
            assertEquals(Verdict.VALID, verify(t).verdict());
        }
    }

    @Test
    void aRewrittenGranularityOrAScopeIsInvalid() {
        TranscriptHeader h = honest.header();
        VerificationReport asOutput = verify(withHeader(h.withPartition(Granularity.OUTPUT, List.of())));
        assertEquals(Verdict.INVALID, asOutput.verdict(), asOutput.summary());
        VerificationReport asNode = verify(withHeader(h.withPartition(Granularity.NODE, List.of())));
        assertEquals(Verdict.INVALID, asNode.verdict(), asNode.summary());
        TranscriptHeader scoped = new TranscriptHeader(h.version(), h.mode(), h.sketchDimension(), Granularity.NODE,
                honest.steps().get(1).name(), List.of(), h.modelId(), h.profileDigest(), h.inputNames(), h.inputs(), h.outputs());
        VerificationReport r = verify(withHeader(scoped));
        assertEquals(Verdict.INVALID, r.verdict(), r.summary());
        assertEquals("header.GRANULARITY", r.firstFinding().orElseThrow().location(), r.summary());
        assertEquals(Verdict.VALID, verify(honest).verdict());
    }

    @Test
    void theOnePolicyAnswersSpotChecksAsTheVerifierAnswersFullOnes() {
        TensorSource w = TensorSource.of(tensors);
        VerificationReport ok = CheckPolicy.check(silero, profile, null, CheckPolicy.Request.spot(honest, input, w, 3, 7));
        assertEquals(Verdict.VALID, ok.verdict(), ok.summary());
        assertEquals(3, ok.stepsChecked());
        assertTrue(ok.notes().stream().anyMatch(n -> n.contains("chosen by seed 7")), ok.notes().toString());
        assertEquals(Verdict.VALID, CheckPolicy.check(silero, profile, null, CheckPolicy.Request.full(honest, input)).requireValid().verdict());
        // without the witness nothing can be re-run: INCONCLUSIVE, which requireValid refuses
        VerificationReport none = CheckPolicy.check(silero, profile, null, CheckPolicy.Request.spot(honest, input, null, 3, 7));
        assertEquals(Verdict.INCONCLUSIVE, none.verdict());
        org.junit.jupiter.api.Assertions.assertThrows(VerificationFailedException.class, none::requireValid);
        // a partition the model cannot have is INVALID before anything runs, as under full verification
        Transcript bogus = withHeader(honest.header().withPartition(Granularity.BLOCK, List.of("no-such-node")));
        VerificationReport r = CheckPolicy.check(silero, profile, null, CheckPolicy.Request.spot(bogus, input, w, 3, 7));
        assertEquals(Verdict.INVALID, r.verdict(), r.summary());
        assertEquals("header.GRANULARITY", r.firstFinding().orElseThrow().location());
        // a forged output of the last block is found when that block is sampled (K = L)
        int last = honest.steps().size() - 1;
        Step s = honest.steps().get(last);
        List<Step> steps = new ArrayList<>(honest.steps().subList(0, last));
        steps.add(Step.full(last, s.name(), s.inputs(), List.of(Forger.randomDigest(new Random(3)), s.outputs().get(1))));
        Transcript forged = new Transcript(honest.header().withOutputs(List.of(steps.get(last).outputs().get(0), s.outputs().get(1))),
                steps, honest.profile());
        VerificationReport f = CheckPolicy.check(silero, profile, null, CheckPolicy.Request.spot(forged, input, w, last + 1, 7));
        assertEquals(Verdict.INVALID, f.verdict(), f.summary());
    }

    /** A model whose plan does not depend on its input (a DJL block tree) knows its blocks early: bogus cuts must still be INVALID. */
    @Test
    void bogusCutsOnAFixedPlanModelAreInvalidUnderTheSpotCheckToo() {
        DeterminismProfile pt = TestModels.pytorchProfile();
        try (Model cnn = TestModels.cnn(2); VerifiableModel v = VerifiableModel.wrap(cnn, pt, RecordingOptions.full().withWitness());
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDList x = TestModels.input(m, TestModels.CNN_INPUT, 7);
            Prediction<NDList> p = v.predict(x);
            Transcript t = p.transcript();
            TensorSource w = TensorSource.of(p.witness().orElseThrow());
            assertEquals(Verdict.VALID, CheckPolicy.check(cnn, pt, null, CheckPolicy.Request.spot(t, x, w, 2, 1)).verdict());
            Transcript bogus = new Transcript(t.header().withPartition(Granularity.BLOCK, List.of("07Linear", "02BatchNorm")), t.steps(),
                    t.profile());
            VerificationReport r = CheckPolicy.check(cnn, pt, null, CheckPolicy.Request.spot(bogus, x, w, 2, 1));
            assertEquals(Verdict.INVALID, r.verdict(), r.summary());
            assertEquals("header.GRANULARITY", r.firstFinding().orElseThrow().location());
            assertEquals(Verdict.INVALID, CheckPolicy.check(cnn, pt, null, CheckPolicy.Request.full(bogus, x)).verdict());
        }
    }
}
