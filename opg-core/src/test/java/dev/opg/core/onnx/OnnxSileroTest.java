package dev.opg.core.onnx;

import dev.opg.core.transcript.Granularity;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.merkle.Rfc9162;
import dev.opg.core.model.ModelCommitment;
import dev.opg.core.model.ParameterEntry;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.witness.Witness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Silero VAD v5 (npm {@code @ricky0123/vad-web}, a model no one here wrote) recorded one step per ONNX node. */
class OnnxSileroTest {
    private static DeterminismProfile profile;
    private static Model model;
    private static VerifiableModel vm;

    @BeforeAll
    static void load() throws Exception {
        profile = TestModels.onnxProfile();
        model = TestModels.loadOnnx(TestModels.sileroVadV5());
        vm = VerifiableModel.wrap(model, profile, RecordingOptions.full().at(Granularity.NODE).withWitness());
    }

    @AfterAll
    static void close() {
        vm.close();
        model.close();
    }

    private static Prediction<NDList> predict(VerifiableModel v, NDManager m, long seed, long sr) {
        return v.predict(TestModels.sileroInput(m, seed, sr));
    }

    @Test
    void sameModelInputAndProfileGiveTheSameRootTwentyTimesAndTheOutputMatchesDjl() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            Prediction<NDList> first = predict(vm, m, 1, 16000);
            Transcript t = first.transcript();
            assertEquals(ModelCommitment.KIND_ONNX, vm.commitment().kind());
            assertEquals(OnnxProfiles.ENGINE, t.profile().engine());
            assertEquals(214, t.steps().size(), "steps of Silero v5 at 16 kHz");
            Set<String> names = new HashSet<>();
            for (Step s : t.steps()) {
                assertTrue(names.add(s.name()), "step names are unique: " + s.name());
            }
            assertEquals("Constant_0", t.steps().get(0).name());
            assertEquals("Equal_0", t.steps().get(1).name());
            assertTrue(names.stream().anyMatch(n -> n.startsWith("If_0/then_branch/")), "the 16 kHz branch is inlined");
            assertTrue(names.stream().noneMatch(n -> n.startsWith("If_0/else_branch/")));
            assertTrue(t.steps().stream().anyMatch(s -> s.name().contains("LSTM")) || names.size() == 214);
            for (int i = 0; i < 19; i++) {
                assertEquals(t.root(), predict(vm, m, 1, 16000).transcript().root(), "run " + (i + 2));
            }
            // the rewritten graph computes what DJL's own session computes
            NDList djl = model.getBlock().forward(new ParameterStore(m, false), TestModels.sileroInput(m, 1, 16000), false);
            float[] ours = first.output().get(0).toFloatArray();
            float[] theirs = djl.get(0).toFloatArray();
            assertEquals(theirs.length, ours.length);
            for (int i = 0; i < ours.length; i++) {
                assertEquals(theirs[i], ours[i], 1e-5f);
            }
            assertArrayEquals(djl.get(1).getShape().getShape(), first.output().get(1).getShape().getShape());
            // the header's outputs are the last Identity steps' outputs
            assertEquals(t.header().outputs().get(0), TensorDigest.of(first.output().get(0)));
        }
    }

    @Test
    void aChangedInputElementSampleRateOrProfileChangesTheRoot() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            Transcript base = predict(vm, m, 1, 16000).transcript();
            NDList in = TestModels.sileroInput(m, 1, 16000);
            float[] x = in.get(0).toFloatArray();
            x[311] = Math.nextUp(x[311]);
            in.get(0).set(x);
            assertNotEquals(base.root(), vm.predict(in).transcript().root(), "one input element");
            Transcript slow = predict(vm, m, 1, 8000).transcript();
            assertNotEquals(base.root(), slow.root(), "sample rate");
            assertTrue(slow.steps().stream().anyMatch(s -> s.name().startsWith("If_0/else_branch/")), "8 kHz takes the else branch");
            for (DeterminismProfile other : List.of(profile.withSeed(7), profile.withThreads(2, 1), profile.withThreads(1, 2))) {
                try (VerifiableModel v2 = VerifiableModel.wrap(model, other, RecordingOptions.full().at(Granularity.NODE))) {
                    Transcript t2 = predict(v2, m, 1, 16000).transcript();
                    assertNotEquals(base.root(), t2.root(), "profile " + other);
                    assertEquals(base.header().outputs(), t2.header().outputs(), "same bits with other thread counts");
                }
            }
        }
    }

    @Test
    void aChangedWeightChangesTheModelIdAndTheRoot(@TempDir Path dir) throws Exception {
        byte[] file = Files.readAllBytes(TestModels.sileroVadV5());
        List<ParameterEntry> params = vm.commitment().parameters();
        List<ParameterEntry> big = params.stream().filter(p -> TensorDigest.byteLength(p.dtype(), p.shape()) >= 4096).toList();
        assertTrue(big.size() >= 3, "Silero keeps its weights in Constant nodes");
        Transcript base;
        try (NDManager m = model.getNDManager().newSubManager()) {
            base = predict(vm, m, 1, 16000).transcript();
        }
        OnnxGraph g = new OnnxGraph(file, "silero");
        for (ParameterEntry target : List.of(big.get(0), big.get(big.size() / 2), big.get(big.size() - 1))) {
            byte[] changed = flipOneWeightByte(g, file, target.name());
            Path f = dir.resolve(target.name().replaceAll("[^A-Za-z0-9]", "_")).resolve("silero_vad_v5.onnx");
            Files.createDirectories(f.getParent());
            Files.write(f, changed);
            try (Model m2 = TestModels.loadOnnx(f); VerifiableModel v2 = VerifiableModel.wrap(m2, profile, RecordingOptions.full().at(Granularity.NODE));
                    NDManager m = m2.getNDManager().newSubManager()) {
                ModelCommitment c2 = v2.commitment();
                assertNotEquals(vm.modelId(), c2.modelId(), target.name());
                int differing = 0;
                for (ParameterEntry p : c2.parameters()) {
                    if (!p.equals(vm.commitment().parameter(p.name()))) {
                        differing++;
                        assertEquals(target.name(), p.name());
                    }
                }
                assertEquals(1, differing, "exactly the changed weight's leaf differs");
                assertNotEquals(base.root(), predict(v2, m, 1, 16000).transcript().root(), target.name());
            }
        }
    }

    /** The file with one byte of the named Constant's tensor data changed. */
    private static byte[] flipOneWeightByte(OnnxGraph g, byte[] file, String valueName) {
        byte[] raw = findConstant(g.graph, valueName);
        int at = indexOf(file, raw);
        assertTrue(at >= 0 && indexOf(java.util.Arrays.copyOfRange(file, at + 1, file.length), raw) < 0, "weight bytes are unique");
        byte[] changed = file.clone();
        changed[at + 4] ^= 1; // lowest mantissa bit of the second float32 element
        return changed;
    }

    private static byte[] findConstant(Proto graph, String valueName) {
        for (Proto n : graph.messages(OnnxGraph.GRAPH_NODE)) {
            for (Proto a : n.messages(OnnxGraph.NODE_ATTRIBUTE)) {
                if (n.string(OnnxGraph.NODE_OP_TYPE).equals("Constant") && n.strings(OnnxGraph.NODE_OUTPUT).contains(valueName)) {
                    return a.message(OnnxGraph.ATTR_T).bytes(OnnxGraph.T_RAW_DATA);
                }
                for (Proto sg : a.messages(OnnxGraph.ATTR_G)) {
                    byte[] r = findConstant(sg, valueName);
                    if (r != null) {
                        return r;
                    }
                }
            }
        }
        return null;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void everyStepHasAnInclusionProofAndTheTranscriptRoundTripsThroughTheCodec() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            Transcript t = predict(vm, m, 2, 16000).transcript();
            for (int i = 0; i < t.steps().size(); i++) {
                assertTrue(t.inclusionProof(i).verify(Rfc9162.leafHash(t.steps().get(i).leafData()), t.root()), "step " + i);
            }
            Transcript back = TranscriptCodec.decode(TranscriptCodec.encode(t));
            assertEquals(t, back);
            assertEquals(t.root(), back.root());
            assertArrayEquals(TranscriptCodec.encode(t), TranscriptCodec.encode(back));
        }
        for (ParameterEntry p : vm.commitment().parameters()) {
            assertTrue(vm.commitment().parameterInclusionProof(p.name()).verify(Rfc9162.leafHash(p.leafData()), vm.modelId()));
        }
    }

    @Test
    void everyStepReRunsAloneFromTheWitnessWithTheSameOutputBits(@TempDir Path dir) throws Exception {
        for (long sr : new long[] {16000, 8000}) {
            Transcript t;
            Witness w;
            try (NDManager m = model.getNDManager().newSubManager()) {
                Prediction<NDList> p = predict(vm, m, 3, sr);
                t = p.transcript();
                w = p.witness().orElseThrow();
            }
            w.checkAgainst(t);
            w.writeFile(dir.resolve("w" + sr + ".bin"));
            Witness read = Witness.readFile(dir.resolve("w" + sr + ".bin"));
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < t.steps().size(); i++) {
                Step s = t.steps().get(i);
                try (NDManager m = model.getNDManager().newSubManager()) {
                    NDList in = read.stepInputs(m, i);
                    NDList out = vm.runStep(s.name(), in);
                    List<Digest> got = new ArrayList<>();
                    for (NDArray a : out) {
                        got.add(TensorDigest.of(a));
                    }
                    if (!got.equals(s.outputs())) {
                        failures.add(s.name());
                    }
                    out.close();
                }
            }
            assertEquals(List.of(), failures, "steps whose lone re-run differs (sr " + sr + ")");
        }
    }

    @Test
    void badStepRequestsGetTypedErrors() {
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDList none = new NDList(m.create(1f));
            assertThrows(MalformedInputException.class, () -> vm.runStep("no-such-step", none));
            assertThrows(MalformedInputException.class, () -> vm.runStep("Equal_0", none), "Equal takes two inputs");
            assertThrows(MalformedInputException.class, () -> vm.predict(new NDList(m.create(1f))), "three inputs needed");
        }
        assertEquals(List.of(), vm.runner().stepNames(), "step names depend on the input (If)");
    }
}
