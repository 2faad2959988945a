package dev.opg.core.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OrtEnvironment;
import dev.opg.core.testmodels.TestModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The If-condition cache answers exactly what evaluating the condition answers: a condition is
 * keyed by input shapes only where a static check of the nodes feeding it proves that shapes
 * determine it (Silero VAD's nested conditions), and by input bytes otherwise (Silero's sample
 * rate, a condition over a sum of the input, a condition over the shape of {@code NonZero}, whose
 * shape depends on the input's elements).
 */
class OnnxConditionCacheTest {
    /** The conditions met on the way from the model's graph to the plan for {@code feeds}, each evaluated afresh. */
    private record Path2(Plan plan, List<Condition> conditions, List<Boolean> branches) {}

    private static Path2 walk(Planner planner, TensorBridge.Feeds feeds) throws Exception {
        Plan p = planner.root();
        List<Condition> cs = new ArrayList<>();
        List<Boolean> bs = new ArrayList<>();
        while (p.ifIndex >= 0) {
            Condition c = p.condition();
            boolean b = c.evaluate(feeds.map(), false);
            cs.add(c);
            bs.add(b);
            p = p.child(b);
        }
        return new Path2(p, cs, bs);
    }

    private static long runs(List<Condition> cs) {
        return cs.stream().mapToLong(Condition::sessionRuns).sum();
    }

    private static TensorBridge.Feeds feeds(List<String> names, NDList in) throws Exception {
        TensorBridge.Feeds f = new TensorBridge.Feeds(OrtEnvironment.getEnvironment());
        for (int i = 0; i < names.size(); i++) {
            f.put(names.get(i), in.get(i));
        }
        return f;
    }

    private static NDList silero(NDManager m, long sr, int batch, long seed) {
        int samples = sr == 16000 ? 512 : 256;
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] audio = new float[batch * samples];
        for (int i = 0; i < audio.length; i++) {
            audio[i] = (float) (rnd.nextGaussian() * 0.1);
        }
        float[] state = new float[2 * batch * 128];
        for (int i = 0; i < state.length; i++) {
            state[i] = (float) (rnd.nextGaussian() * 0.05);
        }
        return new NDList(m.create(audio, new Shape(batch, samples)), m.create(state, new Shape(2, batch, 128)), m.create(sr));
    }

    @Test
    void sileroSampleRateIsKeyedByValueAndItsShapeTestsByShapesAndTheCacheAgreesWithEvaluation() throws Exception {
        try (OnnxRunner runner = OnnxRunner.open(TestModels.sileroVadV5(), TestModels.onnxProfile());
                NDManager m = NDManager.newBaseManager(OnnxProfiles.ENGINE)) {
            Planner planner = runner.planner();
            List<String> names = runner.inputNames();
            long[][] cases = {{16000, 1, 1}, {8000, 1, 2}, {16000, 3, 3}, {8000, 2, 4}, {16000, 1, 5}, {8000, 1, 6}, {16000, 3, 7}, {8000, 2, 8}};
            List<List<Boolean>> seen = new ArrayList<>();
            for (long[] c : cases) {
                try (TensorBridge.Feeds f = feeds(names, silero(m, c[0], (int) c[1], c[2]))) {
                    Path2 fresh = walk(planner, f);
                    // the root condition reads the sample rate's value; every nested one tests a shape
                    assertFalse(fresh.conditions().get(0).keyedByShapes(), "the sample rate condition reads a value");
                    assertTrue(fresh.conditions().size() > 1, "Silero has nested conditions");
                    for (Condition k : fresh.conditions().subList(1, fresh.conditions().size())) {
                        assertNull(k.valueDependence(), "a Silero shape test is proven shape-only");
                    }
                    long before = runs(fresh.conditions());
                    Plan cached = planner.resolve(f.map());
                    assertSame(fresh.plan(), cached, "cache and evaluation agree on " + java.util.Arrays.toString(c));
                    if (c[2] > 4) { // cases 5..8 repeat the rates and batch sizes of 1..4 with other samples
                        assertEquals(before, runs(fresh.conditions()), "same shapes and rate, other samples: no condition session runs");
                    }
                    seen.add(fresh.branches());
                }
            }
            // 8 kHz and 16 kHz take different paths
            assertFalse(seen.get(0).equals(seen.get(1)));
        }
    }

    // ---- hand-built graphs: y = cond(x) ? -x : x, cond computed by `condNodes` from x ----

    private static Proto.Field str(int n, String v) {
        return Proto.stringField(n, v);
    }

    private static Proto node(String op, List<String> in, List<String> out, Proto.Field... more) {
        List<Proto.Field> f = new ArrayList<>();
        in.forEach(i -> f.add(str(1, i)));
        out.forEach(o -> f.add(str(2, o)));
        f.add(str(4, op));
        f.addAll(List.of(more));
        return Proto.of(f);
    }

    private static Proto.Field intAttr(String name, long v) {
        return Proto.messageField(5, Proto.of(List.of(str(1, name), Proto.varintField(3, v), Proto.varintField(20, 2))));
    }

    /** A scalar initializer of ONNX type {@code type} (1 float, 7 int64). */
    private static Proto scalar(String name, int type, double v) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        if (type == 1) {
            b.putFloat((float) v);
        } else {
            b.putLong((long) v);
        }
        return Proto.of(List.of(Proto.varintField(2, type), str(8, name), Proto.lenField(9, java.util.Arrays.copyOf(b.array(), type == 1 ? 4 : 8))));
    }

    /** A ValueInfoProto of element type {@code type} and any shape. */
    private static Proto anyShape(String name, int type) {
        Proto tensorType = Proto.of(List.of(Proto.varintField(1, type)));
        return Proto.of(List.of(str(1, name), Proto.messageField(2, Proto.of(List.of(Proto.messageField(1, tensorType))))));
    }

    private static Proto graph(String name, List<Proto> nodes, List<Proto> inits, List<Proto> inputs, List<Proto> outputs) {
        List<Proto.Field> f = new ArrayList<>();
        nodes.forEach(n -> f.add(Proto.messageField(1, n)));
        f.add(str(2, name));
        inits.forEach(t -> f.add(Proto.messageField(5, t)));
        inputs.forEach(v -> f.add(Proto.messageField(11, v)));
        outputs.forEach(v -> f.add(Proto.messageField(12, v)));
        return Proto.of(f);
    }

    private static Path model(Path dir, String name, List<Proto> condNodes, List<Proto> inits) throws Exception {
        Proto then = graph("then", List.of(node("Neg", List.of("x"), List.of("yt"))), List.of(), List.of(),
                List.of(Proto.of(List.of(str(1, "yt")))));
        Proto els = graph("else", List.of(node("Identity", List.of("x"), List.of("ye"))), List.of(), List.of(),
                List.of(Proto.of(List.of(str(1, "ye")))));
        Proto ifNode = node("If", List.of("cond"), List.of("y"),
                Proto.messageField(5, Proto.of(List.of(str(1, "then_branch"), Proto.messageField(6, then), Proto.varintField(20, 5)))),
                Proto.messageField(5, Proto.of(List.of(str(1, "else_branch"), Proto.messageField(6, els), Proto.varintField(20, 5)))));
        List<Proto> nodes = new ArrayList<>(condNodes);
        nodes.add(ifNode);
        Proto g = graph(name, nodes, inits, List.of(anyShape("x", 1)), List.of(anyShape("y", 1)));
        Proto opset = Proto.of(List.of(str(1, ""), Proto.varintField(2, 13)));
        byte[] bytes = Proto.of(List.of(Proto.varintField(1, 8), str(2, "opg-test"), Proto.messageField(7, g),
                Proto.messageField(8, opset))).encode();
        Path f = dir.resolve(name + ".onnx");
        Files.write(f, bytes);
        return f;
    }

    /** Runs the model on {@code x} and says whether it took the then branch, checking that the cache agrees with a fresh evaluation. */
    private static boolean takesThen(OnnxRunner runner, NDManager m, float[] x, long... shape) throws Exception {
        NDList in = new NDList(m.create(x, new Shape(shape)));
        boolean fresh;
        try (TensorBridge.Feeds f = feeds(runner.inputNames(), in)) {
            Path2 p = walk(runner.planner(), f);
            assertSame(p.plan(), runner.planner().resolve(f.map()), "the cache answers what evaluation answers");
            fresh = p.branches().get(0);
        }
        List<String> steps = new ArrayList<>();
        NDArray y;
        try (NDManager call = m.newSubManager()) {
            in.tempAttach(call);
            y = runner.run(new ParameterStore(call, false), in, (name, i, o) -> steps.add(name)).head();
            float[] out = y.toFloatArray();
            assertEquals(x.length, out.length);
            for (int k = 0; k < x.length; k++) {
                assertEquals(fresh ? -x[k] : x[k], out[k], "the run took the branch the condition names");
            }
        }
        assertEquals(fresh, steps.stream().anyMatch(s -> s.contains("then_branch")), "steps " + steps);
        return fresh;
    }

    private static float[] fill(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Test
    void aConditionOnAShapeIsKeyedByShapeAndFollowsIt(@TempDir Path dir) throws Exception {
        // cond = Shape(x)[1] == 4
        Path f = model(dir, "shape", List.of(node("Shape", List.of("x"), List.of("s")), node("Gather", List.of("s", "one"), List.of("d")),
                node("Equal", List.of("d", "four"), List.of("cond"))), List.of(scalar("one", 7, 1), scalar("four", 7, 4)));
        try (OnnxRunner runner = OnnxRunner.open(f, TestModels.onnxProfile()); NDManager m = NDManager.newBaseManager(OnnxProfiles.ENGINE)) {
            assertTrue(runner.planner().root().condition().keyedByShapes());
            assertTrue(takesThen(runner, m, fill(4, 1f), 1, 4));
            long runs = runner.planner().root().condition().sessionRuns();
            assertTrue(takesThen(runner, m, fill(4, -3f), 1, 4));
            assertEquals(runs + 1, runner.planner().root().condition().sessionRuns(), "only the fresh evaluation ran a session");
            assertFalse(takesThen(runner, m, fill(5, 1f), 1, 5), "another shape, another branch");
            assertTrue(takesThen(runner, m, fill(8, 1f), 2, 4), "a [2,4] input: its dimension 1 is 4");
        }
    }

    @Test
    void aConditionOnValuesIsNeverKeyedByShape(@TempDir Path dir) throws Exception {
        // cond = ReduceSum(x) > 0: same shape, other values, other branch
        Path f = model(dir, "sum", List.of(node("ReduceSum", List.of("x"), List.of("t"), intAttr("keepdims", 0)),
                node("Greater", List.of("t", "zero"), List.of("cond"))), List.of(scalar("zero", 1, 0)));
        try (OnnxRunner runner = OnnxRunner.open(f, TestModels.onnxProfile()); NDManager m = NDManager.newBaseManager(OnnxProfiles.ENGINE)) {
            Condition c = runner.planner().root().condition();
            assertFalse(c.keyedByShapes());
            assertNotNull(c.valueDependence());
            assertTrue(takesThen(runner, m, fill(4, 1f), 1, 4));
            assertFalse(takesThen(runner, m, fill(4, -1f), 1, 4), "one value changed the branch at the same shape");
            assertTrue(takesThen(runner, m, fill(4, 1f), 1, 4));
            // larger than the value key holds: evaluated every time, still right
            assertTrue(takesThen(runner, m, fill(100, 1f), 1, 100));
            float[] x = fill(100, 1f);
            x[99] = -200f;
            assertFalse(takesThen(runner, m, x, 1, 100), "one element of 100 changed the branch");
        }
    }

    @Test
    void aShapeThatDependsOnValuesIsNotTakenForAShape(@TempDir Path dir) throws Exception {
        // cond = Shape(NonZero(x))[1] > 0: a Shape node, but NonZero's shape counts the input's non-zero elements
        Path f = model(dir, "nonzero", List.of(node("NonZero", List.of("x"), List.of("nz")), node("Shape", List.of("nz"), List.of("s")),
                node("Gather", List.of("s", "one"), List.of("n")), node("Greater", List.of("n", "zero"), List.of("cond"))),
                List.of(scalar("one", 7, 1), scalar("zero", 7, 0)));
        try (OnnxRunner runner = OnnxRunner.open(f, TestModels.onnxProfile()); NDManager m = NDManager.newBaseManager(OnnxProfiles.ENGINE)) {
            Condition c = runner.planner().root().condition();
            assertFalse(c.keyedByShapes(), "NonZero's output shape depends on the elements of its input");
            assertTrue(c.valueDependence().contains("cond"), c.valueDependence());
            for (int n : new int[] {4, 100}) {
                assertFalse(takesThen(runner, m, fill(n, 0f), 1, n));
                float[] x = fill(n, 0f);
                x[n - 1] = 1e-30f;
                assertTrue(takesThen(runner, m, x, 1, n), "one element made non-zero changed the branch at " + n + " elements");
                assertFalse(takesThen(runner, m, fill(n, 0f), 1, n));
            }
        }
    }
}
