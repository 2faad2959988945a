package dev.opg.verify;

import dev.opg.core.transcript.Granularity;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, classes 1 and 2: a forger who rewrites transcripts and witnesses and recomputes every
 * digest and root, against spot checks and the referee, on a DJL MLP and on Silero VAD v5 (ONNX,
 * 214 steps, graph wiring). Each attack sits beside an honest control that stays VALID (or wins).
 */
class DataflowForgeryTest {
    private static DeterminismProfile profile;
    private static NDManager manager;
    private static Model mlp;
    private static VerifiableModel mlpVm;
    private static Run mlpA;
    private static Run mlpB;

    private static DeterminismProfile onnxProfile;
    private static Model silero;
    private static VerifiableModel sileroVm;
    private static NDManager sileroManager;
    private static Run sileroA;
    private static Run sileroB;

    /** An honest recording: the input it was fed, its transcript, every tensor of its witness, its dataflow. */
    private record Run(NDList input, Transcript transcript, Map<Digest, WitnessTensor> tensors, Dataflow flow) {}

    @BeforeAll
    static void record() throws Exception {
        profile = TestModels.pytorchProfile();
        manager = NDManager.newBaseManager("PyTorch");
        mlp = TestModels.mlp(3);
        mlpVm = VerifiableModel.wrap(mlp, profile, RecordingOptions.full().at(Granularity.NODE).withWitness());
        mlpA = run(mlpVm, TestModels.input(manager, TestModels.MLP_INPUT, 31));
        mlpB = run(mlpVm, TestModels.input(manager, TestModels.MLP_INPUT, 32));
        onnxProfile = TestModels.onnxProfile();
        silero = TestModels.loadOnnx(TestModels.sileroVadV5());
        sileroVm = VerifiableModel.wrap(silero, onnxProfile, RecordingOptions.full().at(Granularity.NODE).withWitness());
        sileroManager = silero.getNDManager().newSubManager();
        sileroA = run(sileroVm, TestModels.sileroInput(sileroManager, 41, 16000));
        sileroB = run(sileroVm, TestModels.sileroInput(sileroManager, 42, 16000));
    }

    private static Run run(VerifiableModel vm, NDList input) {
        Prediction<NDList> p = vm.predict(input);
        Witness w = p.witness().orElseThrow();
        Map<Digest, WitnessTensor> tensors = new HashMap<>();
        for (Step s : p.transcript().steps()) {
            s.inputs().forEach(d -> tensors.put(d, w.tensor(d)));
            s.outputs().forEach(d -> tensors.put(d, w.tensor(d)));
        }
        return new Run(input, p.transcript(), tensors, vm.dataflow(input));
    }

    @AfterAll
    static void close() {
        sileroManager.close();
        sileroVm.close();
        silero.close();
        mlpVm.close();
        mlp.close();
        manager.close();
    }

    // ---- the forger ------------------------------------------------------------------------

    private static Step renumbered(Step s, int index) {
        return Step.full(index, s.name(), s.inputs(), s.outputs());
    }

    private static Map<Digest, WitnessTensor> union(Map<Digest, WitnessTensor> a, Map<Digest, WitnessTensor> b) {
        Map<Digest, WitnessTensor> m = new HashMap<>(a);
        m.putAll(b);
        return m;
    }

    private static VerificationReport spotAll(VerifiableModel vm, Transcript t, Dataflow flow, Map<Digest, WitnessTensor> tensors) {
        try (SpotChecker c = new SpotChecker(new DjlStepExecutor(vm), 1)) {
            return c.check(t, t.root(), flow, TensorSource.of(tensors), IntStream.range(0, t.steps().size()).boxed().toList(),
                    Tolerance.bitwise());
        }
    }

    private static void assertSpotInvalid(VerifiableModel vm, Run honest, Transcript forged, Map<Digest, WitnessTensor> tensors,
            String where) {
        VerificationReport control = spotAll(vm, honest.transcript(), honest.flow(), honest.tensors());
        assertEquals(Verdict.VALID, control.verdict(), control.summary());
        VerificationReport r = spotAll(vm, forged, honest.flow(), tensors);
        assertEquals(Verdict.INVALID, r.verdict(), r.summary());
        assertEquals(where, r.firstFinding().orElseThrow().location(), r.summary());
    }

    // ---- class 1: spot checks check the whole dataflow ------------------------------------

    @Test
    void aFabricatedOutputIsInvalidEvenWhenEveryStepIsReRun() {
        Random r = new Random(1);
        for (Run honest : List.of(mlpA, sileroA)) {
            VerifiableModel vm = honest == mlpA ? mlpVm : sileroVm;
            Transcript t = honest.transcript();
            List<Digest> outs = new ArrayList<>(t.header().outputs());
            WitnessTensor fake = Forger.flipped(honest.tensors().get(outs.get(0)) != null ? honest.tensors().get(outs.get(0))
                    : honest.tensors().values().iterator().next(), r);
            outs.set(0, fake.digest());
            assertSpotInvalid(vm, honest, Forger.withHeader(t, t.header().inputs(), outs), union(honest.tensors(), Map.of(fake.digest(), fake)),
                    "header.OUTPUTS");
        }
    }

    @Test
    void aTranscriptOfAnotherInputIsInvalidBeforeAnythingRuns() {
        for (Run[] pair : new Run[][] {{mlpA, mlpB}, {sileroA, sileroB}}) {
            VerifiableModel vm = pair[0] == mlpA ? mlpVm : sileroVm;
            // B's honest transcript, offered for A's input: every step's arithmetic is right
            assertSpotInvalid(vm, pair[0], pair[1].transcript(), pair[1].tensors(), "header.INPUTS");
        }
    }

    @Test
    void stepsSplicedFromTwoRunsAreInvalidWhereTheWiringBreaks() {
        for (Run[] pair : new Run[][] {{mlpA, mlpB}, {sileroA, sileroB}}) {
            VerifiableModel vm = pair[0] == mlpA ? mlpVm : sileroVm;
            Transcript a = pair[0].transcript();
            Transcript b = pair[1].transcript();
            int cut = a.steps().size() / 2;
            List<Step> steps = new ArrayList<>(a.steps().subList(0, cut));
            steps.addAll(b.steps().subList(cut, b.steps().size()));
            // header: A's inputs, B's outputs; every step correct for its own claimed inputs
            Transcript spliced = Forger.withHeader(Forger.withSteps(a, steps), a.header().inputs(), b.header().outputs());
            VerificationReport r = spotAll(vm, spliced, pair[0].flow(), union(pair[0].tensors(), pair[1].tensors()));
            assertEquals(Verdict.INVALID, r.verdict(), r.summary());
            Divergence d = (Divergence) r.firstFinding().orElseThrow();
            assertEquals(StepField.INPUTS, d.field(), r.summary());
            assertTrue(d.stepIndex() >= cut, "the first spliced step that reads an A value: " + d.stepIndex());
        }
    }

    @Test
    void extraMissingRenamedAndReorderedStepsAreInvalid() {
        for (Run honest : List.of(mlpA, sileroA)) {
            VerifiableModel vm = honest == mlpA ? mlpVm : sileroVm;
            Transcript t = honest.transcript();
            List<Step> s = t.steps();
            int n = s.size();
            // an appended identity step that maps the last output to itself
            List<Step> extra = new ArrayList<>(s);
            Step last = s.get(n - 1);
            extra.add(Step.full(n, "identity", last.outputs(), last.outputs()));
            assertSpotInvalid(vm, honest, Forger.withSteps(t, extra), honest.tensors(), "step[" + n + "].PRESENCE");
            // the last step removed (header outputs then read from the step before)
            assertSpotInvalid(vm, honest, Forger.withHeader(Forger.withSteps(t, s.subList(0, n - 1)), t.header().inputs(), s.get(n - 2).outputs()),
                    honest.tensors(), "step[" + (n - 1) + "].PRESENCE");
            // a renamed step
            List<Step> renamed = new ArrayList<>(s);
            Step x = s.get(1);
            renamed.set(1, Step.full(1, x.name() + "'", x.inputs(), x.outputs()));
            assertSpotInvalid(vm, honest, Forger.withSteps(t, renamed), honest.tensors(), "step[1].NAME");
            // two steps swapped
            List<Step> swapped = new ArrayList<>(s);
            swapped.set(0, renumbered(s.get(1), 0));
            swapped.set(1, renumbered(s.get(0), 1));
            assertSpotInvalid(vm, honest, Forger.withSteps(t, swapped), honest.tensors(), "step[0].NAME");
        }
    }

    /** A Silero step that reads another value of the same dtype and shape than the one the graph wires to it. */
    private record Rewire(int step, int input, Digest other) {}

    private static Rewire rewireCandidate(Run run) {
        Transcript t = run.transcript();
        for (int i = t.steps().size() - 1; i > 0; i--) {
            Step s = t.steps().get(i);
            for (int k = 0; k < s.inputs().size(); k++) {
                WitnessTensor x = run.tensors().get(s.inputs().get(k));
                for (int j = 0; j < i; j++) {
                    for (Digest d : t.steps().get(j).outputs()) {
                        WitnessTensor y = run.tensors().get(d);
                        if (!d.equals(s.inputs().get(k)) && y.dtype() == x.dtype() && Arrays.equals(y.shape(), x.shape())
                                && !s.inputs().contains(d)) {
                            return new Rewire(i, k, d);
                        }
                    }
                }
            }
        }
        throw new AssertionError("no rewiring candidate in Silero");
    }

    /**
     * The forger rewires step {@code w.step} to read {@code w.other}, computes that step's outputs
     * correctly from what it now claims to read, and passes them on to every later reader.
     */
    private static Run rewired(Run honest, Rewire w) {
        Transcript t = honest.transcript();
        Step s = t.steps().get(w.step());
        List<Digest> ins = new ArrayList<>(s.inputs());
        ins.set(w.input(), w.other());
        List<WitnessTensor> fed = ins.stream().map(honest.tensors()::get).toList();
        List<WitnessTensor> outs = new DjlStepExecutor(sileroVm).run(w.step(), s.name(), fed);
        Map<Digest, WitnessTensor> tensors = new HashMap<>(honest.tensors());
        Map<Digest, Digest> replaced = new HashMap<>();
        List<Digest> outDigests = new ArrayList<>();
        for (int k = 0; k < outs.size(); k++) {
            tensors.put(outs.get(k).digest(), outs.get(k));
            replaced.put(s.outputs().get(k), outs.get(k).digest());
            outDigests.add(outs.get(k).digest());
        }
        List<Step> steps = new ArrayList<>(t.steps());
        steps.set(w.step(), Step.full(w.step(), s.name(), ins, outDigests));
        for (int j = w.step() + 1; j < steps.size(); j++) {
            Step x = steps.get(j);
            steps.set(j, Step.full(j, x.name(), x.inputs().stream().map(d -> replaced.getOrDefault(d, d)).toList(), x.outputs()));
        }
        Transcript f = Forger.withHeader(Forger.withSteps(t, steps), t.header().inputs(),
                t.header().outputs().stream().map(d -> replaced.getOrDefault(d, d)).toList());
        return new Run(honest.input(), f, tensors, honest.flow());
    }

    @Test
    void aRewiredOnnxStepWhoseArithmeticIsRightIsInvalidAtItsInputs() {
        Rewire w = rewireCandidate(sileroA);
        Run forged = rewired(sileroA, w);
        assertNotEquals(sileroA.transcript().root(), forged.transcript().root());
        assertSpotInvalid(sileroVm, sileroA, forged.transcript(), forged.tensors(), "step[" + w.step() + "].INPUTS");
        // the step itself re-runs correctly from what it claims: only the wiring shows the lie
        Step s = forged.transcript().steps().get(w.step());
        List<WitnessTensor> in = s.inputs().stream().map(forged.tensors()::get).toList();
        assertEquals(s.outputs(), new DjlStepExecutor(sileroVm).runDigests(w.step(), s.name(), in));
    }

    @Test
    void theReportStatesTheEscapeProbabilityOfALieConfinedToOneStep() {
        try (SpotChecker c = new SpotChecker(new DjlStepExecutor(sileroVm), 1)) {
            Transcript t = sileroA.transcript();
            VerificationReport r = c.check(t, t.root(), sileroA.flow(), TensorSource.of(sileroA.tensors()), List.of(3, 50, 100),
                    Tolerance.bitwise());
            assertEquals(Verdict.VALID, r.verdict(), r.summary());
            String expected = String.format(java.util.Locale.ROOT, "%.4f", 1 - 3.0 / t.steps().size());
            assertTrue(r.notes().stream().anyMatch(n -> n.contains(expected) && n.contains("1 - 3/214")), r.notes().toString());
        }
    }

    // ---- class 2: the referee derives what a step reads from the model ---------------------

    private static Referee referee(Model model, DeterminismProfile p, Run run, Map<Digest, WitnessTensor> tensors, List<AutoCloseable> c) {
        DjlReference ref = new DjlReference(model, p, run.input());
        c.add(ref);
        return new Referee(ref, TensorSource.of(tensors));
    }

    @Test
    void aRewiredSileroStepLosesWhicheverSideItIsOn() throws Exception {
        Rewire w = rewireCandidate(sileroA);
        Run forged = rewired(sileroA, w);
        List<AutoCloseable> closing = new ArrayList<>();
        try {
            Referee referee = referee(silero, onnxProfile, sileroA, union(sileroA.tensors(), forged.tensors()), closing);
            Ruling r = referee.settle(sileroA.transcript(), forged.transcript());
            assertEquals(Ruling.Verdict.FIRST_CORRECT, r.verdict(), r.reason());
            assertEquals(w.step(), r.stepIndex());
            assertEquals(Ruling.Verdict.SECOND_CORRECT, referee.settle(forged.transcript(), sileroA.transcript()).verdict());
            // the honest control: an honest transcript against itself is no dispute
            assertEquals(Ruling.Verdict.NO_DISPUTE, referee.settle(sileroA.transcript(), sileroA.transcript()).verdict());
        } finally {
            for (AutoCloseable a : closing) {
                a.close();
            }
        }
    }

    @Test
    void anAppendedIdentityStepClaimingAnyOutputLoses() throws Exception {
        Random rnd = new Random(7);
        List<AutoCloseable> closing = new ArrayList<>();
        try {
            for (Run honest : List.of(mlpA, sileroA)) {
                Model m = honest == mlpA ? mlp : silero;
                DeterminismProfile p = honest == mlpA ? profile : onnxProfile;
                Transcript t = honest.transcript();
                int n = t.steps().size();
                Step last = t.steps().get(n - 1);
                WitnessTensor fake = Forger.flipped(honest.tensors().get(last.outputs().get(0)), rnd);
                List<Step> steps = new ArrayList<>(t.steps());
                List<Digest> fakeOuts = new ArrayList<>(last.outputs());
                fakeOuts.set(0, fake.digest());
                steps.add(Step.full(n, "identity", last.outputs(), fakeOuts));
                List<Digest> header = new ArrayList<>(t.header().outputs());
                header.replaceAll(d -> d.equals(last.outputs().get(0)) ? fake.digest() : d);
                Transcript forged = Forger.withHeader(Forger.withSteps(t, steps), t.header().inputs(), header);
                Referee referee = referee(m, p, honest, union(honest.tensors(), Map.of(fake.digest(), fake)), closing);
                Ruling r = referee.settle(forged, t);
                assertEquals(Ruling.Verdict.SECOND_CORRECT, r.verdict(), r.reason());
                assertEquals(n, r.stepIndex());
                assertEquals(Ruling.Verdict.FIRST_CORRECT, referee.settle(t, forged).verdict());
            }
        } finally {
            for (AutoCloseable a : closing) {
                a.close();
            }
        }
    }

    @Test
    void headerOutputsThatAreNotTheGraphOutputsLose() throws Exception {
        List<AutoCloseable> closing = new ArrayList<>();
        try {
            Transcript t = sileroA.transcript();
            // claim another step's value (same steps, so only the headers differ)
            Digest other = t.steps().get(t.steps().size() / 2).outputs().get(0);
            List<Digest> outs = new ArrayList<>(t.header().outputs());
            outs.set(0, other);
            Transcript forged = Forger.withHeader(t, t.header().inputs(), outs);
            Referee referee = referee(silero, onnxProfile, sileroA, sileroA.tensors(), closing);
            Ruling r = referee.settle(forged, t);
            assertTrue(r.bisection() instanceof BisectionResult.OutputsOnly, r.bisection().toString());
            assertEquals(Ruling.Verdict.SECOND_CORRECT, r.verdict(), r.reason());
        } finally {
            for (AutoCloseable a : closing) {
                a.close();
            }
        }
    }

    @Test
    void aPartyOffTheAgreedProfileLosesAndTwoOffTheSameProfileAreRefused() throws Exception {
        Transcript t = mlpA.transcript();
        DeterminismProfile other = profile.withSeed(profile.seed() + 1);
        TranscriptHeader h = t.header();
        Transcript offProfile = new Transcript(new TranscriptHeader(h.version(), h.mode(), h.sketchDimension(), h.modelId(), other.digest(), h.inputNames(),
                h.inputs(), h.outputs()), t.steps(), other);
        List<AutoCloseable> closing = new ArrayList<>();
        try {
            Referee referee = referee(mlp, profile, mlpA, mlpA.tensors(), closing);
            Ruling r = referee.settle(t, offProfile);
            assertEquals(Ruling.Verdict.FIRST_CORRECT, r.verdict(), r.reason());
            assertTrue(r.reason().contains("profile"), r.reason());
            assertEquals(Ruling.Verdict.SECOND_CORRECT, referee.settle(offProfile, t).verdict());
            // both under the same other profile: the referee cannot rule under its own, and says so
            Random rnd = new Random(3);
            Step s0 = offProfile.steps().get(0);
            WitnessTensor fake = Forger.flipped(mlpA.tensors().get(s0.outputs().get(0)), rnd);
            List<Step> steps = new ArrayList<>(offProfile.steps());
            steps.set(0, Step.full(0, s0.name(), s0.inputs(), List.of(fake.digest())));
            Transcript offAndWrong = Forger.withSteps(offProfile, steps);
            DisputeRefusedException e = assertThrows(DisputeRefusedException.class, () -> referee.settle(offProfile, offAndWrong));
            assertTrue(e.getMessage().contains(other.digest().hex()), e.getMessage());
        } finally {
            for (AutoCloseable a : closing) {
                a.close();
            }
        }
    }

    @Test
    void sketchDisputesAreRuledByTheirSketchesForTheHonestParty() throws Exception {
        try (VerifiableModel sk = VerifiableModel.wrap(mlp, profile, RecordingOptions.sketch(8).at(Granularity.NODE));
                DjlReference ref = new DjlReference(mlp, profile, mlpA.input())) {
            Transcript honest = sk.predict(mlpA.input()).transcript();
            // the forger changes one sketch value of step 1
            Step s = honest.steps().get(1);
            dev.opg.core.transcript.Sketch k = s.sketches().get(0);
            float[] v = k.values().clone();
            v[0] += 1f;
            List<Step> steps = new ArrayList<>(honest.steps());
            steps.set(1, Step.sketched(1, s.name(), List.of(new dev.opg.core.transcript.Sketch(k.dtype(), k.shape(), v))));
            Transcript forged = Forger.withSteps(honest, steps);
            Referee referee = new Referee(ref, TensorSource.of(Map.of()));
            Ruling r = referee.settle(honest, forged);
            assertEquals(Ruling.Verdict.FIRST_CORRECT, r.verdict(), r.reason());
            assertEquals(1, r.stepIndex());
            assertEquals(Ruling.Verdict.SECOND_CORRECT, referee.settle(forged, honest).verdict(), r.reason());
        }
    }
}
