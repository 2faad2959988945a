package dev.opg.core.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.djl.UnsupportedModelException;
import dev.opg.core.testmodels.TestModels;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, class 4 (ONNX) and class 7: a tensor that makes ONNX Runtime read bytes from a file
 * next to the model, in any encoding the protobuf parser accepts, is refused; so are random
 * operators, seeded or not. Every attack model is written byte by byte here, beside an honest
 * control built the same way that opens.
 */
class OnnxOutsideReferenceTest {
    /** Bytes appended to an encoded TensorProto; each can mark it external for some reader. */
    private static final Map<String, byte[]> EXTERNAL_MARKS = Map.ofEntries(
            Map.entry("data_location=1", bytes(0x70, 0x01)),
            Map.entry("data_location 0 then 1 (last wins)", bytes(0x70, 0x00, 0x70, 0x01)),
            Map.entry("data_location 1 with a redundant continuation byte", bytes(0x70, 0x81, 0x00)),
            Map.entry("data_location 1 in a 10-byte varint", bytes(0x70, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)),
            Map.entry("data_location=2", bytes(0x70, 0x02)),
            Map.entry("data_location=257 (low byte 1)", bytes(0x70, 0x81, 0x02)),
            Map.entry("data_location as a length-delimited field", bytes(0x72, 0x01, 0x01)),
            Map.entry("data_location as fixed32", bytes(0x75, 0x01, 0x00, 0x00, 0x00)),
            Map.entry("data_location as fixed64", bytes(0x71, 0x01, 0, 0, 0, 0, 0, 0, 0)),
            Map.entry("external_data entry, no data_location", externalDataEntry()));

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    /** Field 13: StringStringEntryProto {key "location", value "w.bin"}. */
    private static byte[] externalDataEntry() {
        byte[] entry = Proto.of(List.of(Proto.stringField(1, "location"), Proto.stringField(2, "w.bin"))).encode();
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(0x6a);
        o.write(entry.length);
        o.writeBytes(entry);
        return o.toByteArray();
    }

    private static Proto withMark(Proto tensor, byte[] mark) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(tensor.encode());
        o.writeBytes(mark);
        return Proto.parse(o.toByteArray());
    }

    private static Proto tensor(String name, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return Proto.of(List.of(Proto.varintField(1, v.length), Proto.varintField(2, 1), Proto.stringField(8, name),
                Proto.lenField(9, b.array())));
    }

    private static Proto node(String op, List<String> in, List<String> out, Proto.Field... attrs) {
        List<Proto.Field> f = new ArrayList<>();
        in.forEach(i -> f.add(Proto.stringField(1, i)));
        out.forEach(o -> f.add(Proto.stringField(2, o)));
        f.add(Proto.stringField(4, op));
        f.addAll(List.of(attrs));
        return Proto.of(f);
    }

    private static Proto attr(String name, int type, Proto.Field value) {
        return Proto.of(List.of(Proto.stringField(1, name), value, Proto.varintField(20, type)));
    }

    private static byte[] model(Proto graph) {
        Proto opset = Proto.of(List.of(Proto.stringField(1, ""), Proto.varintField(2, 13)));
        return Proto.of(List.of(Proto.varintField(1, 8), Proto.messageField(7, graph), Proto.messageField(8, opset))).encode();
    }

    private static Proto graph(List<Proto> nodes, List<Proto.Field> more) {
        List<Proto.Field> f = new ArrayList<>();
        nodes.forEach(n -> f.add(Proto.messageField(1, n)));
        f.add(Proto.stringField(2, "g"));
        f.addAll(more);
        f.add(Proto.messageField(11, OnnxGraph.valueInfo("x", 1, new long[] {3})));
        f.add(Proto.messageField(12, OnnxGraph.valueInfo("out", 1, new long[] {3})));
        return Proto.of(f);
    }

    /** out = x + W, W an initializer. */
    private static byte[] initializerModel(Function<Proto, Proto> w) {
        return model(graph(List.of(node("Add", List.of("x", "W"), List.of("out"))),
                List.of(Proto.messageField(5, w.apply(tensor("W", new float[] {1f, 2f, 3f}))))));
    }

    /** out = x + C, C a Constant node's value. */
    private static byte[] constantModel(Function<Proto, Proto> c) {
        Proto constant = node("Constant", List.of(), List.of("C"), Proto.messageField(5,
                attr("value", 4, Proto.messageField(5, c.apply(tensor("C", new float[] {1f, 2f, 3f}))))));
        return model(graph(List.of(constant, node("Add", List.of("x", "C"), List.of("out"))), List.of()));
    }

    private static Path write(Path dir, String name, byte[] bytes) throws Exception {
        Path f = dir.resolve(name.replaceAll("[^A-Za-z0-9]", "_") + ".onnx");
        Files.write(f, bytes);
        // the file an external reference would name: present, so only opg's refusal stops the load
        Files.write(dir.resolve("w.bin"), new byte[12]);
        return f;
    }

    private static void assertRefused(Path f, String what) {
        OpgException e = assertThrows(OpgException.class, () -> OnnxRunner.open(f, TestModels.onnxProfile()).close(), what);
        assertTrue(e instanceof UnsupportedModelException || e instanceof MalformedInputException, what + ": " + e);
        assertTrue(e.getMessage().contains("external data") || e.getMessage().contains("merge"), what + ": " + e.getMessage());
    }

    @Test
    void honestControlsOpenAndAnExplicitDefaultLocationIsAccepted(@TempDir Path dir) throws Exception {
        for (byte[] bytes : List.of(initializerModel(t -> t), constantModel(t -> t),
                initializerModel(t -> withMark(t, bytes(0x70, 0x00))))) {
            try (OnnxRunner r = OnnxRunner.open(write(dir, "honest" + bytes.length, bytes), TestModels.onnxProfile())) {
                assertEquals(1, r.commitment().parameters().size());
            }
        }
    }

    @Test
    void everyExternalMarkOnAnInitializerIsRefused(@TempDir Path dir) throws Exception {
        for (var e : EXTERNAL_MARKS.entrySet()) {
            assertRefused(write(dir, "init " + e.getKey(), initializerModel(t -> withMark(t, e.getValue()))), e.getKey());
        }
    }

    @Test
    void everyExternalMarkOnAConstantValueIsRefused(@TempDir Path dir) throws Exception {
        for (var e : EXTERNAL_MARKS.entrySet()) {
            assertRefused(write(dir, "const " + e.getKey(), constantModel(t -> withMark(t, e.getValue()))), e.getKey());
        }
    }

    @Test
    void externalTensorsInAttributesSubgraphsAndSparseTensorsAreRefused(@TempDir Path dir) throws Exception {
        byte[] mark = EXTERNAL_MARKS.get("data_location=1");
        Proto ext = withMark(tensor("T", new float[] {1f, 2f, 3f}), mark);
        // attribute `tensors` (field 10) of a node ONNX Runtime would not even run
        Proto tensorsAttr = node("Identity", List.of("x"), List.of("out"), Proto.messageField(5, attr("junk", 9, Proto.messageField(10, ext))));
        assertRefused(write(dir, "tensors", model(graph(List.of(tensorsAttr), List.of()))), "attribute tensors");
        // sparse Constant value: values (field 1) external
        Proto sparse = Proto.of(List.of(Proto.messageField(1, ext), Proto.messageField(2,
                Proto.of(List.of(Proto.varintField(1, 3), Proto.varintField(2, 7), Proto.lenField(9, new byte[24])))),
                Proto.varintField(3, 3)));
        Proto sparseConst = node("Constant", List.of(), List.of("C"), Proto.messageField(5, attr("sparse_value", 11, Proto.messageField(22, sparse))));
        assertRefused(write(dir, "sparse", model(graph(List.of(sparseConst, node("Add", List.of("x", "C"), List.of("out"))), List.of()))),
                "sparse tensor");
        // an initializer of a branch subgraph
        Proto branch = Proto.of(List.of(Proto.messageField(1, node("Identity", List.of("x"), List.of("y"))), Proto.stringField(2, "b"),
                Proto.messageField(5, ext), Proto.messageField(12, OnnxGraph.valueInfo("y", 1, new long[] {3}))));
        Proto ifNode = node("If", List.of("flag"), List.of("out"),
                Proto.messageField(5, attr("then_branch", 5, Proto.messageField(6, branch))),
                Proto.messageField(5, attr("else_branch", 5, Proto.messageField(6, branch))));
        assertRefused(write(dir, "branch", model(graph(List.of(ifNode), List.of()))), "subgraph initializer");
    }

    @Test
    void aGraphGivenTwiceIsRefused(@TempDir Path dir) throws Exception {
        // protobuf merges the two: ONNX Runtime would load W from the second, uncommitted graph field
        byte[] honest = initializerModel(t -> t);
        Proto extra = Proto.of(List.of(Proto.messageField(5, tensor("W2", new float[] {9f, 9f, 9f}))));
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(honest);
        o.writeBytes(Proto.of(List.of(Proto.messageField(7, extra))).encode());
        assertRefused(write(dir, "twice", o.toByteArray()), "two graph fields");
    }

    /** out = RandomUniform(shape [3], seed 7). */
    private static byte[] randomModel() {
        Proto shape = Proto.of(List.of(Proto.stringField(1, "shape"), Proto.varintField(8, 3), Proto.varintField(20, 7)));
        // seed: AttributeProto.f (field 2, fixed32) = 7.0f, type FLOAT
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        a.writeBytes(Proto.of(List.of(Proto.stringField(1, "seed"))).encode());
        a.writeBytes(bytes(0x15, 0x00, 0x00, 0xe0, 0x40));
        a.writeBytes(Proto.of(List.of(Proto.varintField(20, 1))).encode());
        Proto seed = Proto.parse(a.toByteArray());
        Proto g = Proto.of(List.of(Proto.messageField(1, node("RandomUniform", List.of(), List.of("out"),
                        Proto.messageField(5, shape), Proto.messageField(5, seed))),
                Proto.stringField(2, "rnd"), Proto.messageField(12, OnnxGraph.valueInfo("out", 1, new long[] {3}))));
        return model(g);
    }

    @Test
    void aSeededRandomOperatorKeepsStateAcrossRunsAndIsRefused(@TempDir Path dir) throws Exception {
        byte[] bytes = randomModel();
        // the reason (class 7), measured on the engine itself: one session, two runs, two answers;
        // a fresh session repeats the first
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] first;
        float[] second;
        float[] fresh;
        try (OrtSession s = env.createSession(bytes)) {
            first = run(s);
            second = run(s);
        }
        try (OrtSession s = env.createSession(bytes)) {
            fresh = run(s);
        }
        assertFalse(java.util.Arrays.equals(first, second), "ONNX Runtime no longer keeps the generator state; revisit the refusal");
        assertArrayEquals(first, fresh);
        Path f = write(dir, "rnd", bytes);
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> OnnxRunner.open(f, TestModels.onnxProfile()));
        assertTrue(e.getMessage().contains("RandomUniform") && e.getMessage().contains("generator state"), e.getMessage());
    }

    private static float[] run(OrtSession s) throws Exception {
        try (OrtSession.Result r = s.run(Map.of())) {
            return ((float[]) r.get(0).getValue()).clone();
        }
    }

}
