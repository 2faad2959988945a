package dev.opg.core.transcript;

import static dev.opg.core.testmodels.OnnxBytes.cat;
import static dev.opg.core.testmodels.OnnxBytes.msg;
import static dev.opg.core.testmodels.OnnxBytes.str;
import static dev.opg.core.testmodels.OnnxBytes.varint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.merkle.Rfc9162;
import dev.opg.core.sketch.SketchProjector;
import dev.opg.core.testmodels.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Checks spec/vectors/transcript.json: for every case, the leaves and root recomputed from the
 * transcript JSON equal the recorded ones. Run with {@code -Dopg.writeVectors=true} (and
 * {@code ATEN_CPU_CAPABILITY=avx2}, as the build sets it) to regenerate the file: a tiny DJL MLP
 * in FULL mode at node, block (default and explicit partition) and output granularity and a
 * descent into one of its blocks, a five-node ONNX graph at block granularity and a descent into
 * its middle block, a hand-made SKETCH transcript and a hand-made one with named inputs, plus the
 * SKETCH projection rule (spec 3.6): seed, key, matrix and Java reference projection for given
 * inputs.
 */
class TranscriptVectorsTest {
    static Path file() {
        return TestModels.repoRoot().resolve("spec/vectors/transcript.json");
    }

    @Test
    void vectorsRecomputeFromTheirTranscripts() throws Exception {
        if (Boolean.getBoolean("opg.writeVectors")) {
            write();
        }
        JsonNode root = new ObjectMapper().readTree(file().toFile());
        assertTrue(root.get("cases").size() >= 2);
        java.util.Set<Granularity> granularities = java.util.EnumSet.noneOf(Granularity.class);
        int withCuts = 0;
        int descents = 0;
        for (JsonNode c : root.get("cases")) {
            Transcript t = TranscriptCodec.decode(c.get("transcript").asText());
            granularities.add(t.header().granularity());
            withCuts += t.header().cuts().isEmpty() ? 0 : 1;
            descents += t.header().scope().isEmpty() ? 0 : 1;
            assertEquals(c.get("profileEncoding").asText(), Hex.encode(t.profile().encode()));
            assertEquals(c.get("profileDigest").asText(), t.profile().digest().hex());
            JsonNode leaves = c.get("leaves");
            assertEquals(t.leafCount(), leaves.size());
            assertEquals(leaves.get(0).asText(), Hex.encode(t.header().leafData()));
            for (int i = 0; i < t.steps().size(); i++) {
                assertEquals(leaves.get(i + 1).asText(), Hex.encode(t.steps().get(i).leafData()));
                assertEquals(c.get("leafHashes").get(i + 1).asText(), Rfc9162.leafHash(t.steps().get(i).leafData()).hex());
            }
            assertEquals(c.get("root").asText(), t.root().hex());
        }
        assertEquals(java.util.EnumSet.allOf(Granularity.class), granularities, "a case at every granularity");
        assertTrue(withCuts >= 1 && descents >= 1, "block cases with cuts and descents with a scope");
        assertTrue(root.get("sketchProjections").size() >= 2);
        for (JsonNode c : root.get("sketchProjections")) {
            Digest modelId = Digest.fromHex(c.get("modelId").asText());
            long step = c.get("stepIndex").asLong();
            int output = c.get("outputIndex").asInt();
            int k = c.get("k").asInt();
            float[] x = floats(c.get("x"));
            Digest seed = SketchProjector.seed(modelId);
            assertEquals(c.get("seed").asText(), seed.hex());
            Digest key = SketchProjector.stepKey(seed, step, output, x.length);
            assertEquals(c.get("key").asText(), key.hex());
            assertEquals(c.get("matrix").asText(), signs(SketchProjector.matrix(key, x.length, k)));
            float[] y = floats(c.get("y"));
            float[] ref = SketchProjector.project(x, modelId, step, output, k);
            assertEquals(y.length, ref.length);
            for (int i = 0; i < y.length; i++) {
                assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(ref[i]), "y[" + i + "]");
            }
        }
    }

    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) a.get(i).asDouble();
        }
        return out;
    }

    private static String signs(float[] m) {
        StringBuilder b = new StringBuilder(m.length);
        for (float v : m) {
            b.append(v < 0 ? '-' : '+');
        }
        return b.toString();
    }

    private static void addProjection(ArrayNode out, String label, long step, int output, int n, int k) {
        Digest modelId = Transcripts.d(label);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = ((i * 37) % 11 - 5) * 0.25f;
        }
        Digest seed = SketchProjector.seed(modelId);
        Digest key = SketchProjector.stepKey(seed, step, output, n);
        ObjectNode c = out.addObject();
        c.put("description", "SKETCH projection (spec 3.6): model id SHA-256(\"" + label + "\"), step " + step + ", output "
                + output + ", n=" + n + ", k=" + k + "; matrix row-major, '-' for -1; y in float64 then float32");
        c.put("modelId", modelId.hex());
        c.put("stepIndex", step);
        c.put("outputIndex", output);
        c.put("k", k);
        ArrayNode xs = c.putArray("x");
        for (float v : x) {
            xs.add(v);
        }
        c.put("seed", seed.hex());
        c.put("key", key.hex());
        c.put("matrix", signs(SketchProjector.matrix(key, n, k)));
        ArrayNode ys = c.putArray("y");
        for (float v : SketchProjector.project(x, key, k)) {
            ys.add(v);
        }
    }

    private static void write() throws Exception {
        TestModels.pytorchProfile();
        ObjectMapper om = new ObjectMapper();
        ObjectNode doc = om.createObjectNode();
        ArrayNode cases = doc.putArray("cases");
        SequentialBlock b = new SequentialBlock().add(Linear.builder().setUnits(3).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(2).build());
        try (Model m = Model.newInstance("tiny", "PyTorch"); NDManager nd = NDManager.newBaseManager("PyTorch")) {
            m.setBlock(b);
            b.initialize(m.getNDManager(), DataType.FLOAT32, new Shape(1, 4));
            float v = 0.125f;
            for (var p : b.getParameters()) {
                float[] vals = new float[(int) p.getValue().getArray().size()];
                for (int i = 0; i < vals.length; i++) {
                    vals[i] = (v = -v * 1.5f + 0.0625f);
                }
                p.getValue().getArray().set(vals);
            }
            NDList x = new NDList(nd.create(new float[] {1f, -2f, 0.5f, 3f}, new Shape(1, 4)));
            try (VerifiableModel vm = VerifiableModel.wrap(m, TestModels.pytorchProfile(), RecordingOptions.full().at(Granularity.NODE))) {
                addCase(cases, "DJL MLP Linear(4->3), ReLU, Linear(3->2); FULL mode, node granularity", vm.predict(x).transcript());
            }
            try (VerifiableModel vm = VerifiableModel.wrap(m, TestModels.pytorchProfile(), RecordingOptions.full())) {
                addCase(cases, "the same MLP and input at block granularity with DJL's default partition (spec 3.14.1: a block per "
                        + "child of the top-level sequence; cuts 02LambdaBlock, 03Linear)", vm.predict(x).transcript());
            }
            try (VerifiableModel vm = VerifiableModel.wrap(m, TestModels.pytorchProfile(), RecordingOptions.full().partition(List.of("03Linear")))) {
                addCase(cases, "the same MLP and input at block granularity, explicit partition: cuts [03Linear], blocks "
                        + "'01Linear .. 02LambdaBlock' and '03Linear'", vm.predict(x).transcript());
                try (VerifiableModel down = vm.descend(x, 0, RecordingOptions.full())) {
                    addCase(cases, "the descent (spec 3.14.2) into block 0 '01Linear .. 02LambdaBlock' of the previous case: node "
                            + "granularity, scope the block's name, inputs bound by position, outputs the block's outputs",
                            down.predict(x).transcript());
                }
            }
            try (VerifiableModel vm = VerifiableModel.wrap(m, TestModels.pytorchProfile(), RecordingOptions.full().at(Granularity.OUTPUT))) {
                addCase(cases, "the same MLP and input at output granularity: one step '01Linear .. 03Linear'", vm.predict(x).transcript());
            }
        }
        onnxBlocks(cases);
        addCase(cases, "hand-made SKETCH transcript, k=4, with -0.0 and a non-ASCII name", Transcripts.sketched(2, 4));
        addCase(cases, "hand-made FULL transcript, two inputs bound by name (header version 2 and later); the first name holds every "
                + "JSON escape of spec 3.8 and a non-BMP character, the second is plain", namedInputs());
        ArrayNode projections = doc.putArray("sketchProjections");
        addProjection(projections, "model", 2, 1, 300, 4);
        addProjection(projections, "another model", 0, 0, 33, 16);
        Files.writeString(file(), om.writerWithDefaultPrettyPrinter().writeValueAsString(doc) + "\n");
    }

    /**
     * A five-node ONNX graph ({@link #blocksModel}) on ONNX Runtime at block granularity with the
     * default rule (spec 3.14.1) and a descent into its middle block, whose inputs are an earlier
     * block's output and a model input and which reads a hoisted Constant.
     */
    private static void onnxBlocks(ArrayNode cases) throws Exception {
        var profile = TestModels.onnxProfile();
        // spec/partition.py reads this file; PartitionVectorsTest checks it is blocksModel()
        Path f = TestModels.repoRoot().resolve("spec/vectors/models/blocks.onnx");
        Files.createDirectories(f.getParent());
        Files.write(f, blocksModel());
        try (Model m = TestModels.loadOnnx(f); NDManager nd = m.getNDManager().newSubManager();
                VerifiableModel vm = VerifiableModel.wrap(m, profile, RecordingOptions.full().withWitness())) {
            NDArray x = nd.create(new float[] {0.5f, -3f}, new Shape(2));
            x.setName("x");
            NDArray y = nd.create(new float[] {2f, 0.25f}, new Shape(2));
            y.setName("y");
            NDList in = new NDList(x, y);
            var p = vm.predict(in);
            Transcript t = p.transcript();
            addCase(cases, "ONNX graph of five nodes (/pre/Constant, /pre/Add, /layer.0/Mul, /layer.0/Sub, /layer.1/Add; inputs x, y; "
                    + "outputs out, m) on ONNX Runtime at block granularity, default rule (spec 3.14.1): cuts /layer.0/Mul, "
                    + "/layer.1/Add; the Constant is hoisted", t);
            Step middle = t.steps().get(1);
            try (VerifiableModel down = vm.descend(in, 1, RecordingOptions.full())) {
                NDList blockIn = new NDList();
                for (Digest d : middle.inputs()) {
                    blockIn.add(p.witness().orElseThrow().tensor(d).toNDArray(nd));
                }
                Transcript d = down.predict(blockIn).transcript();
                if (!d.header().inputs().equals(middle.inputs()) || !d.header().outputs().equals(middle.outputs())) {
                    throw new IllegalStateException("the descent does not end at the block's committed boundary");
                }
                addCase(cases, "the descent (spec 3.14.2) into block 1 '/layer.0/Mul .. /layer.0/Sub' of the previous case: "
                        + "inputs output:0:/pre/Add and input:y, steps the hoisted /pre/Constant then the block's nodes", d);
            }
        }
    }

    /**
     * {@code c = Constant [1.5, -2]; a = x + c; m = a * y; s = m - c; out = s + a}, float32 [2],
     * graph inputs x, y, outputs out, m; node names in the exporter's module style.
     */
    static byte[] blocksModel() {
        byte[] shape = msg(2, msg(1, varint(1, 2)));
        byte[] type = msg(1, cat(varint(1, 1), shape));
        byte[] raw = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).array();
        byte[] tensor = cat(varint(1, 2), varint(2, 1), msg(9, raw));
        byte[] constant = cat(str(2, "c"), str(3, "/pre/Constant"), str(4, "Constant"),
                msg(5, cat(str(1, "value"), msg(5, tensor), varint(20, 4))));
        byte[] graph = cat(msg(1, constant),
                msg(1, cat(str(1, "x"), str(1, "c"), str(2, "a"), str(3, "/pre/Add"), str(4, "Add"))),
                msg(1, cat(str(1, "a"), str(1, "y"), str(2, "m"), str(3, "/layer.0/Mul"), str(4, "Mul"))),
                msg(1, cat(str(1, "m"), str(1, "c"), str(2, "s"), str(3, "/layer.0/Sub"), str(4, "Sub"))),
                msg(1, cat(str(1, "s"), str(1, "a"), str(2, "out"), str(3, "/layer.1/Add"), str(4, "Add"))),
                str(2, "blocks"),
                msg(11, cat(str(1, "x"), msg(2, type))), msg(11, cat(str(1, "y"), msg(2, type))),
                msg(12, cat(str(1, "out"), msg(2, type))), msg(12, cat(str(1, "m"), msg(2, type))));
        byte[] opset = cat(str(1, ""), varint(2, 13));
        return cat(varint(1, 8), str(2, "opg-test"), msg(7, graph), msg(8, opset));
    }

    private static Transcript namedInputs() {
        var p = Transcripts.profile();
        List<Digest> in = List.of(Transcripts.d("tensor a"), Transcripts.d("tensor b"));
        List<Digest> out = List.of(Transcripts.d("a - b"));
        TranscriptHeader h = TranscriptHeader.of(CommitmentMode.FULL, 0, Transcripts.d("model"), p.digest(),
                List.of("q\"b\\\b\f\n\r\t\u0001\u001f\u007f\u00e9/\ud83d\ude00", "y"), in, out);
        return new Transcript(h, List.of(Step.full(0, "sub", in, out)), p);
    }

    private static void addCase(ArrayNode cases, String description, Transcript t) {
        ObjectNode c = cases.addObject();
        c.put("description", description);
        c.put("transcript", TranscriptCodec.encodeToString(t));
        c.put("profileEncoding", Hex.encode(t.profile().encode()));
        c.put("profileDigest", t.profile().digest().hex());
        ArrayNode leaves = c.putArray("leaves");
        ArrayNode hashes = c.putArray("leafHashes");
        leaves.add(Hex.encode(t.header().leafData()));
        hashes.add(Rfc9162.leafHash(t.header().leafData()).hex());
        for (Step s : t.steps()) {
            leaves.add(Hex.encode(s.leafData()));
            hashes.add(Rfc9162.leafHash(s.leafData()).hex());
        }
        c.put("root", t.root().hex());
    }
}
