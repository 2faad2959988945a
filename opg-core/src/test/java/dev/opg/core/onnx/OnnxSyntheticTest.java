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
import ai.djl.ndarray.types.Shape;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.UnsupportedModelException;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.witness.Witness;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hand-written ONNX graph with initializers (top level and in a branch), unnamed nodes and an If on a model input. */
class OnnxSyntheticTest {
    private static Proto.Field s(int n, String v) {
        return Proto.stringField(n, v);
    }

    private static Proto node(String op, List<String> in, List<String> out, Proto.Field... more) {
        List<Proto.Field> f = new ArrayList<>();
        in.forEach(i -> f.add(s(1, i)));
        out.forEach(o -> f.add(s(2, o)));
        f.add(s(4, op));
        f.addAll(List.of(more));
        return Proto.of(f);
    }

    private static Proto tensor(String name, long[] dims, float[] v) {
        List<Proto.Field> f = new ArrayList<>();
        for (long d : dims) {
            f.add(Proto.varintField(1, d));
        }
        f.add(Proto.varintField(2, 1));
        f.add(s(8, name));
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        f.add(Proto.lenField(9, b.array()));
        return Proto.of(f);
    }

    private static Proto graph(String name, List<Proto> nodes, List<Proto> inits, List<Proto> inputs, List<Proto> outputs) {
        List<Proto.Field> f = new ArrayList<>();
        nodes.forEach(n -> f.add(Proto.messageField(1, n)));
        f.add(s(2, name));
        inits.forEach(t -> f.add(Proto.messageField(5, t)));
        inputs.forEach(v -> f.add(Proto.messageField(11, v)));
        outputs.forEach(v -> f.add(Proto.messageField(12, v)));
        return Proto.of(f);
    }

    private static Proto name(String n) {
        return Proto.of(List.of(s(1, n)));
    }

    /** out = Relu(flag ? (x W + B) * S : -(x W + B)); W [4,3], B [3] top-level initializers, S [3] in the then branch. */
    static byte[] model(float w01) {
        float[] w = new float[12];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i - 5) * 0.25f;
        }
        w[1] = w01;
        Proto then = graph("then", List.of(node("Mul", List.of("y", "S"), List.of("zt"))),
                List.of(tensor("S", new long[] {3}, new float[] {2f, -1f, 0.5f})), List.of(), List.of(name("zt")));
        Proto els = graph("else", List.of(node("Neg", List.of("y"), List.of("ze"))), List.of(), List.of(), List.of(name("ze")));
        Proto ifNode = node("If", List.of("flag"), List.of("z"),
                Proto.messageField(5, Proto.of(List.of(s(1, "then_branch"), Proto.messageField(6, then), Proto.varintField(20, 5)))),
                Proto.messageField(5, Proto.of(List.of(s(1, "else_branch"), Proto.messageField(6, els), Proto.varintField(20, 5)))));
        Proto g = graph("synthetic", List.of(node("MatMul", List.of("x", "W"), List.of("h")), node("Add", List.of("h", "B"), List.of("y")),
                        ifNode, node("Relu", List.of("z"), List.of("out"))),
                List.of(tensor("W", new long[] {4, 3}, w), tensor("B", new long[] {3}, new float[] {0.1f, -0.2f, 0.3f})),
                List.of(OnnxGraph.valueInfo("x", 1, new long[] {1, 4}), OnnxGraph.valueInfo("flag", 9, new long[] {1})),
                List.of(OnnxGraph.valueInfo("out", 1, new long[] {1, 3})));
        Proto opset = Proto.of(List.of(s(1, ""), Proto.varintField(2, 13)));
        return Proto.of(List.of(Proto.varintField(1, 8), s(2, "opg-test"), Proto.messageField(7, g), Proto.messageField(8, opset))).encode();
    }

    private static Path write(Path dir, String sub, byte[] bytes) throws Exception {
        Path f = dir.resolve(sub).resolve("synthetic.onnx");
        Files.createDirectories(f.getParent());
        Files.write(f, bytes);
        return f;
    }

    private static NDList input(NDManager m, boolean flag) {
        return new NDList(m.create(new float[] {0.5f, -1f, 2f, 0.25f}, new Shape(1, 4)), m.create(new boolean[] {flag}, new Shape(1)));
    }

    @Test
    void initializersAreParametersNotStepInputsAndEveryStepReRunsAlone(@TempDir Path dir) throws Exception {
        var profile = TestModels.onnxProfile();
        Transcript base;
        Digest baseId;
        try (Model model = TestModels.loadOnnx(write(dir, "a", model(-1f)));
                VerifiableModel vm = VerifiableModel.wrap(model, profile, RecordingOptions.full().at(Granularity.NODE).withWitness());
                NDManager m = model.getNDManager().newSubManager()) {
            assertEquals(List.of("B", "S", "W"), vm.commitment().parameters().stream().map(p -> p.name()).toList());
            baseId = vm.modelId();
            Prediction<NDList> p = vm.predict(input(m, true));
            base = p.transcript();
            assertEquals(List.of("MatMul#0", "Add#1", "If#2/then_branch/Mul#0", "If#2/then_branch/output:0", "Relu#3"),
                    base.steps().stream().map(Step::name).toList());
            assertEquals(1, base.steps().get(0).inputs().size(), "W is committed in the model id, not as a step input");
            // (x W + B) * S, then Relu, computed by hand
            float[] h = new float[3];
            float[] x = {0.5f, -1f, 2f, 0.25f};
            float[] w = new float[12];
            for (int i = 0; i < 12; i++) {
                w[i] = (i - 5) * 0.25f;
            }
            w[1] = -1f;
            float[] b = {0.1f, -0.2f, 0.3f};
            float[] sc = {2f, -1f, 0.5f};
            for (int j = 0; j < 3; j++) {
                float acc = 0;
                for (int i = 0; i < 4; i++) {
                    acc += x[i] * w[i * 3 + j];
                }
                h[j] = Math.max(0f, (acc + b[j]) * sc[j]);
            }
            assertArrayEquals(h, p.output().get(0).toFloatArray(), 1e-6f);
            Witness wit = p.witness().orElseThrow();
            for (int i = 0; i < base.steps().size(); i++) {
                NDList in = wit.stepInputs(m, i);
                List<Digest> got = new ArrayList<>();
                for (NDArray a : vm.runStep(base.steps().get(i).name(), in)) {
                    got.add(TensorDigest.of(a));
                }
                assertEquals(base.steps().get(i).outputs(), got, base.steps().get(i).name());
            }
            Transcript neg = vm.predict(input(m, false)).transcript();
            assertEquals("If#2/else_branch/Neg#0", neg.steps().get(2).name());
            assertTrue(vm.runner() instanceof OnnxRunner r && r.allStepNames().containsAll(
                    List.of("If#2/then_branch/Mul#0", "If#2/else_branch/Neg#0", "If#2/else_branch/output:0")));
        }
        try (Model model = TestModels.loadOnnx(write(dir, "b", model(Math.nextUp(-1f))));
                VerifiableModel vm = VerifiableModel.wrap(model, profile, RecordingOptions.full().at(Granularity.NODE)); NDManager m = model.getNDManager().newSubManager()) {
            assertNotEquals(baseId, vm.modelId(), "one initializer element");
            assertNotEquals(base.root(), vm.predict(input(m, true)).transcript().root());
        }
    }

    @Test
    void theProtobufCodecGivesBackTheSileroFileByteForByte() throws Exception {
        byte[] file = Files.readAllBytes(TestModels.sileroVadV5());
        assertArrayEquals(file, Proto.parse(file).encode());
        assertThrows(dev.opg.core.MalformedInputException.class, () -> new OnnxGraph(java.util.Arrays.copyOf(file, 1000), "cut"));
    }

    @Test
    void randomNodesWithoutASeedAreRefused(@TempDir Path dir) throws Exception {
        Proto g = graph("rnd", List.of(node("RandomUniform", List.of(), List.of("r"),
                        Proto.messageField(5, Proto.of(List.of(s(1, "shape"), Proto.varintField(8, 2), Proto.varintField(20, 7)))))),
                List.of(), List.of(), List.of(name("r")));
        Proto opset = Proto.of(List.of(s(1, ""), Proto.varintField(2, 13)));
        byte[] bytes = Proto.of(List.of(Proto.varintField(1, 8), Proto.messageField(7, g), Proto.messageField(8, opset))).encode();
        Path f = write(dir, "r", bytes);
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> OnnxRunner.open(f, TestModels.onnxProfile()));
        assertTrue(e.getMessage().contains("RandomUniform#0"), e.getMessage());
    }
}
