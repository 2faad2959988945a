package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.engine.EngineSupport;
import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.core.io.Inputs;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.witness.WitnessTensor;
import dev.opg.core.io.Npz;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.testmodels.MiniLm;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Blocks;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.Witness;
import dev.opg.verify.SpotChecker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code opg prove --granularity node|block|output [--partition ...]}, {@code inspect} and
 * {@code verify} (full, {@code --spot}, {@code --tolerance}) at every granularity on three real
 * models: all-MiniLM-L6-v2 (ONNX, 637 nodes), Silero VAD v5 (ONNX, 214 nodes) and the seeded CNN
 * saved as a DJL model directory. The prover controls every byte of what it hands over: forged
 * block outputs, rewritten cuts and granularities and a descent's scope on a whole-model claim are
 * INVALID (exit 1), each beside an honest control that stays VALID; a partition the model does not
 * have is bad usage at prove time (exit 2) but a false claim (exit 1) in a transcript.
 */
class GranularityCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The first node step of encoder layer l in all-MiniLM-L6-v2: where the default partition starts its blocks. */
    private static final String LAYER = "/encoder/layer.%d/attention/self/query/MatMul";

    @TempDir
    static Path tmp;
    static Path minilm;
    static Path minilmX;
    static Path silero;
    static Path sileroX;
    static Path cnn;
    static Path cnnX;

    @BeforeAll
    static void models() throws Exception {
        minilm = MiniLm.onnxFile();
        minilmX = miniLmInput(tmp.resolve("tokens.npz"), 16);
        silero = TestModels.sileroVadV5();
        sileroX = SileroCliTest.sileroInput(tmp.resolve("frame.npz"), 5);
        cnn = TestFixtures.saveModel(tmp.resolve("cnn"), "cnn", 9);
        cnnX = TestFixtures.saveInput(tmp.resolve("cnn-x.npz"), "cnn", 3);
    }

    /** MiniLM's three named int64 inputs for one sequence of {@code seq} tokens ([CLS], word pieces, [SEP], padding), as .npz. */
    static Path miniLmInput(Path file, int seq) throws Exception {
        long[] ids = new long[seq];
        long[] mask = new long[seq];
        long[] types = new long[seq];
        int used = seq - seq / 8;
        for (int t = 0; t < seq; t++) {
            ids[t] = t == 0 ? 101 : t == used - 1 ? 102 : t < used ? 2000 + (t * 104729L) % 20000 : 0;
            mask[t] = t < used ? 1 : 0;
        }
        Map<String, WitnessTensor> in = new LinkedHashMap<>();
        in.put("input_ids", WitnessTensor.ofInt64(ids, 1, seq));
        in.put("attention_mask", WitnessTensor.ofInt64(mask, 1, seq));
        in.put("token_type_ids", WitnessTensor.ofInt64(types, 1, seq));
        Npz.write(in, file);
        return file;
    }

    private static Cli.Result prove(Path model, Path x, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("prove", "--model", model.toString(), "--input", x.toString(), "--out", out.toString()));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    private static Cli.Result verify(Path t, Path model, Path x, String... extra) {
        List<String> args = new ArrayList<>(List.of("verify", t.toString(), "--model", model.toString(), "--input", x.toString()));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    private static JsonNode inspectJson(Path t) throws Exception {
        Cli.Result r = Cli.run("inspect", "--json", t.toString());
        assertEquals(0, r.code(), r.toString());
        return JSON.readTree(r.out());
    }

    private static Path write(Transcript t, String name) throws Exception {
        Path p = tmp.resolve(name);
        TranscriptCodec.write(t, p);
        return p;
    }

    /**
     * Proves {@code model} on {@code x} at {@code granularity} with a witness, then checks that
     * inspect reports the granularity and every step's kind, that a full re-execution, a spot
     * check and a tolerant check are all VALID; returns the transcript.
     */
    private static Transcript proveAndCheck(String label, Path model, Path x, String granularity, int expectedSteps) throws Exception {
        Path t = tmp.resolve(label + "-" + granularity + ".json");
        Path w = tmp.resolve(label + "-" + granularity + ".witness");
        Cli.Result p = prove(model, x, t, "--granularity", granularity, "--witness", w.toString());
        assertEquals(0, p.code(), p.toString());
        String root = p.out().strip();
        Transcript tr = TranscriptCodec.read(t);
        assertEquals(granularity, tr.header().granularity().specName());
        if (expectedSteps > 0) {
            assertEquals(expectedSteps, tr.steps().size(), label + " at " + granularity);
        }
        int steps = tr.steps().size();

        JsonNode j = inspectJson(t);
        assertEquals(granularity, j.get("granularity").asText());
        assertEquals("", j.get("scope").asText());
        assertEquals(tr.header().cuts().size(), j.get("cuts").size());
        for (JsonNode s : j.get("steps")) {
            assertEquals(granularity.equals("node") ? "node" : "block", s.get("kind").asText(), s.toString());
            if (!granularity.equals("node")) {
                String name = s.get("name").asText();
                String first = s.get("first").asText();
                String last = s.get("last").asText();
                assertEquals(name, first.equals(last) ? first : first + Blocks.NAME_SEPARATOR + last, s.toString());
            } else {
                assertFalse(s.has("first"), s.toString());
            }
        }
        Cli.Result table = Cli.run("inspect", t.toString());
        assertEquals(0, table.code(), table.toString());
        assertTrue(table.out().contains("granularity     " + granularity + ":"), table.toString());
        assertTrue(table.out().contains("scope           (whole model)"), table.toString());
        assertTrue(table.out().contains(granularity.equals("node") ? "  name" : "  block (first .. last node step)"), table.toString());

        Cli.Result v = verify(t, model, x);
        assertEquals(0, v.code(), v.toString());
        assertTrue(v.out().startsWith("VALID " + root + " (" + steps + " steps re-executed"), v.toString());

        int k = Math.min(2, steps);
        Cli.Result spot = verify(t, model, x, "--witness", w.toString(), "--spot", "2", "--seed", "11");
        assertEquals(0, spot.code(), spot.toString());
        assertTrue(spot.out().startsWith("VALID " + root + " (" + k + " of " + steps + " steps spot-checked"), spot.toString());
        assertTrue(spot.out().contains("spot-checked steps " + SpotChecker.choose(steps, k, 11) + " of " + steps), spot.toString());
        assertEquals(!granularity.equals("node"), spot.out().contains("each step is a block of node steps"), spot.toString());

        Cli.Result tol = verify(t, model, x, "--tolerance", "abs=1e-5,rel=1e-4", "--witness", w.toString());
        assertEquals(0, tol.code(), tol.toString());
        assertTrue(tol.out().contains("tolerant"), tol.toString());
        return tr;
    }

    @Test
    void miniLmProvesInspectsVerifiesAndSpotChecksAtEveryGranularity() throws Exception {
        Transcript node = proveAndCheck("minilm", minilm, minilmX, "node", 637);
        Transcript block = proveAndCheck("minilm", minilm, minilmX, "block", 7);
        Transcript output = proveAndCheck("minilm", minilm, minilmX, "output", 1);
        // the default partition: one block per encoder layer after the embeddings
        List<String> cuts = new ArrayList<>();
        for (int l = 0; l < 6; l++) {
            cuts.add(LAYER.formatted(l));
        }
        assertEquals(cuts, block.header().cuts());
        assertTrue(node.header().cuts().isEmpty() && output.header().cuts().isEmpty());
        // the same computation, committed at three granularities: same outputs, three roots
        assertEquals(node.header().outputs(), block.header().outputs());
        assertEquals(node.header().outputs(), output.header().outputs());
        assertNotEquals(node.root(), block.root());
        assertNotEquals(block.root(), output.root());
        // the default is block granularity
        Path dflt = tmp.resolve("minilm-default.json");
        Cli.Result p = prove(minilm, minilmX, dflt);
        assertEquals(0, p.code(), p.toString());
        assertEquals(block.root().hex(), p.out().strip());

        Cli.Result table = Cli.run("inspect", tmp.resolve("minilm-block.json").toString());
        assertTrue(table.out().contains("cuts            block 2 starts at " + LAYER.formatted(0)), table.toString());
        assertTrue(table.out().contains("block 7 starts at " + LAYER.formatted(5)), table.toString());
        assertTrue(table.out().contains(LAYER.formatted(2) + Blocks.NAME_SEPARATOR), table.toString());
        JsonNode j = inspectJson(tmp.resolve("minilm-block.json"));
        assertEquals(LAYER.formatted(0), j.get("cuts").get(0).asText());
        assertEquals(LAYER.formatted(0), j.get("steps").get(1).get("first").asText());
        assertTrue(j.get("steps").get(1).get("last").asText().startsWith("/encoder/layer.0/"), j.get("steps").get(1).toString());
    }

    @Test
    void aForgedBlockIsInvalidUnderFullVerifyAndFoundBySpotCheckingEveryBlock() throws Exception {
        Path t = tmp.resolve("minilm-forge.json");
        Path w = tmp.resolve("minilm-forge.witness");
        assertEquals(0, prove(minilm, minilmX, t, "--witness", w.toString()).code());
        Transcript honest = TranscriptCodec.read(t);
        int blocks = honest.steps().size();
        String all = Integer.toString(blocks);

        // 1. one block's output digest changed, root recomputed: its reader no longer reads it
        List<Step> steps = new ArrayList<>(honest.steps());
        Step s3 = steps.get(3);
        Digest fake = Digest.fromHex("ab".repeat(32));
        steps.set(3, Step.full(3, s3.name(), s3.inputs(), List.of(fake)));
        Path one = write(new Transcript(honest.header(), steps, honest.profile()), "forged-block3.json");
        Cli.Result v = verify(one, minilm, minilmX);
        assertEquals(1, v.code(), v.toString());
        assertTrue(v.out().startsWith("INVALID step[3]"), v.toString());
        Cli.Result spot = verify(one, minilm, minilmX, "--witness", w.toString(), "--spot", all);
        assertEquals(1, spot.code(), spot.toString());
        assertTrue(spot.out().startsWith("INVALID step["), spot.toString());

        // 2. another result: the last block's output and the header's outputs forged together, so the
        // dataflow holds and only re-running the last block (whole, from its committed inputs) finds it
        steps = new ArrayList<>(honest.steps());
        Step last = steps.get(blocks - 1);
        steps.set(blocks - 1, Step.full(last.index(), last.name(), last.inputs(), List.of(fake)));
        Path result = write(new Transcript(honest.header().withOutputs(List.of(fake)), steps, honest.profile()), "forged-result.json");
        Cli.Result full = verify(result, minilm, minilmX);
        assertEquals(1, full.code(), full.toString());
        assertTrue(full.out().startsWith("INVALID "), full.toString());
        Cli.Result every = verify(result, minilm, minilmX, "--witness", w.toString(), "--spot", all);
        assertEquals(1, every.code(), every.toString());
        assertTrue(every.out().startsWith("INVALID step[" + (blocks - 1) + "]"), every.toString());
        long hit = 0;
        while (!SpotChecker.choose(blocks, 1, hit).equals(List.of(blocks - 1))) {
            hit++;
        }
        Cli.Result one1 = verify(result, minilm, minilmX, "--witness", w.toString(), "--spot", "1", "--seed", Long.toString(hit));
        assertEquals(1, one1.code(), one1.toString());
        assertTrue(one1.out().startsWith("INVALID step[" + (blocks - 1) + "]"), one1.toString());
        // the honest control under the same checks
        assertEquals(0, verify(t, minilm, minilmX).code());
        assertEquals(0, verify(t, minilm, minilmX, "--witness", w.toString(), "--spot", all).code());
    }

    @Test
    void anExplicitPartitionProvesAndVerifiesAndABadOneIsBadUsage() throws Exception {
        String cuts = LAYER.formatted(2) + "," + LAYER.formatted(4);
        Path t = tmp.resolve("minilm-partition.json");
        Path w = tmp.resolve("minilm-partition.witness");
        Cli.Result p = prove(minilm, minilmX, t, "--partition", cuts, "--witness", w.toString());
        assertEquals(0, p.code(), p.toString());
        Transcript tr = TranscriptCodec.read(t);
        assertEquals(Granularity.BLOCK, tr.header().granularity());
        assertEquals(List.of(LAYER.formatted(2), LAYER.formatted(4)), tr.header().cuts());
        assertEquals(3, tr.steps().size());
        assertTrue(tr.steps().get(1).name().startsWith(LAYER.formatted(2) + Blocks.NAME_SEPARATOR), tr.steps().get(1).name());
        Cli.Result v = verify(t, minilm, minilmX);
        assertEquals(0, v.code(), v.toString());
        Cli.Result spot = verify(t, minilm, minilmX, "--witness", w.toString(), "--spot", "3");
        assertEquals(0, spot.code(), spot.toString());
        assertTrue(spot.out().startsWith("VALID " + tr.root().hex() + " (3 of 3 steps spot-checked"), spot.toString());
        JsonNode j = inspectJson(t);
        assertEquals(LAYER.formatted(4), j.get("cuts").get(1).asText());
        // `--granularity block` said out loud is the same
        Cli.Result again = prove(minilm, minilmX, tmp.resolve("minilm-partition2.json"), "--granularity", "block", "--partition", cuts);
        assertEquals(tr.root().hex(), again.out().strip(), again.toString());

        // a name the model does not have: exit 2, naming it and listing node steps a block can start at
        String bogus = "/encoder/layer.9/attention/self/query/MatMul";
        Cli.Result bad = prove(minilm, minilmX, tmp.resolve("bad.json"), "--partition", LAYER.formatted(1) + "," + bogus);
        assertEquals(2, bad.code(), bad.toString());
        assertEquals(1, bad.err().strip().lines().count(), bad.toString());
        assertTrue(bad.err().contains("cut '" + bogus + "' is not a node step of the model"), bad.toString());
        assertTrue(bad.err().contains("include '/encoder/layer."), bad.toString());
        assertTrue(bad.err().contains(LAYER.formatted(0)), "the model's own partition is listed: " + bad);
        assertFalse(Files.exists(tmp.resolve("bad.json")), "no transcript is written");
        // out of order: exit 2, naming the cut and the one before it
        Cli.Result order = prove(minilm, minilmX, tmp.resolve("bad.json"), "--partition", LAYER.formatted(4) + "," + LAYER.formatted(2));
        assertEquals(2, order.code(), order.toString());
        assertTrue(order.err().contains("cut '" + LAYER.formatted(2) + "'") && order.err().contains("'" + LAYER.formatted(4) + "'")
                && order.err().contains("execution order"), order.toString());
        // block 1 always starts at the first node step
        JsonNode nodes = inspectJson(nodeTranscript());
        String firstNode = nodes.get("steps").get(0).get("name").asText();
        Cli.Result first = prove(minilm, minilmX, tmp.resolve("bad.json"), "--partition", firstNode);
        assertEquals(2, first.code(), first.toString());
        assertTrue(first.err().contains("cut '" + firstNode + "' is the first node step"), first.toString());
        // options that do not go together, or are not options at all
        for (String[] args : List.of(new String[] {"--granularity", "output", "--partition", LAYER.formatted(1)},
                new String[] {"--granularity", "node", "--partition", LAYER.formatted(1)},
                new String[] {"--granularity", "layer"}, new String[] {"--granularity", ""},
                new String[] {"--partition", ""}, new String[] {"--partition", LAYER.formatted(1) + ",,"},
                new String[] {"--partition", LAYER.formatted(1) + "," + LAYER.formatted(1)})) {
            Cli.Result r = prove(minilm, minilmX, tmp.resolve("bad.json"), args);
            assertEquals(2, r.code(), List.of(args) + ": " + r);
            assertEquals(1, r.err().strip().lines().count(), r.toString());
        }
        assertFalse(Files.exists(tmp.resolve("bad.json")));
    }

    /** MiniLM on the test input at node granularity (proven once). */
    private static synchronized Path nodeTranscript() {
        Path t = tmp.resolve("minilm-nodes-only.json");
        if (!Files.isRegularFile(t)) {
            assertEquals(0, prove(minilm, minilmX, t, "--granularity", "node").code());
        }
        return t;
    }

    @Test
    void recordedCutsTheModelCannotHaveAreInvalidNotBadUsage() throws Exception {
        Path t = tmp.resolve("minilm-cuts.json");
        Path w = tmp.resolve("minilm-cuts.witness");
        assertEquals(0, prove(minilm, minilmX, t, "--witness", w.toString()).code());
        Transcript honest = TranscriptCodec.read(t);
        TranscriptHeader h = honest.header();
        List<String> reversed = new ArrayList<>(h.cuts());
        java.util.Collections.reverse(reversed);
        List<String> unknown = new ArrayList<>(h.cuts());
        unknown.set(2, "/encoder/layer.1/attention/self/query/NoSuchNode");
        Map<String, List<String>> bogus = new LinkedHashMap<>();
        bogus.put("out of order", reversed);
        bogus.put("a cut naming no node", unknown);
        bogus.put("the first node step", List.of(inspectJson(nodeTranscript()).get("steps").get(0).get("name").asText()));
        for (var e : bogus.entrySet()) {
            Path f = write(new Transcript(h.withPartition(Granularity.BLOCK, e.getValue()), honest.steps(), honest.profile()),
                    "cuts-" + e.getKey().replace(' ', '-') + ".json");
            Cli.Result v = verify(f, minilm, minilmX);
            assertEquals(1, v.code(), e.getKey() + ": " + v);
            assertTrue(v.out().startsWith("INVALID header.GRANULARITY"), e.getKey() + ": " + v);
            Cli.Result s = verify(f, minilm, minilmX, "--witness", w.toString(), "--spot", "2");
            assertEquals(1, s.code(), e.getKey() + " (spot): " + s);
            assertTrue(s.out().startsWith("INVALID header.GRANULARITY"), e.getKey() + " (spot): " + s);
            assertEquals(0, Cli.run("inspect", f.toString()).code(), "a well-formed file: inspect shows it");
        }
        // cuts the model can have, but not the steps these blocks ran, and the granularity rewritten under the same steps
        Path moved = write(new Transcript(h.withPartition(Granularity.BLOCK, List.of(LAYER.formatted(3))), honest.steps(),
                honest.profile()), "cuts-moved.json");
        Path asNodes = write(new Transcript(h.withPartition(Granularity.NODE, List.of()), honest.steps(), honest.profile()),
                "cuts-as-nodes.json");
        for (Path f : List.of(moved, asNodes)) {
            Cli.Result v = verify(f, minilm, minilmX);
            assertEquals(1, v.code(), v.toString());
            Cli.Result s = verify(f, minilm, minilmX, "--witness", w.toString(), "--spot", "2");
            assertEquals(1, s.code(), s.toString());
        }
        // the honest control; against another input the header's inputs are false first (as full verification
        // checks them), and an input that does not fit the model is bad usage, not INVALID
        Cli.Result control = verify(t, minilm, minilmX, "--witness", w.toString(), "--spot", "2");
        assertEquals(0, control.code(), control.toString());
        Path f = tmp.resolve("cuts-out-of-order.json");
        Path other = miniLmInput(tmp.resolve("other-tokens.npz"), 12);
        for (String[] mode : List.of(new String[0], new String[] {"--witness", w.toString(), "--spot", "2"})) {
            Cli.Result o = verify(f, minilm, other, mode);
            assertEquals(1, o.code(), o.toString());
            assertTrue(o.out().startsWith("INVALID header.INPUTS"), o.toString());
        }
        // another tensor in the input's place (float ids): the header's inputs are false, whatever the cuts say
        Map<String, WitnessTensor> wrong = new LinkedHashMap<>(Npz.read(minilmX));
        wrong.put("input_ids", WitnessTensor.ofFloat32(new float[16], 1, 16));
        Path floats = tmp.resolve("float-ids.npz");
        Npz.write(wrong, floats);
        // an input the model cannot take at all (a member missing): bad usage, not INVALID, in both modes
        Map<String, WitnessTensor> missing = new LinkedHashMap<>(Npz.read(minilmX));
        missing.remove("token_type_ids");
        Path two = tmp.resolve("two-members.npz");
        Npz.write(missing, two);
        for (String[] mode : List.of(new String[0], new String[] {"--witness", w.toString(), "--spot", "2"})) {
            Cli.Result fl = verify(f, minilm, floats, mode);
            assertEquals(1, fl.code(), fl.toString());
            assertTrue(fl.out().startsWith("INVALID header.INPUTS"), fl.toString());
            Cli.Result u = verify(f, minilm, two, mode);
            assertEquals(2, u.code(), u.toString());
        }
    }

    @Test
    void aDescentSubTranscriptShowsItsScopeAndIsNoWholeModelClaim() throws Exception {
        var profile = EngineSupport.of(OnnxProfiles.ENGINE).apply(1, 1, 42);
        Path sub = tmp.resolve("descent.json");
        String blockName;
        try (LoadedModel m = LoadedModel.open(silero, profile, RecordingOptions.full().withWitness());
                NDManager mgr = m.model().getNDManager().newSubManager()) {
            NDList x = Inputs.toNDList(mgr, Inputs.read(sileroX));
            Prediction<NDList> p = m.predict(x);
            Witness w = p.witness().orElseThrow();
            Step s = p.transcript().steps().get(1);
            blockName = s.name();
            NDList in = new NDList();
            for (Digest d : s.inputs()) {
                in.add(w.tensor(d).toNDArray(mgr));
            }
            try (VerifiableModel down = m.verifiable().descend(x, 1, RecordingOptions.full())) {
                Transcript t = down.predict(in).transcript();
                assertEquals(blockName, t.header().scope());
                TranscriptCodec.write(t, sub);
            }
            in.forEach(NDArray::close);
        }
        JsonNode j = inspectJson(sub);
        assertEquals(blockName, j.get("scope").asText());
        assertEquals("node", j.get("granularity").asText());
        Cli.Result table = Cli.run("inspect", sub.toString());
        assertTrue(table.out().contains("scope           block '" + blockName + "': a dispute's descent"), table.toString());
        Cli.Result v = verify(sub, silero, sileroX);
        assertEquals(1, v.code(), v.toString());
        assertTrue(v.out().startsWith("INVALID header."), v.toString());
    }

    @Test
    void sileroAtEveryGranularityAndATamperedBlock() throws Exception {
        Transcript node = proveAndCheck("silero", silero, sileroX, "node", 214);
        Transcript block = proveAndCheck("silero", silero, sileroX, "block", 13); // the README's count
        assertEquals(node.header().outputs(), block.header().outputs());
        assertTrue(block.steps().stream().anyMatch(s -> s.name().contains(Blocks.NAME_SEPARATOR)));
        Transcript output = proveAndCheck("silero", silero, sileroX, "output", 1);
        assertEquals(block.header().outputs(), output.header().outputs());
        Path bad = tmp.resolve("silero-block-tampered.json");
        Files.writeString(bad, DemoCommand.tamper(Files.readString(tmp.resolve("silero-block.json")), 1));
        Cli.Result b = verify(bad, silero, sileroX);
        assertEquals(1, b.code(), b.toString());
        assertTrue(b.out().startsWith("INVALID step[1]"), b.toString());
    }

    @Test
    void batchProvingTakesTheGranularityAndThePartitionForEveryInput() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("frames"));
        SileroCliTest.sileroInput(dir.resolve("a.npz"), 1);
        SileroCliTest.sileroInput(dir.resolve("b.npz"), 2);
        Path out = tmp.resolve("frames-out");
        Cli.Result r = prove(silero, dir, out, "--granularity", "output");
        assertEquals(0, r.code(), r.toString());
        for (String f : List.of("a", "b")) {
            Transcript t = TranscriptCodec.read(out.resolve(f + ".json"));
            assertEquals(Granularity.OUTPUT, t.header().granularity());
            assertEquals(1, t.steps().size());
        }
        Path dflt = tmp.resolve("silero-default.json");
        assertEquals(0, prove(silero, sileroX, dflt).code());
        List<String> cuts = TranscriptCodec.read(dflt).header().cuts();
        assertTrue(cuts.size() >= 2, cuts.toString());
        String one = cuts.get(cuts.size() / 2);
        Path outP = tmp.resolve("frames-partition");
        Cli.Result p = prove(silero, dir, outP, "--partition", one);
        assertEquals(0, p.code(), p.toString());
        for (String f : List.of("a", "b")) {
            Transcript t = TranscriptCodec.read(outP.resolve(f + ".json"));
            assertEquals(List.of(one), t.header().cuts());
            assertEquals(2, t.steps().size());
            assertEquals(0, verify(outP.resolve(f + ".json"), silero, dir.resolve(f + ".npz")).code());
        }
        Cli.Result bad = prove(silero, dir, tmp.resolve("frames-bad"), "--partition", "NoSuchNode");
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("cut 'NoSuchNode'") && bad.err().contains("a.npz"), bad.toString());
    }

    @Test
    void aDjlModelDirectoryAtEveryGranularityWithAnExplicitPartition() throws Exception {
        Transcript node = proveAndCheck("cnn", cnn, cnnX, "node", -1);
        Transcript block = proveAndCheck("cnn", cnn, cnnX, "block", -1);
        Transcript output = proveAndCheck("cnn", cnn, cnnX, "output", 1);
        assertTrue(node.steps().size() > block.steps().size(), node.steps().size() + " node steps, " + block.steps().size() + " blocks");
        assertTrue(block.steps().stream().anyMatch(s -> s.name().contains(Blocks.NAME_SEPARATOR)), "the nested sequence is one block");
        assertEquals(node.header().outputs(), block.header().outputs());
        assertEquals(node.header().outputs(), output.header().outputs());
        // blocks of the node steps [0, 3) and [3, n)
        String cut = node.steps().get(3).name();
        Path t = tmp.resolve("cnn-partition.json");
        Path w = tmp.resolve("cnn-partition.witness");
        Cli.Result p = prove(cnn, cnnX, t, "--partition", cut, "--witness", w.toString());
        assertEquals(0, p.code(), p.toString());
        Transcript tr = TranscriptCodec.read(t);
        assertEquals(2, tr.steps().size());
        assertEquals(node.steps().get(0).name() + Blocks.NAME_SEPARATOR + node.steps().get(2).name(), tr.steps().get(0).name());
        assertEquals(0, verify(t, cnn, cnnX).code());
        assertEquals(0, verify(t, cnn, cnnX, "--witness", w.toString(), "--spot", "2").code());
        Cli.Result bad = prove(cnn, cnnX, tmp.resolve("cnn-bad.json"), "--partition", node.steps().get(4).name() + "," + cut);
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("cut '" + cut + "'") && bad.err().contains("execution order"), bad.toString());
    }
}
