package dev.opg.core.djl;

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
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.Rfc9162;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.ProfileNotAppliedException;
import dev.opg.core.profile.PyTorchProfiles;
import dev.opg.core.sketch.SketchProjector;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Sketch;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.witness.Witness;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifiableModelTest {
    static DeterminismProfile profile;
    static Model mlp;
    static Model cnn;
    static VerifiableModel vmlp;
    static VerifiableModel vcnn;
    static NDManager manager;

    @BeforeAll
    static void load() {
        profile = TestModels.pytorchProfile();
        mlp = TestModels.mlp(1);
        cnn = TestModels.cnn(2);
        vmlp = VerifiableModel.wrap(mlp, profile, RecordingOptions.full().at(Granularity.NODE));
        vcnn = VerifiableModel.wrap(cnn, profile, RecordingOptions.full().at(Granularity.NODE));
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterAll
    static void close() {
        vmlp.close();
        vcnn.close();
        mlp.close();
        cnn.close();
        manager.close();
    }

    static Transcript run(VerifiableModel vm, Shape shape, long inputSeed) {
        try (NDManager m = manager.newSubManager()) {
            return vm.predict(TestModels.input(m, shape, inputSeed)).transcript();
        }
    }

    @Test
    void sameModelInputAndProfileGiveTheSameRootIn20Runs() {
        Digest mlpRoot = run(vmlp, TestModels.MLP_INPUT, 7).root();
        Digest cnnRoot = run(vcnn, TestModels.CNN_INPUT, 7).root();
        for (int i = 0; i < 20; i++) {
            assertEquals(mlpRoot, run(vmlp, TestModels.MLP_INPUT, 7).root(), "mlp run " + i);
            assertEquals(cnnRoot, run(vcnn, TestModels.CNN_INPUT, 7).root(), "cnn run " + i);
        }
    }

    @Test
    void twoSeparateJvmProcessesGiveTheSameRoots() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                "dev.opg.core.testmodels.PrintRoots");
        pb.environment().put(PyTorchProfiles.CPU_CAPABILITY_ENV, profile.cpuCapability());
        pb.redirectErrorStream(false);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                lines.add(l);
            }
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        assertTrue(lines.contains("mlp " + run(vmlp, TestModels.MLP_INPUT, 7).root().hex()), lines.toString());
        assertTrue(lines.contains("cnn " + run(vcnn, TestModels.CNN_INPUT, 7).root().hex()), lines.toString());
        try (VerifiableModel blocks = VerifiableModel.wrap(cnn, profile, RecordingOptions.full())) {
            assertTrue(lines.contains("cnn-block " + run(blocks, TestModels.CNN_INPUT, 7).root().hex()), lines.toString());
        }
    }

    @Test
    void stepsAreLeafBlocksRecursivelyAndChainOutputsToInputs() {
        Transcript t = run(vcnn, TestModels.CNN_INPUT, 7);
        List<String> names = t.steps().stream().map(Step::name).toList();
        assertEquals(List.of("01Conv2d", "02BatchNorm", "03LambdaBlock", "04LambdaBlock", "05SequentialBlock/01Conv2d",
                "05SequentialBlock/02LambdaBlock", "06LambdaBlock", "07Linear"), names);
        for (int i = 1; i < t.steps().size(); i++) {
            assertEquals(t.steps().get(i - 1).outputs(), t.steps().get(i).inputs());
        }
        assertEquals(t.header().inputs(), t.steps().get(0).inputs());
        assertEquals(t.header().outputs(), t.steps().get(t.steps().size() - 1).outputs());
        assertEquals(vcnn.modelId(), t.header().modelId());
        assertEquals(profile.digest(), t.header().profileDigest());
    }

    @Test
    void outputDigestIsTheTensorDigestOfTheReturnedOutput() {
        try (NDManager m = manager.newSubManager()) {
            Prediction<NDList> p = vmlp.predict(TestModels.input(m, TestModels.MLP_INPUT, 3));
            assertEquals(TensorDigest.of(p.output().head()), p.transcript().header().outputs().get(0));
            assertEquals(10, p.output().head().getShape().get(1));
        }
    }

    @Test
    void everyStepInclusionProofVerifiesAgainstTheRoot() {
        Transcript t = run(vcnn, TestModels.CNN_INPUT, 9);
        for (int i = 0; i < t.steps().size(); i++) {
            assertTrue(t.inclusionProof(i).verify(Rfc9162.leafHash(t.steps().get(i).leafData()), t.root()), "step " + i);
        }
    }

    @Test
    void changingOneWeightChangesTheModelIdAndRoot() {
        Digest before = run(vmlp, TestModels.MLP_INPUT, 7).root();
        try (Model other = TestModels.mlp(1)) {
            NDArray w = other.getBlock().getParameters().get(0).getValue().getArray();
            float[] v = w.toFloatArray();
            v[123] = Math.nextUp(v[123]);
            w.set(v);
            try (VerifiableModel vm = VerifiableModel.wrap(other, profile, RecordingOptions.full().at(Granularity.NODE))) {
                assertNotEquals(vmlp.modelId(), vm.modelId());
                assertNotEquals(before, run(vm, TestModels.MLP_INPUT, 7).root());
            }
        }
    }

    @Test
    void changingOneInputElementChangesTheRoot() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = TestModels.input(m, TestModels.MLP_INPUT, 7).head();
            Digest a = vmlp.predict(new NDList(x)).transcript().root();
            float[] v = x.toFloatArray();
            v[500] = Math.nextUp(v[500]);
            Digest b = vmlp.predict(new NDList(m.create(v, TestModels.MLP_INPUT))).transcript().root();
            assertNotEquals(a, b);
        }
    }

    @Test
    void changingTheProfileChangesTheRoot() {
        try (VerifiableModel other = VerifiableModel.wrap(mlp, profile.withSeed(43), RecordingOptions.full().at(Granularity.NODE))) {
            assertNotEquals(run(vmlp, TestModels.MLP_INPUT, 7).root(), run(other, TestModels.MLP_INPUT, 7).root());
        }
    }

    @Test
    void transcriptOfARealModelRoundTripsThroughJson() {
        Transcript t = run(vcnn, TestModels.CNN_INPUT, 7);
        byte[] json = TranscriptCodec.encode(t);
        Transcript back = TranscriptCodec.decode(json);
        assertEquals(t.root(), back.root());
        assertArrayEquals(json, TranscriptCodec.encode(back));
    }

    @Test
    void predictorWithTranslatorRecordsLikeTheRawApi() throws Exception {
        try (NDManager m = manager.newSubManager(); VerifiablePredictor<NDList, NDList> p = vmlp.newPredictor(new NoopTranslator(null))) {
            NDList in = TestModels.input(m, TestModels.MLP_INPUT, 7);
            Prediction<NDList> r = p.predict(in);
            assertEquals(run(vmlp, TestModels.MLP_INPUT, 7).root(), r.transcript().root());
        }
    }

    @Test
    void blockGranularityCommitsEachTopLevelChildAndADescentReproducesItsLeaves() {
        try (VerifiableModel blocks = VerifiableModel.wrap(cnn, profile, RecordingOptions.full().withWitness());
                VerifiableModel output = VerifiableModel.wrap(cnn, profile, RecordingOptions.full().at(Granularity.OUTPUT));
                NDManager m = manager.newSubManager()) {
            NDList x = TestModels.input(m, TestModels.CNN_INPUT, 7);
            Prediction<NDList> p = blocks.predict(x);
            Transcript t = p.transcript();
            Transcript node = run(vcnn, TestModels.CNN_INPUT, 7);
            assertEquals(Granularity.BLOCK, t.header().granularity());
            assertEquals(List.of("02BatchNorm", "03LambdaBlock", "04LambdaBlock", "05SequentialBlock/01Conv2d", "06LambdaBlock", "07Linear"),
                    t.header().cuts(), "a block starts at each child of the top-level sequence");
            assertEquals("05SequentialBlock/01Conv2d .. 05SequentialBlock/02LambdaBlock", t.steps().get(4).name());
            assertEquals(node.steps().size() - 1, t.steps().size());
            // the nested block commits what its last leaf computes, reading what the leaf before it computed
            assertEquals(node.steps().get(5).outputs(), t.steps().get(4).outputs());
            assertEquals(node.steps().get(3).outputs(), t.steps().get(4).inputs());
            assertEquals(node.header().outputs(), t.header().outputs());
            Transcript whole = output.predict(x).transcript();
            assertEquals(1, whole.steps().size());
            assertEquals(node.header().outputs(), whole.header().outputs());
            Witness w = p.witness().orElseThrow();
            try (NDManager s = m.newSubManager()) {
                NDList in = w.stepInputs(s, 4);
                assertEquals(t.steps().get(4).outputs().get(0), TensorDigest.of(blocks.runStep(t.steps().get(4).name(), in).head()));
                try (VerifiableModel down = blocks.descend(x, 4, RecordingOptions.full())) {
                    Transcript sub = down.predict(in).transcript();
                    assertEquals(t.steps().get(4).name(), sub.header().scope());
                    assertEquals(List.of("05SequentialBlock/01Conv2d", "05SequentialBlock/02LambdaBlock"),
                            sub.steps().stream().map(dev.opg.core.transcript.Step::name).toList());
                    assertEquals(node.steps().get(4).outputs(), sub.steps().get(0).outputs());
                    assertEquals(t.steps().get(4).outputs(), sub.header().outputs());
                }
            }
        }
    }

    @Test
    void witnessLetsAVerifierRerunEachStepAloneAndIsCheckedOnLoad(@TempDir Path dir) throws Exception {
        try (VerifiableModel vm = VerifiableModel.wrap(cnn, profile, RecordingOptions.full().at(Granularity.NODE).withWitness());
                NDManager m = manager.newSubManager()) {
            Prediction<NDList> p = vm.predict(TestModels.input(m, TestModels.CNN_INPUT, 7));
            Transcript t = p.transcript();
            assertEquals(run(vcnn, TestModels.CNN_INPUT, 7).root(), t.root());
            Witness w = p.witness().orElseThrow();
            w.writeDirectory(dir.resolve("wdir"));
            w.writeFile(dir.resolve("w.bin"));
            for (Witness loaded : List.of(Witness.readDirectory(dir.resolve("wdir")), Witness.readFile(dir.resolve("w.bin")))) {
                loaded.checkAgainst(t);
                for (int i = 0; i < t.steps().size(); i++) {
                    try (NDManager s = m.newSubManager()) {
                        NDList out = vm.runStep(t.steps().get(i).name(), loaded.stepInputs(s, i));
                        assertEquals(t.steps().get(i).outputs().get(0), TensorDigest.of(out.head()), "step " + i);
                    }
                }
            }
            Path f = Files.list(dir.resolve("wdir/tensors")).findFirst().orElseThrow();
            byte[] b = Files.readAllBytes(f);
            b[b.length - 1] ^= 1;
            Files.write(f, b);
            assertThrows(MalformedInputException.class, () -> Witness.readDirectory(dir.resolve("wdir")));
            byte[] file = Files.readAllBytes(dir.resolve("w.bin"));
            file[file.length - 3] ^= 1;
            Files.write(dir.resolve("w.bin"), file);
            assertThrows(MalformedInputException.class, () -> Witness.readFile(dir.resolve("w.bin")));
            Files.write(dir.resolve("short.bin"), java.util.Arrays.copyOf(file, file.length / 2));
            assertThrows(MalformedInputException.class, () -> Witness.readFile(dir.resolve("short.bin")));
        }
    }

    @Test
    void sketchModeCommitsSeededProjectionsThatMatchAReferenceWithinTolerance() {
        try (VerifiableModel vm = VerifiableModel.wrap(cnn, profile, RecordingOptions.sketch(16).at(Granularity.NODE).withWitness());
                NDManager m = manager.newSubManager()) {
            Prediction<NDList> p = vm.predict(TestModels.input(m, TestModels.CNN_INPUT, 7));
            Transcript t = p.transcript();
            assertEquals(CommitmentMode.SKETCH, t.header().mode());
            assertEquals(t.root(), run(vm, TestModels.CNN_INPUT, 7).root());
            assertNotEquals(t.root(), run(vm, TestModels.CNN_INPUT, 8).root());
            Witness w = p.witness().orElseThrow();
            w.checkAgainst(t);
            for (int i = 0; i < t.steps().size(); i++) {
                Sketch committed = t.steps().get(i).sketches().get(0);
                float[] x = w.stepOutputs(m, i).head().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                float[] ref = SketchProjector.project(x, vm.modelId(), i, 0, 16);
                Sketch reference = new Sketch(committed.dtype(), committed.shape(), ref);
                assertTrue(SketchProjector.withinTolerance(committed, reference, 1e-4, 1e-4), "step " + i);
            }
            assertEquals(t, TranscriptCodec.decode(TranscriptCodec.encode(t)));
        }
    }

    @Test
    void profileThatCannotBeAppliedSaysSo() {
        assertThrows(ProfileNotAppliedException.class, () -> PyTorchProfiles.apply(1, 2, 42));
        assertThrows(ProfileNotAppliedException.class, () -> PyTorchProfiles.require(profile.withCpuCapability("default")));
        assertEquals(profile, PyTorchProfiles.require(profile));
    }

    @Test
    void commitmentHasAnInclusionProofForEveryParameter() {
        var c = vcnn.commitment();
        assertTrue(c.parameters().size() >= 8);
        for (var p : c.parameters()) {
            assertTrue(c.parameterInclusionProof(p.name()).verify(Rfc9162.leafHash(p.leafData()), c.modelId()), p.name());
        }
    }
}
