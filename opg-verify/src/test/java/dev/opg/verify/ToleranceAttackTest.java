package dev.opg.verify;

import dev.opg.core.transcript.Granularity;
import static dev.opg.core.testmodels.TestValues.floats;
import static dev.opg.core.testmodels.TestValues.with;
import static dev.opg.core.testmodels.TestValues.withFloat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, class 3: a tolerant or SKETCH check measures every claimed value from the verifier's
 * own recomputation, checks the header's outputs in every mode, and a profile no real run can have
 * is INVALID. Each attack is made as a prover would make it: the forged tensors go into the
 * witness, every digest that names them is rewritten and the root recomputed (the transcript is
 * re-encoded and decoded, so it is one the codec accepts). Each sits beside an honest control that
 * stays VALID under the same tolerance, on the repository's real test models (DJL MLP, Silero VAD v5).
 */
class ToleranceAttackTest {
    private static final long INPUT_SEED = 7;
    private static final Tolerance ABS_REL = Tolerance.absRel(1e-5, 1e-3);
    private static final Tolerance WIDE_REL = Tolerance.absRel(0, 0.5);
    private static final List<Tolerance> TOLERANCES = List.of(ABS_REL, WIDE_REL, Tolerance.relative(1e-4), Tolerance.ulps(8),
            Tolerance.absolute(0), Tolerance.absolute(1e-3));

    private static DeterminismProfile profile;
    private static NDManager manager;
    private static Model mlp;
    private static Transcript full;
    private static Witness fullWitness;
    private static Transcript sketch;
    private static Witness sketchWitness;

    @BeforeAll
    static void record() {
        profile = TestModels.pytorchProfile();
        manager = NDManager.newBaseManager("PyTorch");
        mlp = TestModels.mlp(1);
        try (VerifiableModel vf = VerifiableModel.wrap(mlp, profile, RecordingOptions.full().at(Granularity.NODE).withWitness());
                VerifiableModel vs = VerifiableModel.wrap(mlp, profile, RecordingOptions.sketch(8).at(Granularity.NODE).withWitness())) {
            Prediction<NDList> p = vf.predict(input());
            full = p.transcript();
            fullWitness = p.witness().orElseThrow();
            Prediction<NDList> s = vs.predict(input());
            sketch = s.transcript();
            sketchWitness = s.witness().orElseThrow();
        }
    }

    @AfterAll
    static void close() {
        mlp.close();
        manager.close();
    }

    private static NDList input() {
        return TestModels.input(manager, TestModels.MLP_INPUT, INPUT_SEED);
    }

    // ---- the forger -------------------------------------------------------------------------

    /** A forged transcript and the witness tensors the prover hands over with it. */
    private record Forgery(Transcript transcript, Map<Digest, WitnessTensor> tensors) {
        TensorSource source() {
            return TensorSource.of(tensors);
        }
    }

    /** Every tensor of an honest witness, by digest. */
    private static Map<Digest, WitnessTensor> tensorsOf(Witness w) {
        Map<Digest, WitnessTensor> map = new HashMap<>();
        for (Digest d : w.modelInputs()) {
            map.put(d, w.tensor(d));
        }
        for (Digest d : w.modelOutputs()) {
            map.put(d, w.tensor(d));
        }
        for (Witness.StepEntry s : w.steps()) {
            s.inputs().forEach(d -> map.put(d, w.tensor(d)));
            s.outputs().forEach(d -> map.put(d, w.tensor(d)));
        }
        return map;
    }

    /**
     * Replaces the tensor {@code old} by {@code forged} everywhere the transcript names it (step
     * inputs and outputs, the header's outputs), files it in the witness under its own digest and
     * recomputes the root through an encode/decode round trip.
     */
    private static Forgery replace(Transcript t, Witness w, Digest old, WitnessTensor forged) {
        Digest nd = forged.digest();
        assertNotEquals(old, nd);
        List<Step> steps = new ArrayList<>();
        for (Step s : t.steps()) {
            steps.add(s.sketches().isEmpty() ? Step.full(s.index(), s.name(), swap(s.inputs(), old, nd), swap(s.outputs(), old, nd)) : s);
        }
        TranscriptHeader h = t.header();
        TranscriptHeader h2 = new TranscriptHeader(h.version(), h.mode(), h.sketchDimension(), h.modelId(), h.profileDigest(), h.inputNames(),
                h.inputs(), swap(h.outputs(), old, nd));
        Map<Digest, WitnessTensor> tensors = tensorsOf(w);
        tensors.put(nd, forged);
        return new Forgery(roundTrip(new Transcript(h2, steps, t.profile())), tensors);
    }

    private static List<Digest> swap(List<Digest> ds, Digest old, Digest nd) {
        return ds.stream().map(d -> d.equals(old) ? nd : d).toList();
    }

    private static Transcript roundTrip(Transcript t) {
        Transcript again = TranscriptCodec.decode(TranscriptCodec.encode(t));
        assertEquals(t.root(), again.root());
        return again;
    }

    /** The same transcript under another recorded profile (header and profile rewritten, root recomputed). */
    private static Transcript underProfile(Transcript t, DeterminismProfile q) {
        TranscriptHeader h = t.header();
        return roundTrip(new Transcript(new TranscriptHeader(h.version(), h.mode(), h.sketchDimension(), h.modelId(), q.digest(), h.inputNames(),
                h.inputs(), h.outputs()), t.steps(), q));
    }

    private static Forgery underProfile(Forgery f, DeterminismProfile q) {
        return new Forgery(underProfile(f.transcript(), q), f.tensors());
    }


    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** A profile this process cannot reproduce but a real run can have (so the verifier falls back to the tolerance). */
    private static DeterminismProfile otherPlausible() {
        DeterminismProfile q = profile.withCpuCapability("default");
        assertTrue(q.implausibility().isEmpty());
        return q;
    }

    private static VerificationReport verify(Transcript t, Tolerance tol, TensorSource witness) {
        try (Verifier v = new Verifier(mlp, profile)) {
            return v.verify(t, input(), tol, witness);
        }
    }

    private static String location(VerificationReport r) {
        return r.firstFinding().map(Finding::location).orElse(r.verdict().toString());
    }

    // ---- rule 1: bounds from the verifier's value; non-finite values match only themselves ----

    @Test
    void anInfinityInjectedIntoAWitnessOutputIsInvalidUnderEveryTolerance() {
        Digest out = full.header().outputs().get(0);
        WitnessTensor honest = fullWitness.tensor(out);
        float[] logits = floats(honest);
        int loser = argmax(logits) == 0 ? 1 : 0;
        int last = full.steps().size() - 1;
        for (float bad : new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MAX_VALUE}) {
            WitnessTensor forged = withFloat(honest, loser, bad);
            if (bad == Float.POSITIVE_INFINITY || bad == Float.MAX_VALUE) {
                assertEquals(loser, argmax(floats(forged)), "the forgery flips the model's answer");
            }
            Forgery f = replace(full, fullWitness, out, forged);
            for (Forgery g : List.of(f, underProfile(f, otherPlausible()))) {
                for (Tolerance tol : TOLERANCES) {
                    VerificationReport r = verify(g.transcript(), tol, g.source());
                    assertEquals(Verdict.INVALID, r.verdict(), bad + " under " + tol + ": " + r.summary());
                    assertEquals("step[" + last + "].OUTPUTS", location(r), bad + " under " + tol);
                    assertEquals(CheckKind.TOLERANT, r.kind());
                    StepError e = r.stepErrors().get(r.stepErrors().size() - 1);
                    assertFalse(e.withinTolerance());
                }
            }
        }
        // control: the honest transcript and witness, same tolerances, same two profiles
        for (Transcript t : List.of(full, underProfile(full, otherPlausible()))) {
            for (Tolerance tol : TOLERANCES) {
                VerificationReport r = verify(t, tol, TensorSource.of(fullWitness));
                assertEquals(Verdict.VALID, r.verdict(), tol + ": " + r.summary());
                assertEquals(CheckKind.TOLERANT, r.kind());
            }
        }
    }

    @Test
    void anInfinityInAnIntermediateStepIsCaughtAtThatStep() {
        // step 1 (a ReLU) output, which step 2 reads: the forger rewrites both and keeps the rest
        Digest mid = full.steps().get(1).outputs().get(0);
        assertEquals(mid, full.steps().get(2).inputs().get(0));
        Forgery f = replace(full, fullWitness, mid, withFloat(fullWitness.tensor(mid), 3, Float.POSITIVE_INFINITY));
        VerificationReport r = verify(f.transcript(), WIDE_REL, f.source());
        assertEquals("step[1].OUTPUTS", location(r), r.summary());
        VerificationReport honest = verify(full, WIDE_REL, TensorSource.of(fullWitness));
        assertEquals(Verdict.VALID, honest.verdict(), honest.summary());
    }

    @Test
    void aStepInputTheModelDidNotFeedIsCaughtUnderTolerance() {
        // Only step 3's input is changed (by far more than the tolerance), its output left honest:
        // step inputs are compared with what this re-execution fed the step, not taken from the claim.
        Step s3 = full.steps().get(3);
        Digest in = s3.inputs().get(0);
        WitnessTensor forged = withFloat(fullWitness.tensor(in), 0, 1e6f);
        Map<Digest, WitnessTensor> tensors = tensorsOf(fullWitness);
        tensors.put(forged.digest(), forged);
        List<Step> steps = new ArrayList<>(full.steps());
        steps.set(3, Step.full(3, s3.name(), List.of(forged.digest()), s3.outputs()));
        Transcript t = roundTrip(new Transcript(full.header(), steps, full.profile()));
        VerificationReport r = verify(t, ABS_REL, TensorSource.of(tensors));
        assertEquals("step[3].INPUTS", location(r), r.summary());
    }

    @Test
    void aSileroOutputReplacedByNanIsInvalidAndTheHonestOneValid() throws Exception {
        DeterminismProfile onnx = TestModels.onnxProfile();
        try (Model silero = TestModels.loadOnnx(TestModels.sileroVadV5());
                NDManager m = silero.getNDManager().newSubManager();
                VerifiableModel vm = VerifiableModel.wrap(silero, onnx, RecordingOptions.full().at(Granularity.NODE).withWitness());
                Verifier v = new Verifier(silero, onnx)) {
            Prediction<NDList> p = vm.predict(TestModels.sileroInput(m, 11, 16000));
            Transcript t = p.transcript();
            Witness w = p.witness().orElseThrow();
            Digest prob = t.header().outputs().get(0);
            Forgery f = replace(t, w, prob, withFloat(w.tensor(prob), 0, Float.NaN));
            for (Tolerance tol : List.of(ABS_REL, WIDE_REL, Tolerance.ulps(1000))) {
                VerificationReport r = v.verify(f.transcript(), TestModels.sileroInput(m, 11, 16000), tol, f.source());
                assertEquals(Verdict.INVALID, r.verdict(), tol + ": " + r.summary());
                assertTrue(location(r).endsWith(".OUTPUTS") || location(r).equals("header.OUTPUTS"), location(r));
                VerificationReport honest = v.verify(t, TestModels.sileroInput(m, 11, 16000), tol, TensorSource.of(w));
                assertEquals(Verdict.VALID, honest.verdict(), tol + ": " + honest.summary());
                // Silero computes int64 shapes and a boolean branch condition: compared exactly, and equal
                assertEquals(t.steps().size() + 1, honest.stepErrors().size());
            }
        }
    }

    // ---- rule 2: the header's outputs are always checked, SKETCH mode included -----------------

    /** The SKETCH transcript with header output 0 replaced by the digest of {@code forged} (sketches untouched). */
    private static Forgery forgeSketchOutput(WitnessTensor forged) {
        return replace(sketch, sketchWitness, sketch.header().outputs().get(0), forged);
    }

    @Test
    void aForgedSketchHeaderOutputIsNeverValidUnderAnyTolerance() {
        WitnessTensor honest = sketchWitness.tensor(sketch.header().outputs().get(0));
        float[] logits = floats(honest);
        int loser = argmax(logits) == 0 ? 1 : 0;
        WitnessTensor flipped = withFloat(honest, loser, logits[argmax(logits)] + 5f);
        assertEquals(loser, argmax(floats(flipped)));
        Forgery f = forgeSketchOutput(flipped);
        Forgery g = underProfile(f, profile.withSeed(99));
        for (Tolerance tol : List.of(Tolerance.absolute(0), Tolerance.absolute(1e-3), ABS_REL, WIDE_REL, Tolerance.ulps(4))) {
            for (Forgery x : List.of(f, g)) {
                // the prover's forged tensor supplied: hashed, compared with this re-execution's output, refused
                VerificationReport withTensor = verify(x.transcript(), tol, x.source());
                assertEquals(Verdict.INVALID, withTensor.verdict(), tol + ": " + withTensor.summary());
                assertEquals("header.OUTPUTS", location(withTensor), tol + ": " + withTensor.summary());
                // no tensor supplied: the digests differ and cannot be compared, so not VALID
                VerificationReport without = verify(x.transcript(), tol, null);
                assertEquals(Verdict.INCONCLUSIVE, without.verdict(), tol + ": " + without.summary());
                assertTrue(without.notes().get(0).contains("header's outputs [0]"), without.notes().toString());
                // a source without it: the claim is not substantiated
                VerificationReport empty = verify(x.transcript(), tol, TensorSource.of(Map.of()));
                assertEquals("header.OUTPUTS", location(empty), empty.summary());
                // a tensor under the forged digest that does not hash to it
                Digest forgedDigest = x.transcript().header().outputs().get(0);
                VerificationReport lie = verify(x.transcript(), tol, d -> d.equals(forgedDigest)
                        ? java.util.Optional.of(honest) : java.util.Optional.empty());
                assertEquals("header.OUTPUTS", location(lie), lie.summary());
            }
            // the comparator alone (two SKETCH transcripts, same profile) compares the header's outputs too
            assertEquals("header.OUTPUTS", location(TranscriptComparator.compare(f.transcript(), sketch, tol)));
        }
        // controls: the honest SKETCH transcript, with and without its witness, same tolerances and profiles
        for (Tolerance tol : List.of(Tolerance.absolute(0), Tolerance.absolute(1e-3), ABS_REL, WIDE_REL, Tolerance.ulps(4))) {
            for (Transcript t : List.of(sketch, underProfile(sketch, profile.withSeed(99)))) {
                for (TensorSource w : java.util.Arrays.asList(null, TensorSource.of(sketchWitness))) {
                    VerificationReport r = verify(t, tol, w);
                    assertEquals(Verdict.VALID, r.verdict(), tol + ": " + r.summary());
                    assertEquals(CheckKind.TOLERANT, r.kind());
                }
            }
            assertEquals(Verdict.VALID, TranscriptComparator.compare(sketch, sketch, tol).verdict());
        }
    }

    @Test
    void anOutputOffByLessThanTheBoundPassesAndTheReportStatesErrorAndBound() {
        // What other hardware does: the prover's output differs from this machine's in the last bits.
        WitnessTensor honest = sketchWitness.tensor(sketch.header().outputs().get(0));
        float r0 = floats(honest)[2];
        float c0 = Math.nextUp(Math.nextUp(r0));
        Forgery near = forgeSketchOutput(withFloat(honest, 2, c0));
        Tolerance tol = Tolerance.absRel(1e-7, 1e-5);
        VerificationReport r = verify(near.transcript(), tol, near.source());
        assertEquals(Verdict.VALID, r.verdict(), r.summary());
        StepError out = r.stepErrors().get(r.stepErrors().size() - 1);
        assertEquals(StepError.HEADER_OUTPUTS, out.name());
        double err = Math.abs((double) c0 - r0);
        double bound = 1e-7 + 1e-5 * Math.abs((double) r0);
        assertEquals(err, out.maxAbsError());
        assertEquals(2, out.maxUlps());
        assertEquals(err, out.worstError());
        assertEquals(bound, out.worstBound());
        String overall = r.notes().get(r.notes().size() - 1);
        assertTrue(overall.contains("largest abs error " + err + " (header outputs)"), overall);
        assertTrue(overall.contains("against bound " + bound), overall);
        // one bound tighter than the error: the same tensor is refused and the finding says by how much
        Tolerance tight = Tolerance.absolute(err / 2);
        VerificationReport no = verify(near.transcript(), tight, near.source());
        assertEquals("header.OUTPUTS", location(no), no.summary());
        assertTrue(no.firstFinding().orElseThrow().describe().contains("error " + err + " against bound " + err / 2),
                no.firstFinding().orElseThrow().describe());
    }

    // ---- rule 3: a profile no real run can have is INVALID, not INCONCLUSIVE --------------------

    @Test
    void aProfileNoRealRunCanHaveIsInvalidInEveryMode() {
        List<DeterminismProfile> impossible = List.of(with(profile, "os", profile.os() + " "), with(profile, "os", "Linux\u200b"),
                with(profile, "arch", "x86_64"), profile.withCpuCapability("neon"), profile.withCpuCapability("AVX2"),
                with(profile, "engineVersion", "0.0.1"), with(profile, "engine", "PyTorch2"), with(profile, "graphOptimizer", true),
                with(profile, "deterministicAlgorithms", true));
        int[] reproduced = {0};
        for (DeterminismProfile q : impossible) {
            for (Transcript t : List.of(underProfile(full, q), underProfile(sketch, q))) {
                for (Tolerance tol : List.of(Tolerance.bitwise(), Tolerance.absolute(0), ABS_REL, WIDE_REL)) {
                    boolean sk = t.header().mode() == dev.opg.core.transcript.CommitmentMode.SKETCH;
                    VerificationReport r = verify(t, tol, TensorSource.of(sk ? sketchWitness : fullWitness));
                    assertEquals(Verdict.INVALID, r.verdict(), q + " " + tol + ": " + r.summary());
                    assertEquals("header.PROFILE", location(r), r.summary());
                    assertEquals(CheckKind.NONE, r.kind(), "rejected before anything runs");
                    assertTrue(r.firstFinding().orElseThrow().describe().contains("no run recorded by opg has it"), r.summary());
                }
                try (Verifier v = new Verifier(mlp, profile, claimed -> {
                    reproduced[0]++;
                    return claimed;
                })) {
                    assertEquals("header.PROFILE", location(v.verify(t, input())));
                }
            }
        }
        assertEquals(0, reproduced[0], "an impossible profile is never handed to a reproducer");
        // controls: the honest transcripts VALID bitwise; a possible other profile still INCONCLUSIVE bitwise, VALID tolerant
        assertEquals(Verdict.VALID, verify(full, Tolerance.bitwise(), null).verdict());
        assertEquals(Verdict.VALID, verify(sketch, Tolerance.bitwise(), null).verdict());
        VerificationReport other = verify(underProfile(full, otherPlausible()), Tolerance.bitwise(), null);
        assertEquals(Verdict.INCONCLUSIVE, other.verdict(), other.summary());
        assertTrue(other.notes().get(0).contains("weaker claim"), other.notes().toString());
        assertEquals(Verdict.VALID, verify(underProfile(full, otherPlausible()), ABS_REL, TensorSource.of(fullWitness)).verdict());
    }

    @Test
    void aFullTranscriptWithoutAWitnessIsValidUnderToleranceOnlyWhereEveryDigestIsEqual() {
        assertEquals(Verdict.VALID, verify(full, ABS_REL, null).verdict(), "same machine: every digest equal");
        Digest out = full.header().outputs().get(0);
        Forgery f = replace(full, fullWitness, out, withFloat(fullWitness.tensor(out), 0, Math.nextUp(floats(fullWitness.tensor(out))[0])));
        VerificationReport r = verify(f.transcript(), ABS_REL, null);
        assertEquals(Verdict.INCONCLUSIVE, r.verdict(), r.summary());
        assertEquals(Verdict.VALID, verify(f.transcript(), ABS_REL, f.source()).verdict(), "one ulp off, within the bound");
    }
}
