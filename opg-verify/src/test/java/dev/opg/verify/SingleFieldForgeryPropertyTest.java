package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.Sketch;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Random single-field forgeries, every root recomputed, against every verification mode: full
 * re-execution, spot checks of K = 1, L/2 and L steps, tolerant re-execution, SKETCH, and the
 * referee (both sides). None is accepted. The one case a spot check of K < L can miss is a forged
 * output that no step reads and the model does not return (a dead ONNX output): only re-running
 * that step shows it, so it may be VALID exactly when that step was not chosen, and never when it
 * was. The honest transcripts are VALID in every mode (controls).
 */
class SingleFieldForgeryPropertyTest {
    private static final Tolerance TOL = Tolerance.absRel(1e-4, 1e-4);

    /** One forgery: the transcript, the extra witness tensors the forger supplies, the step it touched (or -1). */
    private record Forgery(String kind, Transcript transcript, Map<Digest, WitnessTensor> tensors, int step, boolean deadOutput) {}

    private static Forgery forge(Transcript t, Map<Digest, WitnessTensor> tensors, Random r) {
        List<Step> steps = t.steps();
        int i = r.nextInt(steps.size());
        Step s = steps.get(i);
        List<Digest> all = new ArrayList<>(tensors.keySet());
        all.sort(null);
        switch (r.nextInt(8)) {
            case 0 -> {
                List<Digest> in = new ArrayList<>(t.header().inputs());
                in.set(r.nextInt(in.size()), Forger.randomDigest(r));
                return new Forgery("header input", Forger.withHeader(t, in, t.header().outputs()), Map.of(), -1, false);
            }
            case 1 -> {
                List<Digest> out = new ArrayList<>(t.header().outputs());
                int k = r.nextInt(out.size());
                WitnessTensor fake = Forger.far(tensors.get(out.get(k)), r);
                out.set(k, fake.digest());
                return new Forgery("header output", Forger.withHeader(t, t.header().inputs(), out), Map.of(fake.digest(), fake), -1, false);
            }
            case 2 -> {
                List<Step> l = new ArrayList<>(steps);
                l.set(i, new Step(i, s.name() + (r.nextBoolean() ? "x" : "/"), s.inputs(), s.outputs(), s.sketches()));
                return new Forgery("step name", Forger.withSteps(t, l), Map.of(), i, false);
            }
            case 3 -> {
                if (s.inputs().isEmpty()) {
                    return forge(t, tensors, r);
                }
                List<Digest> in = new ArrayList<>(s.inputs());
                Digest other = all.get(r.nextInt(all.size()));
                in.set(r.nextInt(in.size()), other.equals(in.get(0)) ? Forger.randomDigest(r) : other);
                List<Step> l = new ArrayList<>(steps);
                l.set(i, Step.full(i, s.name(), in, s.outputs()));
                return new Forgery("step input", Forger.withSteps(t, l), Map.of(), i, false);
            }
            case 4 -> {
                List<Digest> out = new ArrayList<>(s.outputs());
                int k = r.nextInt(out.size());
                Digest old = out.get(k);
                WitnessTensor fake = Forger.far(tensors.get(old), r);
                out.set(k, fake.digest());
                List<Step> l = new ArrayList<>(steps);
                l.set(i, Step.full(i, s.name(), s.inputs(), out));
                boolean dead = t.header().outputs().stream().noneMatch(old::equals)
                        && steps.stream().skip(i + 1L).noneMatch(x -> x.inputs().contains(old));
                return new Forgery("step output", Forger.withSteps(t, l), Map.of(fake.digest(), fake), i, dead);
            }
            case 5 -> {
                List<Step> l = new ArrayList<>();
                for (Step x : steps) {
                    if (x.index() != i) {
                        l.add(new Step(l.size(), x.name(), x.inputs(), x.outputs(), x.sketches()));
                    }
                }
                if (l.isEmpty()) {
                    return forge(t, tensors, r);
                }
                return new Forgery("step removed", Forger.withSteps(t, l), Map.of(), i, false);
            }
            case 6 -> {
                List<Step> l = new ArrayList<>(steps.subList(0, i + 1));
                l.add(new Step(i + 1, s.name(), s.inputs(), s.outputs(), s.sketches()));
                for (Step x : steps.subList(i + 1, steps.size())) {
                    l.add(new Step(l.size(), x.name(), x.inputs(), x.outputs(), x.sketches()));
                }
                return new Forgery("step duplicated", Forger.withSteps(t, l), Map.of(), i, false);
            }
            default -> {
                if (i + 1 >= steps.size()) {
                    return forge(t, tensors, r);
                }
                Step n = steps.get(i + 1);
                List<Step> l = new ArrayList<>(steps);
                l.set(i, new Step(i, n.name(), n.inputs(), n.outputs(), n.sketches()));
                l.set(i + 1, new Step(i + 1, s.name(), s.inputs(), s.outputs(), s.sketches()));
                return new Forgery("steps swapped", Forger.withSteps(t, l), Map.of(), i, false);
            }
        }
    }

    private static Map<Digest, WitnessTensor> tensorsOf(Transcript t, Witness w) {
        Map<Digest, WitnessTensor> m = new HashMap<>();
        for (Step s : t.steps()) {
            s.inputs().forEach(d -> m.put(d, w.tensor(d)));
            s.outputs().forEach(d -> m.put(d, w.tensor(d)));
        }
        t.header().outputs().forEach(d -> m.put(d, w.tensor(d)));
        return m;
    }

    private static void fullModes(String label, Model model, DeterminismProfile profile, NDList input, int count, long seed) {
        Map<String, Integer> kinds = new TreeMap<>();
        int deadMisses = 0;
        try (VerifiableModel vm = VerifiableModel.wrap(model, profile, RecordingOptions.full().withWitness());
                Verifier verifier = new Verifier(model, profile);
                SpotChecker spot = new SpotChecker(new DjlStepExecutor(vm), 1);
                DjlReference ref = new DjlReference(model, profile, input)) {
            Prediction<NDList> p = vm.predict(input);
            Transcript honest = p.transcript();
            Map<Digest, WitnessTensor> tensors = tensorsOf(honest, p.witness().orElseThrow());
            Dataflow flow = vm.dataflow(input);
            int l = honest.steps().size();
            List<Integer> ks = List.of(1, Math.max(1, l / 2), l);
            // controls
            assertEquals(Verdict.VALID, verifier.verify(honest, input).verdict(), label);
            assertEquals(Verdict.VALID, verifier.verify(honest, input, TOL, TensorSource.of(tensors)).verdict(), label);
            for (int k : ks) {
                assertEquals(Verdict.VALID, spot.checkRandom(honest, honest.root(), flow, TensorSource.of(tensors), k, seed).verdict(), label);
            }
            Random r = new Random(seed);
            for (int n = 0; n < count; n++) {
                Forgery f = forge(honest, tensors, r);
                Transcript t = f.transcript();
                assertNotEquals(honest.root(), t.root());
                kinds.merge(f.kind(), 1, Integer::sum);
                Map<Digest, WitnessTensor> theirs = new HashMap<>(tensors);
                theirs.putAll(f.tensors());
                String what = label + " #" + n + " " + f.kind() + " at step " + f.step();
                assertNotEquals(Verdict.VALID, verifier.verify(t, input).verdict(), what + " (full)");
                assertNotEquals(Verdict.VALID, verifier.verify(t, input, TOL, TensorSource.of(theirs)).verdict(), what + " (tolerant)");
                for (int k0 : ks) {
                    int k = Math.min(k0, t.steps().size());
                    long s = r.nextLong();
                    VerificationReport rep = spot.checkRandom(t, t.root(), flow, TensorSource.of(theirs), k, s);
                    boolean sampled = SpotChecker.choose(t.steps().size(), k, s).contains(f.step());
                    if (f.deadOutput() && !sampled) {
                        deadMisses += rep.verdict() == Verdict.VALID ? 1 : 0;
                    } else {
                        assertNotEquals(Verdict.VALID, rep.verdict(), what + " (spot K=" + k + "): " + rep.summary());
                    }
                }
                Referee referee = new Referee(ref, TensorSource.of(theirs));
                Ruling a = referee.settle(honest, t);
                assertEquals(Ruling.Verdict.FIRST_CORRECT, a.verdict(), what + " (referee): " + a.reason());
                Ruling b = referee.settle(t, honest);
                assertEquals(Ruling.Verdict.SECOND_CORRECT, b.verdict(), what + " (referee, sides swapped): " + b.reason());
            }
        }
        assertTrue(kinds.size() == 8, label + " covered every kind of forgery: " + kinds);
        org.slf4j.LoggerFactory.getLogger(SingleFieldForgeryPropertyTest.class).info("{}: {} forgeries {}, dead outputs not sampled {}",
                label, count, kinds, deadMisses);
    }

    @Test
    void noSingleFieldForgeryOfAnMlpTranscriptIsAcceptedByAnyMode() {
        DeterminismProfile profile = TestModels.pytorchProfile();
        try (Model mlp = TestModels.mlp(5); NDManager m = NDManager.newBaseManager("PyTorch")) {
            fullModes("mlp", mlp, profile, TestModels.input(m, TestModels.MLP_INPUT, 51), 150, 11);
        }
    }

    @Test
    void noSingleFieldForgeryOfASileroTranscriptIsAcceptedByAnyMode() throws Exception {
        DeterminismProfile profile = TestModels.onnxProfile();
        try (Model silero = TestModels.loadOnnx(TestModels.sileroVadV5()); NDManager m = silero.getNDManager().newSubManager()) {
            fullModes("silero", silero, profile, TestModels.sileroInput(m, 52, 16000), 80, 12);
        }
    }

    @Test
    void noSingleFieldForgeryOfASketchTranscriptIsAccepted() {
        DeterminismProfile profile = TestModels.pytorchProfile();
        try (Model mlp = TestModels.mlp(6); NDManager m = NDManager.newBaseManager("PyTorch");
                VerifiableModel vm = VerifiableModel.wrap(mlp, profile, RecordingOptions.sketch(8));
                Verifier verifier = new Verifier(mlp, profile)) {
            NDList input = TestModels.input(m, TestModels.MLP_INPUT, 61);
            Transcript honest = vm.predict(input).transcript();
            assertEquals(CommitmentMode.SKETCH, honest.header().mode());
            assertEquals(Verdict.VALID, verifier.verify(honest, input).verdict());
            assertEquals(Verdict.VALID, verifier.verify(honest, input, TOL, null).verdict());
            try (DjlReference ref = new DjlReference(mlp, profile, input)) {
                Referee referee = new Referee(ref, TensorSource.of(Map.of()));
                Random r = new Random(13);
                Set<String> seen = new java.util.HashSet<>();
                for (int n = 0; n < 60; n++) {
                    List<Step> steps = new ArrayList<>(honest.steps());
                    int i = r.nextInt(steps.size());
                    Step s = steps.get(i);
                    Transcript t;
                    String kind;
                    switch (r.nextInt(3)) {
                        case 0 -> {
                            Sketch k = s.sketches().get(0);
                            float[] v = k.values().clone();
                            int j = r.nextInt(v.length);
                            v[j] = v[j] + Math.max(1f, Math.abs(v[j])) * (r.nextBoolean() ? 1 : -1); // far beyond the tolerance
                            steps.set(i, Step.sketched(i, s.name(), List.of(new Sketch(k.dtype(), k.shape(), v))));
                            t = Forger.withSteps(honest, steps);
                            kind = "sketch value";
                        }
                        case 1 -> {
                            steps.set(i, Step.sketched(i, s.name() + "x", s.sketches()));
                            t = Forger.withSteps(honest, steps);
                            kind = "step name";
                        }
                        default -> {
                            t = Forger.withHeader(honest, honest.header().inputs(), List.of(Forger.randomDigest(r)));
                            kind = "header output";
                        }
                    }
                    seen.add(kind);
                    String what = "sketch #" + n + " " + kind + " at step " + i;
                    assertNotEquals(Verdict.VALID, verifier.verify(t, input).verdict(), what);
                    assertNotEquals(Verdict.VALID, verifier.verify(t, input, TOL, null).verdict(), what + " (tolerant)");
                    assertEquals(Ruling.Verdict.FIRST_CORRECT, referee.settle(honest, t).verdict(), what + " (referee)");
                    assertEquals(Ruling.Verdict.SECOND_CORRECT, referee.settle(t, honest).verdict(), what + " (referee, swapped)");
                }
                assertEquals(3, seen.size());
            }
        }
    }
}
