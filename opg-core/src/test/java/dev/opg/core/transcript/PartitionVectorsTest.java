package dev.opg.core.transcript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.Hex;
import dev.opg.core.onnx.OnnxRunner;
import dev.opg.core.testmodels.MiniLm;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Blocks.Block;
import dev.opg.core.transcript.Dataflow.Source;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Checks spec/vectors/partition.json, which spec/partition.py computes from the ONNX files alone
 * (an implementation of spec 3.7, 3.13 and 3.14 in Python with the onnx package): for every
 * model, the node plan {@link OnnxRunner#plan} derives on a real input has the same step names
 * and hoisted steps, {@link Blocks#ruleCuts} gives exactly the vector's cuts with the same live
 * counts, and {@link Blocks} at those cuts has the same blocks (names, inputs, outputs, descent
 * steps). A second JVM process computes the same cuts ({@link #main}).
 */
public final class PartitionVectorsTest {
    static Path file() {
        return TestModels.repoRoot().resolve("spec/vectors/partition.json");
    }

    /** The model file of a vector entry (its source says where it comes from). */
    static Path modelFile(String name) {
        return switch (name) {
            case "all-MiniLM-L6-v2" -> MiniLm.onnxFile();
            case "silero-vad-v5-16k" -> TestModels.sileroVadV5();
            case "blocks" -> TestModels.repoRoot().resolve("spec/vectors/models/blocks.onnx");
            case "chain" -> TestModels.repoRoot().resolve("spec/vectors/models/chain.onnx");
            default -> throw new IllegalArgumentException("no model file for vector '" + name + "'");
        };
    }

    /** A real input for the model: MiniLM's three token tensors, Silero's audio, state and 16 kHz rate; float32 x, y otherwise. */
    static NDList input(String name, NDManager m) {
        if (name.equals("all-MiniLM-L6-v2")) {
            return MiniLm.input(m, 1, 128);
        }
        if (name.equals("silero-vad-v5-16k")) {
            return TestModels.sileroInput(m, 1, 16000);
        }
        int n = name.equals("blocks") ? 2 : 4;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i - 0.5f;
        }
        NDArray x = m.create(v, new Shape(n));
        x.setName("x");
        NDArray y = m.create(v, new Shape(n));
        y.setName("y");
        return new NDList(x, y);
    }

    /** The node plan of each vector model on a real input, by vector name. */
    static Map<String, StepPlan> plans(List<String> names) {
        Map<String, StepPlan> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager("OnnxRuntime")) {
            for (String name : names) {
                try (OnnxRunner r = OnnxRunner.open(modelFile(name), TestModels.onnxProfile())) {
                    out.put(name, r.plan(input(name, m)));
                }
            }
        }
        return out;
    }

    @Test
    void ruleCutsOfTheRunnersPlanAreThePythonImplementations() throws Exception {
        JsonNode doc = new ObjectMapper().readTree(file().toFile());
        List<String> names = new ArrayList<>();
        doc.get("models").forEach(e -> names.add(e.get("name").asText()));
        assertTrue(names.containsAll(List.of("all-MiniLM-L6-v2", "silero-vad-v5-16k", "blocks", "chain")), names.toString());
        Map<String, StepPlan> plans = plans(names);
        int split = 0;
        for (JsonNode e : doc.get("models")) {
            String name = e.get("name").asText();
            assertEquals(e.get("sha256").asText(), sha256(Files.readAllBytes(modelFile(name))), name + ": the model file the vector is for");
            StepPlan plan = plans.get(name);
            assertEquals(e.get("steps").asInt(), plan.steps().size(), name + " steps");
            assertEquals(e.get("stepNamesSha256").asText(), namesDigest(plan.names()), name + ": step names");
            List<String> cuts = strings(e.get("cuts"));
            assertEquals(cuts, Blocks.ruleCuts(plan), name + ": the default rule's cuts");

            Blocks blocks = Blocks.of(plan, Granularity.BLOCK, cuts);
            int hoisted = 0;
            List<Integer> order = new ArrayList<>();
            for (int j = 0; j < plan.steps().size(); j++) {
                if (blocks.hoisted(j)) {
                    hoisted++;
                } else {
                    order.add(j);
                }
            }
            assertEquals(e.get("hoisted").asInt(), hoisted, name + " hoisted");
            assertEquals(e.get("n").asInt(), order.size(), name + " n");
            int[] live = Blocks.liveCounts(plan, hoistedArray(blocks, plan), order);
            List<Integer> liveAtCuts = new ArrayList<>();
            for (String c : cuts) {
                liveAtCuts.add(live[order.indexOf(plan.names().indexOf(c))]);
            }
            assertEquals(ints(e.get("liveAtCuts")), liveAtCuts, name + " live counts at the cuts");
            if (e.get("merged").asInt() < cuts.size() + 1) {
                split++;
            }

            JsonNode want = e.get("blocks");
            assertEquals(want.size(), blocks.blocks().size(), name + " blocks");
            for (Block b : blocks.blocks()) {
                JsonNode w = want.get(b.index());
                String where = name + " block " + b.index();
                assertEquals(w.get("name").asText(), b.name(), where);
                assertEquals(w.get("nodes").asInt(), b.nodes().size(), where);
                assertEquals(strings(w.get("inputs")), blocks.descentInputNames(b.index(), b.inputs().size()), where + " inputs");
                List<String> outs = new ArrayList<>();
                for (Source s : b.outputs()) {
                    Source.Output o = (Source.Output) s;
                    outs.add("output:" + o.index() + ":" + plan.steps().get(o.step()).name());
                }
                assertEquals(strings(w.get("outputs")), outs, where + " outputs");
                List<String> descent = blocks.descentSteps(b.index()).stream().map(j -> plan.steps().get(j).name()).toList();
                assertEquals(w.get("descentSteps").asInt(), descent.size(), where + " descent");
                assertEquals(w.get("descentStepNamesSha256").asText(), namesDigest(descent), where + " descent steps");
                // the descent plan reads exactly the block's inputs and ends at its outputs
                StepPlan d = blocks.descentPlan(b.index(), b.inputs().size());
                assertEquals(b.outputs().size(), d.outputs().size(), where);
            }
        }
        assertTrue(split >= 1, "a vector model whose long run the rule splits");
    }

    @Test
    void anotherJvmProcessComputesTheSameCuts() throws Exception {
        JsonNode doc = new ObjectMapper().readTree(file().toFile());
        List<String> want = new ArrayList<>();
        for (JsonNode e : doc.get("models")) {
            want.add(e.get("name").asText() + " " + String.join("|", strings(e.get("cuts"))));
        }
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "-Dai.djl.offline=true", "-Dopg.repo.root=" + TestModels.repoRoot(),
                "-cp", System.getProperty("java.class.path"), PartitionVectorsTest.class.getName());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                lines.add(l);
            }
        }
        assertTrue(p.waitFor(180, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), lines.toString());
        assertEquals(want, lines);
    }

    /** Prints {@code <name> <cut>|<cut>...} for every vector model, computed in this process. */
    public static void main(String[] args) throws Exception {
        JsonNode doc = new ObjectMapper().readTree(file().toFile());
        List<String> names = new ArrayList<>();
        doc.get("models").forEach(e -> names.add(e.get("name").asText()));
        for (var e : plans(names).entrySet()) {
            System.out.println(e.getKey() + " " + String.join("|", Blocks.ruleCuts(e.getValue())));
        }
    }

    private static boolean[] hoistedArray(Blocks blocks, StepPlan plan) {
        boolean[] h = new boolean[plan.steps().size()];
        for (int j = 0; j < h.length; j++) {
            h[j] = blocks.hoisted(j);
        }
        return h;
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<Integer> ints(JsonNode a) {
        List<Integer> out = new ArrayList<>();
        a.forEach(n -> out.add(n.asInt()));
        return out;
    }

    static String namesDigest(List<String> names) throws Exception {
        return sha256(String.join("\n", names).getBytes(StandardCharsets.UTF_8));
    }

    static String sha256(byte[] b) throws Exception {
        return Hex.encode(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void theBlocksModelFileIsTheTranscriptVectorsModel() throws Exception {
        assertArrayEquals(TranscriptVectorsTest.blocksModel(), Files.readAllBytes(modelFile("blocks")));
    }
}
