package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Review of issue 11 classes 1 and 2 from the attacker's side: forgeries against the referee that
 * the dataflow tests do not try (a party that answers the referee from another tree than the one
 * it bisected with, a party that commits in another mode, a witness that shadows the honest one).
 * Every attack sits beside an honest control.
 */
class AttackReviewTest {
    private static DeterminismProfile profile;
    private static NDManager manager;
    private static Model mlp;
    private static VerifiableModel full;
    private static NDList input;
    private static Transcript honest;
    private static Map<Digest, WitnessTensor> tensors;

    @BeforeAll
    static void record() {
        profile = TestModels.pytorchProfile();
        manager = NDManager.newBaseManager("PyTorch");
        mlp = TestModels.mlp(5);
        full = VerifiableModel.wrap(mlp, profile, RecordingOptions.full().at(Granularity.NODE).withWitness());
        input = TestModels.input(manager, TestModels.MLP_INPUT, 51);
        Prediction<NDList> p = full.predict(input);
        honest = p.transcript();
        Witness w = p.witness().orElseThrow();
        tensors = new HashMap<>();
        for (Step s : honest.steps()) {
            s.inputs().forEach(d -> tensors.put(d, w.tensor(d)));
            s.outputs().forEach(d -> tensors.put(d, w.tensor(d)));
        }
    }

    @AfterAll
    static void close() {
        full.close();
        mlp.close();
        manager.close();
    }

    /** The honest transcript with the last step's first output replaced by a flipped copy, header outputs following it. */
    private static Transcript falseLastStep(Random r, Map<Digest, WitnessTensor> into) {
        int n = honest.steps().size();
        Step last = honest.steps().get(n - 1);
        WitnessTensor fake = Forger.flipped(tensors.get(last.outputs().get(0)), r);
        into.put(fake.digest(), fake);
        List<Digest> outs = new ArrayList<>(last.outputs());
        outs.set(0, fake.digest());
        List<Step> steps = new ArrayList<>(honest.steps());
        steps.set(n - 1, Step.full(n - 1, last.name(), last.inputs(), outs));
        List<Digest> header = new ArrayList<>(honest.header().outputs());
        header.replaceAll(d -> d.equals(last.outputs().get(0)) ? fake.digest() : d);
        return Forger.withHeader(Forger.withSteps(honest, steps), honest.header().inputs(), header);
    }

    /**
     * A party that answers the bisection from {@code bisected} and, once it has been asked for its
     * commitment a second time (the referee opening the dispute), answers everything from
     * {@code shown}: both are well-formed trees with recomputed roots.
     */
    private static final class TwoFacedParty implements TranscriptParty {
        private final TranscriptParty bisected;
        private final TranscriptParty shown;
        private int commits;

        TwoFacedParty(Transcript bisected, Transcript shown) {
            this.bisected = TranscriptParty.honest(bisected);
            this.shown = TranscriptParty.honest(shown);
        }

        private TranscriptParty now() {
            return commits <= 1 ? bisected : shown;
        }

        @Override
        public Commitment commit() {
            commits++;
            return now().commit();
        }

        @Override
        public HeaderOpening openHeader(int prefixSize) {
            return now().openHeader(prefixSize);
        }

        @Override
        public Children children(int start, int size) {
            return now().children(start, size);
        }

        @Override
        public StepOpening openStep(int stepIndex) {
            return now().openStep(stepIndex);
        }
    }

    private static Referee referee(DjlReference ref, Map<Digest, WitnessTensor> t) {
        return new Referee(ref, TensorSource.of(t));
    }

    @Test
    void aPartyThatShowsTheRefereeAnotherTreeThanItBisectedWithLoses() {
        Map<Digest, WitnessTensor> all = new HashMap<>(tensors);
        Transcript lie = falseLastStep(new Random(11), all);
        assertNotEquals(honest.root(), lie.root());
        try (DjlReference ref = new DjlReference(mlp, profile, input)) {
            Referee referee = referee(ref, all);
            // control: the plain lie loses on either side
            assertEquals(Ruling.Verdict.FIRST_CORRECT, referee.settle(honest, lie).verdict());
            assertEquals(Ruling.Verdict.SECOND_CORRECT, referee.settle(lie, honest).verdict());
            // the forger bisects with the lie and then shows the referee the honest tree
            Ruling r = referee.settle(TranscriptParty.honest(honest), new TwoFacedParty(lie, honest));
            assertEquals(Ruling.Verdict.FIRST_CORRECT, r.verdict(), r.reason());
            Ruling s = referee.settle(new TwoFacedParty(lie, honest), TranscriptParty.honest(honest));
            assertEquals(Ruling.Verdict.SECOND_CORRECT, s.verdict(), s.reason());
            // only the header's outputs differ in the bisection: the forger shows the honest header afterwards
            Transcript outputsLie = Forger.withHeader(honest, honest.header().inputs(), lie.header().outputs());
            Ruling o = referee.settle(TranscriptParty.honest(honest), new TwoFacedParty(outputsLie, honest));
            assertEquals(Ruling.Verdict.FIRST_CORRECT, o.verdict(), o.reason());
        }
    }

    @Test
    void aPartyThatCommitsInAnotherModeCannotForceARefusal() {
        Map<Digest, WitnessTensor> all = new HashMap<>(tensors);
        try (VerifiableModel sk = VerifiableModel.wrap(mlp, profile, RecordingOptions.sketch(8).at(Granularity.NODE));
                DjlReference ref = new DjlReference(mlp, profile, input)) {
            Transcript sketchHonest = sk.predict(input).transcript();
            // the forger's SKETCH transcript: one sketch value of the last step changed, the root recomputed
            int n = sketchHonest.steps().size();
            Step s = sketchHonest.steps().get(n - 1);
            dev.opg.core.transcript.Sketch k = s.sketches().get(0);
            float[] v = k.values().clone();
            v[0] += 1f;
            List<Step> steps = new ArrayList<>(sketchHonest.steps());
            steps.set(n - 1, Step.sketched(n - 1, s.name(), List.of(new dev.opg.core.transcript.Sketch(k.dtype(), k.shape(), v))));
            Transcript sketchLie = Forger.withSteps(sketchHonest, steps);
            Referee referee = referee(ref, all);
            Ruling r = referee.settle(honest, sketchLie);
            assertEquals(Ruling.Verdict.FIRST_CORRECT, r.verdict(), r.reason());
            assertEquals(Ruling.Verdict.SECOND_CORRECT, referee.settle(sketchLie, honest).verdict());
            // a FULL-mode lie against an honest SKETCH transcript: the honest one wins
            Transcript fullLie = falseLastStep(new Random(12), all);
            assertEquals(Ruling.Verdict.FIRST_CORRECT, referee(ref, all).settle(sketchHonest, fullLie).verdict());
            // control: two honest transcripts in two modes are not a win for either
            Ruling both = referee.settle(honest, sketchHonest);
            assertEquals(Ruling.Verdict.UNDECIDED, both.verdict(), both.reason());
        }
    }

    /**
     * {@code opg bisect} hands the referee one source over both witnesses that answers with the
     * first witness holding a file named by the digest ({@code BisectCommand}); a directory
     * witness's tensor files are not hashed when read, so the forger's witness can hold a wrong
     * tensor under every honest digest and shadow the honest witness.
     */
    @Test
    void aForgersWitnessCannotShadowTheHonestOne() {
        Map<Digest, WitnessTensor> all = new HashMap<>(tensors);
        Transcript lie = falseLastStep(new Random(13), all);
        Random r = new Random(14);
        Map<Digest, WitnessTensor> poisoned = new HashMap<>();
        for (Map.Entry<Digest, WitnessTensor> e : tensors.entrySet()) {
            poisoned.put(e.getKey(), Forger.flipped(e.getValue(), r));
        }
        TensorSource forgers = TensorSource.of(poisoned);
        TensorSource honests = TensorSource.of(all);
        // exactly the combination BisectCommand builds for --witness-a (the forger) and --witness-b
        TensorSource combined = TensorSource.firstOf(List.of(forgers, honests));
        try (DjlReference ref = new DjlReference(mlp, profile, input)) {
            assertEquals(Ruling.Verdict.SECOND_CORRECT, new Referee(ref, honests).settle(lie, honest).verdict());
            Ruling ruling = new Referee(ref, combined).settle(lie, honest);
            assertEquals(Ruling.Verdict.SECOND_CORRECT, ruling.verdict(), ruling.reason());
        }
    }

    // ---- ONNX: two nodes that end up with one step name ------------------------------------

    private static void varint(java.io.ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    private static byte[] field(int number, byte[] payload) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        varint(o, ((long) number << 3) | 2);
        varint(o, payload.length);
        o.writeBytes(payload);
        return o.toByteArray();
    }

    private static byte[] field(int number, String s) {
        return field(number, s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static byte[] varintField(int number, long v) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        varint(o, (long) number << 3);
        varint(o, v);
        return o.toByteArray();
    }

    private static byte[] cat(byte[]... parts) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    private static byte[] node(String name, String op, String in, String out) {
        return field(1, cat(field(1, in), field(2, out), field(3, name), field(4, op)));
    }

    private static byte[] floatValue(String name, long... dims) {
        byte[] shape = new byte[0];
        for (long d : dims) {
            shape = cat(shape, field(1, varintField(1, d)));
        }
        return cat(field(1, name), field(2, field(1, cat(varintField(1, 1), field(2, shape)))));
    }

    /**
     * Four nodes whose names ONNX Runtime accepts (unique or empty) and whose step names collide:
     * node 0 "Relu#3" (Neg), node 1 "Relu#3#3" (Sigmoid), node 2 unnamed Abs ("Abs#2"), node 3
     * unnamed Relu: its base "Relu#3" repeats node 0's name, so it becomes "Relu#3#3", node 1's.
     * Every node reads the model input x; the model returns all four values.
     */
    private static byte[] collidingNames() {
        byte[] graph = cat(node("Relu#3", "Neg", "x", "b"), node("Relu#3#3", "Sigmoid", "x", "c"), node("", "Abs", "x", "d"),
                node("", "Relu", "x", "e"), field(2, "g"), field(11, floatValue("x", 1, 4)), field(12, floatValue("b", 1, 4)),
                field(12, floatValue("c", 1, 4)), field(12, floatValue("d", 1, 4)), field(12, floatValue("e", 1, 4)));
        return cat(varintField(1, 8), field(8, cat(field(1, ""), varintField(2, 13))), field(7, graph));
    }

    @Test
    void twoOnnxNodesWithOneStepNameAreNotConfused() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("opg-attack");
        java.nio.file.Path file = dir.resolve("collide.onnx");
        java.nio.file.Files.write(file, collidingNames());
        DeterminismProfile op = TestModels.onnxProfile();
        try (Model m = TestModels.loadOnnx(file); NDManager mm = m.getNDManager().newSubManager()) {
            NDList x = new NDList(mm.create(new float[] {-1f, 0.5f, 2f, -3f}, new ai.djl.ndarray.types.Shape(1, 4)));
            // what the model computes, by ONNX Runtime on the file itself
            Digest truth;
            try (ai.djl.inference.Predictor<NDList, NDList> pr = m.newPredictor(new ai.djl.translate.NoopTranslator())) {
                truth = WitnessTensor.of(pr.predict(x).get(3)).digest();
            }
            VerifiableModel vm;
            dev.opg.core.transcript.Dataflow flow;
            try {
                vm = VerifiableModel.wrap(m, op, RecordingOptions.full());
                flow = vm.dataflow(x);
            } catch (dev.opg.core.OpgException refused) {
                return; // refusing such a model is a sound answer
            }
            try (vm; SpotChecker c = new SpotChecker(new DjlStepExecutor(vm), 1)) {
                // the forger computes every step with the verifier's own step runner
                WitnessTensor in = WitnessTensor.of(x.get(0));
                Map<Digest, WitnessTensor> ts = new HashMap<>(Map.of(in.digest(), in));
                List<Step> steps = new ArrayList<>();
                List<Digest> outs = new ArrayList<>();
                for (int i = 0; i < flow.steps().size(); i++) {
                    String name = flow.steps().get(i).name();
                    WitnessTensor o = new DjlStepExecutor(vm).run(i, name, List.of(in)).get(0);
                    ts.put(o.digest(), o);
                    steps.add(Step.full(i, name, List.of(in.digest()), List.of(o.digest())));
                    outs.add(o.digest());
                }
                Transcript forged = new Transcript(dev.opg.core.transcript.TranscriptHeader.of(dev.opg.core.transcript.CommitmentMode.FULL,
                        0, flow.modelId(), op.digest(), List.of(in.digest()), outs), steps, op);
                VerificationReport r = c.check(forged, forged.root(), flow, TensorSource.of(ts), List.of(0, 1, 2, 3), Tolerance.bitwise());
                if (outs.get(3).equals(truth)) {
                    assertEquals(Verdict.VALID, r.verdict(), "these are the model's true outputs: " + r.summary());
                } else {
                    assertEquals(Verdict.INVALID, r.verdict(), "header output 3 is not Relu(x), which the model computes: " + r.summary());
                }
            }
        }
    }

    // ---- ONNX: an initializer of a subgraph with the name of a top-level value -------------

    private static byte[] valueInfo(String name, int elemType, long... dims) {
        byte[] shape = new byte[0];
        for (long d : dims) {
            shape = cat(shape, field(1, varintField(1, d)));
        }
        return cat(field(1, name), field(2, field(1, cat(varintField(1, elemType), field(2, shape)))));
    }

    /**
     * w = Relu(x); y = Add(w, x); z = If(cond) then {Identity(w') with w' an initializer named
     * "w" of the then branch} else {Identity(x)}. Outputs y, z. With cond false, the then branch
     * never runs and y is Relu(x) + x.
     */
    private static byte[] shadowedInitializer() {
        byte[] w0 = cat(varintField(1, 1), varintField(1, 4), varintField(2, 1), field(8, "w"),
                field(9, java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(100f).putFloat(200f)
                        .putFloat(300f).putFloat(400f).array()));
        byte[] thenG = cat(node("then_id", "Identity", "w", "t"), field(2, "then"), field(5, w0), field(12, valueInfo("t", 1, 1, 4)));
        byte[] elseG = cat(node("else_id", "Identity", "x", "u"), field(2, "else"), field(12, valueInfo("u", 1, 1, 4)));
        byte[] thenA = cat(field(1, "then_branch"), varintField(20, 5), field(6, thenG));
        byte[] elseA = cat(field(1, "else_branch"), varintField(20, 5), field(6, elseG));
        byte[] ifNode = field(1, cat(field(1, "cond"), field(2, "z"), field(3, "branch"), field(4, "If"), field(5, thenA), field(5, elseA)));
        byte[] graph = cat(node("relu", "Relu", "x", "w"), field(1, cat(field(1, "w"), field(1, "x"), field(2, "y"), field(3, "add"),
                field(4, "Add"))), ifNode, field(2, "g"), field(11, valueInfo("x", 1, 1, 4)), field(11, valueInfo("cond", 9, 1)),
                field(12, valueInfo("y", 1, 1, 4)), field(12, valueInfo("z", 1, 1, 4)));
        return cat(varintField(1, 8), field(8, cat(field(1, ""), varintField(2, 13))), field(7, graph));
    }

    @Test
    void aSubgraphInitializerDoesNotReplaceATopLevelValueOfItsName() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("opg-attack");
        java.nio.file.Path file = dir.resolve("shadow.onnx");
        java.nio.file.Files.write(file, shadowedInitializer());
        DeterminismProfile op = TestModels.onnxProfile();
        Model m;
        try {
            m = TestModels.loadOnnx(file);
        } catch (ai.djl.MalformedModelException refused) {
            return; // ONNX Runtime refuses the file: nothing runs it
        }
        try (m; NDManager mm = m.getNDManager().newSubManager()) {
            NDList x = new NDList(mm.create(new float[] {-1f, 0.5f, 2f, -3f}, new ai.djl.ndarray.types.Shape(1, 4)), mm.create(new boolean[] {false}));
            x.get(0).setName("x");
            x.get(1).setName("cond");
            Digest truth;
            try (ai.djl.inference.Predictor<NDList, NDList> pr = m.newPredictor(new ai.djl.translate.NoopTranslator())) {
                truth = WitnessTensor.of(pr.predict(x).get(0)).digest();
            }
            VerifiableModel vm;
            dev.opg.core.transcript.Dataflow flow;
            try {
                vm = VerifiableModel.wrap(m, op, RecordingOptions.full());
                flow = vm.dataflow(x);
            } catch (dev.opg.core.OpgException refused) {
                return;
            }
            try (vm) {
                int add = -1;
                for (int i = 0; i < flow.steps().size(); i++) {
                    if (flow.steps().get(i).name().equals("add")) {
                        add = i;
                    }
                }
                // the verifier's own re-run of 'add' on the inputs the dataflow gives it
                List<WitnessTensor> ins = new ArrayList<>();
                for (dev.opg.core.transcript.Dataflow.Source src : flow.steps().get(add).inputs()) {
                    ins.add(WitnessTensor.of(x.get(((dev.opg.core.transcript.Dataflow.Source.Input) src).index())));
                }
                assertEquals(2, ins.size() + (flow.steps().get(add).inputs().stream()
                        .anyMatch(src -> src instanceof dev.opg.core.transcript.Dataflow.Source.Output) ? 1 : 0),
                        "'add' reads w (a step output) and x: " + flow.steps().get(add));
                List<Digest> rerun = new DjlStepExecutor(vm).runDigests(add, "add", ins);
                assertEquals(truth, rerun.get(0), "the verifier's 'add' must compute what the model computes");
            }
        }
    }

    @Test
    void aWitnessTensorOfAnotherDtypeOrShapeWithTheSameBytesHasAnotherDigest() {
        byte[] data = new byte[16];
        new Random(15).nextBytes(data);
        data[3] &= 0x3f; // keep the float32 elements finite and ordinary; irrelevant to the digest
        WitnessTensor f = new WitnessTensor(dev.opg.core.tensor.DType.FLOAT32, new long[] {4}, data.clone());
        WitnessTensor reshaped = new WitnessTensor(dev.opg.core.tensor.DType.FLOAT32, new long[] {2, 2}, data.clone());
        WitnessTensor retyped = new WitnessTensor(dev.opg.core.tensor.DType.INT32, new long[] {4}, data.clone());
        WitnessTensor same = new WitnessTensor(dev.opg.core.tensor.DType.FLOAT32, new long[] {4}, data.clone());
        assertEquals(f.digest(), same.digest());
        assertNotEquals(f.digest(), reshaped.digest());
        assertNotEquals(f.digest(), retyped.digest());
        // and a fetch under the float32 digest refuses the others
        assertEquals(true, TensorSource.fetch(d -> Optional.of(reshaped), f.digest()).corrupt());
        assertEquals(true, TensorSource.fetch(d -> Optional.of(retyped), f.digest()).corrupt());
        assertEquals(false, TensorSource.fetch(d -> Optional.of(same), f.digest()).corrupt());
    }
}
