package dev.opg.verify;

import dev.opg.core.transcript.Granularity;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.util.Pair;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Sketch;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import dev.opg.core.model.ParameterEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tamper suite: seeded random single-field and single-bit mutations of real transcripts
 * (DJL MLP and CNN, TorchScript; FULL and SKETCH mode; Silero VAD v5, a third-party ONNX model
 * recorded one step per node, at 16 kHz and 8 kHz), their witnesses, inputs and model weights.
 * Every mutation must be detected at the place it was made, and the unmutated transcripts must
 * verify VALID every time they are checked in the same run (codec round trips, full
 * re-executions, spot checks of every step).
 */
class TamperSuiteTest {
    private static final Logger LOG = LoggerFactory.getLogger(TamperSuiteTest.class);
    private static final long SEED = 20240601L;

    /** What the transcript-level mutation loops need of a case, DJL or ONNX alike. */
    private interface Labelled {
        String label();

        Transcript honest();
    }

    private record Case(String label, Model model, VerifiableModel vm, Transcript honest, Witness witness, Shape shape, long inputSeed)
            implements Labelled {}

    private static DeterminismProfile profile;
    private static NDManager manager;
    private static final List<Case> cases = new ArrayList<>();
    private static final List<AutoCloseable> closeables = new ArrayList<>();

    /** A Silero VAD v5 transcript: {@code TestModels.sileroInput(manager, inputSeed, sampleRate)} recorded FULL with witness. */
    private record OnnxCase(String label, Transcript honest, Witness witness, long inputSeed, long sampleRate)
            implements Labelled {}

    private static DeterminismProfile onnxProfile;
    private static Model silero;
    private static VerifiableModel sileroVm;
    private static NDManager sileroManager;
    private static final List<OnnxCase> onnxCases = new ArrayList<>();

    @BeforeAll
    static void record() throws Exception {
        profile = TestModels.pytorchProfile();
        manager = NDManager.newBaseManager("PyTorch");
        Model mlp = TestModels.mlp(1);
        Model cnn = TestModels.cnn(2);
        Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(TestModels.torchScriptFixture()).optEngine("PyTorch").build();
        ZooModel<NDList, NDList> ts = criteria.loadModel();
        closeables.add(mlp);
        closeables.add(cnn);
        closeables.add(ts);
        add("mlp-full", mlp, RecordingOptions.full().at(Granularity.NODE).withWitness(), TestModels.MLP_INPUT, 7);
        add("cnn-full", cnn, RecordingOptions.full().at(Granularity.NODE).withWitness(), TestModels.CNN_INPUT, 8);
        add("torchscript-full", ts, RecordingOptions.full().at(Granularity.NODE).withWitness(), new Shape(1, 16), 9);
        add("mlp-sketch", mlp, RecordingOptions.sketch(8).at(Granularity.NODE), TestModels.MLP_INPUT, 10);
        // Silero VAD v5: loaded once, both branches of its sample-rate If recorded
        onnxProfile = TestModels.onnxProfile();
        silero = TestModels.loadOnnx(TestModels.sileroVadV5());
        closeables.add(silero);
        sileroVm = VerifiableModel.wrap(silero, onnxProfile, RecordingOptions.full().at(Granularity.NODE).withWitness());
        closeables.add(sileroVm);
        sileroManager = silero.getNDManager().newSubManager();
        closeables.add(sileroManager);
        for (long[] run : new long[][] {{11, 16000}, {12, 8000}}) {
            Prediction<NDList> p = sileroVm.predict(TestModels.sileroInput(sileroManager, run[0], run[1]));
            onnxCases.add(new OnnxCase("silero-" + run[1] / 1000 + "k", p.transcript(), p.witness().orElseThrow(), run[0], run[1]));
        }
        assertEquals(214, onnxCases.get(0).honest().steps().size(), "Silero v5 steps at 16 kHz");
    }

    private static void add(String label, Model model, RecordingOptions options, Shape shape, long inputSeed) {
        VerifiableModel vm = VerifiableModel.wrap(model, profile, options);
        closeables.add(vm);
        Prediction<NDList> p = vm.predict(TestModels.input(manager, shape, inputSeed));
        cases.add(new Case(label, model, vm, p.transcript(), p.witness().orElse(null), shape, inputSeed));
    }

    @AfterAll
    static void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        manager.close();
    }

    private static Digest flip(Digest d, Random r) {
        byte[] b = d.toByteArray();
        int bit = r.nextInt(256);
        b[bit / 8] ^= (byte) (1 << (bit % 8));
        return Digest.of(b);
    }

    private static List<Digest> flipOne(List<Digest> ds, Random r) {
        List<Digest> out = new ArrayList<>(ds);
        int i = r.nextInt(ds.size());
        out.set(i, flip(ds.get(i), r));
        return out;
    }

    private static Transcript withHeader(Transcript t, TranscriptHeader h, DeterminismProfile p) {
        return new Transcript(h, t.steps(), p);
    }

    private static Transcript withStep(Transcript t, int i, Step s) {
        List<Step> list = new ArrayList<>(t.steps());
        list.set(i, s);
        return new Transcript(t.header(), list, t.profile());
    }

    private static Step reindexed(Step s, int index) {
        return new Step(index, s.name(), s.inputs(), s.outputs(), s.sketches());
    }

    /** One mutation of {@code t}: the mutated transcript and the location a verifier must name. */
    private record Mutation(String kind, Transcript transcript, String location) {}

    private static Mutation mutate(Transcript t, Random r) {
        TranscriptHeader h = t.header();
        int n = t.steps().size();
        boolean sketch = h.mode() == dev.opg.core.transcript.CommitmentMode.SKETCH;
        while (true) {
            int kind = r.nextInt(10);
            switch (kind) {
                case 0 -> {
                    TranscriptHeader m = new TranscriptHeader(h.version(), h.mode(), h.sketchDimension(), flip(h.modelId(), r),
                            h.profileDigest(), h.inputNames(), h.inputs(), h.outputs());
                    return new Mutation("model id bit", withHeader(t, m, t.profile()), "header.MODEL_ID");
                }
                case 1 -> {
                    TranscriptHeader m = new TranscriptHeader(h.version(), h.mode(), h.sketchDimension(), h.modelId(),
                            h.profileDigest(), h.inputNames(), flipOne(h.inputs(), r), h.outputs());
                    return new Mutation("input digest bit", withHeader(t, m, t.profile()), "header.INPUTS");
                }
                case 2 -> {
                    TranscriptHeader m = new TranscriptHeader(h.version(), h.mode(), h.sketchDimension(), h.modelId(),
                            h.profileDigest(), h.inputNames(), h.inputs(), flipOne(h.outputs(), r));
                    return new Mutation("output digest bit", withHeader(t, m, t.profile()), "header.OUTPUTS");
                }
                case 3 -> {
                    DeterminismProfile p = t.profile();
                    DeterminismProfile q = switch (r.nextInt(4)) {
                        case 0 -> p.withSeed(p.seed() + 1 + r.nextInt(1000));
                        case 1 -> p.withThreads(p.intraOpThreads() + 1 + r.nextInt(8), p.interOpThreads());
                        case 2 -> p.withCpuCapability(p.cpuCapability().equals("avx2") ? "avx512" : "avx2");
                        default -> new DeterminismProfile(p.engine(), p.engineVersion() + "." + r.nextInt(10), p.djlVersion(),
                                p.nativeLibrary(), p.os(), p.arch(), p.cpuCapability(), p.intraOpThreads(), p.interOpThreads(),
                                p.graphOptimizer(), p.deterministicAlgorithms(), p.seed(), p.dtype());
                    };
                    TranscriptHeader m = new TranscriptHeader(h.version(), h.mode(), h.sketchDimension(), h.modelId(),
                            q.digest(), h.inputNames(), h.inputs(), h.outputs());
                    return new Mutation("profile field", withHeader(t, m, q), "header.PROFILE");
                }
                case 4 -> {
                    if (sketch) {
                        continue;
                    }
                    int i = r.nextInt(n);
                    Step s = t.steps().get(i);
                    if (s.inputs().isEmpty()) {
                        continue; // an ONNX Constant node
                    }
                    return new Mutation("step input bit", withStep(t, i, Step.full(i, s.name(), flipOne(s.inputs(), r), s.outputs())),
                            "step[" + i + "].INPUTS");
                }
                case 5 -> {
                    if (sketch) {
                        continue;
                    }
                    int i = r.nextInt(n);
                    Step s = t.steps().get(i);
                    return new Mutation("step output bit", withStep(t, i, Step.full(i, s.name(), s.inputs(), flipOne(s.outputs(), r))),
                            "step[" + i + "].OUTPUTS");
                }
                case 6 -> {
                    int i = r.nextInt(n);
                    Step s = t.steps().get(i);
                    char[] c = s.name().toCharArray();
                    int at = r.nextInt(c.length);
                    char repl = (char) ('a' + r.nextInt(26));
                    if (repl == c[at]) {
                        continue;
                    }
                    c[at] = repl;
                    return new Mutation("step name", withStep(t, i, new Step(i, new String(c), s.inputs(), s.outputs(), s.sketches())),
                            "step[" + i + "].NAME");
                }
                case 7 -> {
                    if (n < 2) {
                        continue;
                    }
                    int i = r.nextInt(n - 1);
                    int j = i + 1 + r.nextInt(n - 1 - i);
                    List<Step> list = new ArrayList<>(t.steps());
                    list.set(i, reindexed(t.steps().get(j), i));
                    list.set(j, reindexed(t.steps().get(i), j));
                    return new Mutation("step order", new Transcript(h, list, t.profile()), "step[" + i + "]");
                }
                case 8 -> {
                    int i = r.nextInt(n);
                    List<Step> list = new ArrayList<>();
                    for (Step s : t.steps()) {
                        if (s.index() < i) {
                            list.add(s);
                        } else if (s.index() > i) {
                            list.add(reindexed(s, (int) s.index() - 1));
                        }
                    }
                    return new Mutation("step removed", new Transcript(h, list, t.profile()), "step[" + i + "]");
                }
                default -> {
                    if (!sketch) {
                        continue;
                    }
                    int i = r.nextInt(n);
                    Step s = t.steps().get(i);
                    List<Sketch> ks = new ArrayList<>(s.sketches());
                    int k = r.nextInt(ks.size());
                    float[] v = ks.get(k).values();
                    int e = r.nextInt(v.length);
                    v[e] = Float.intBitsToFloat(Float.floatToRawIntBits(v[e]) ^ (1 << r.nextInt(32)));
                    ks.set(k, new Sketch(ks.get(k).dtype(), ks.get(k).shape(), v));
                    return new Mutation("sketch value bit", withStep(t, i, Step.sketched(i, s.name(), ks)), "step[" + i + "].SKETCHES");
                }
            }
        }
    }

    /**
     * {@code count} random single mutations of the cases' honest transcripts, each detected at the
     * mutated location; every tenth iteration also checks that the honest one is VALID. Returns
     * the number of those valid checks.
     */
    private static int transcriptMutations(List<? extends Labelled> cases, int count, Random r,
            Map<String, Integer> byKind, Map<String, Integer> byModel) {
        int validChecks = 0;
        for (int iter = 0; iter < count; iter++) {
            Labelled c = cases.get(r.nextInt(cases.size()));
            Mutation m = mutate(c.honest(), r);
            assertDetected(c.label(), c.honest(), m, iter);
            byKind.merge(m.kind(), 1, Integer::sum);
            byModel.merge(c.label(), 1, Integer::sum);
            if (iter % 10 == 0) {
                assertRoundTripIsValid(c.label(), c.honest());
                validChecks++;
            }
        }
        return validChecks;
    }

    /** {@code count} changed hex digits of the JSON root field, each rejected; returns {@code count}. */
    private static int rootMutations(List<? extends Labelled> cases, int count, Random r,
            Map<String, Integer> byKind, Map<String, Integer> byModel) {
        for (int iter = 0; iter < count; iter++) {
            Labelled c = cases.get(r.nextInt(cases.size()));
            assertChangedRootIsRejected(c.honest(), r);
            byKind.merge("json root digit", 1, Integer::sum);
            byModel.merge(c.label(), 1, Integer::sum);
        }
        return count;
    }

    private static void assertDetected(String label, Transcript honest, Mutation m, int iter) {
        VerificationReport report = TranscriptComparator.compare(m.transcript(), honest);
        assertEquals(Verdict.INVALID, report.verdict(), label + " " + m.kind() + " #" + iter);
        String loc = report.firstFinding().orElseThrow().location();
        assertTrue(loc.equals(m.location()) || loc.startsWith(m.location() + "."),
                label + " " + m.kind() + " #" + iter + ": found " + loc + ", mutated " + m.location());
    }

    private static void assertRoundTripIsValid(String label, Transcript honest) {
        Transcript again = TranscriptCodec.decode(TranscriptCodec.encode(honest));
        assertEquals(Verdict.VALID, TranscriptComparator.compare(again, honest).verdict(), "false positive on " + label);
    }

    /** The transcript's JSON with one hex digit of its root field changed must not decode. */
    private static void assertChangedRootIsRejected(Transcript honest, Random r) {
        String json = TranscriptCodec.encodeToString(honest);
        int at = json.lastIndexOf("\"root\":\"") + 8 + r.nextInt(64);
        char old = json.charAt(at);
        char repl = "0123456789abcdef".charAt((Character.digit(old, 16) + 1 + r.nextInt(15)) % 16);
        String bad = json.substring(0, at) + repl + json.substring(at + 1);
        try {
            TranscriptCodec.decode(bad.getBytes(StandardCharsets.UTF_8));
            throw new AssertionError("a changed root was accepted");
        } catch (MalformedInputException e) {
            assertTrue(e.getMessage().contains("root"), e.getMessage());
        }
    }

    /** Every step tensor of an honest witness, by digest. */
    private static Map<Digest, WitnessTensor> tensorsOf(Transcript t, Witness w) {
        Map<Digest, WitnessTensor> map = new HashMap<>();
        for (Step x : t.steps()) {
            for (Digest y : x.inputs()) {
                map.put(y, w.tensor(y));
            }
            for (Digest y : x.outputs()) {
                map.put(y, w.tensor(y));
            }
        }
        return map;
    }

    /**
     * A spot check of every step of the honest transcript (must be VALID), then {@code count}
     * witnesses with one bit of one step input tensor flipped; the spot check of that step must
     * name it ({@code step[i].WITNESS}). Steps without inputs (ONNX Constant nodes) are skipped.
     */
    private static int witnessFlips(String label, VerifiableModel vm, dev.opg.core.transcript.Dataflow flow, Transcript honest,
            Witness witness, Random r, int count, Map<String, Integer> byKind) {
        Map<Digest, WitnessTensor> honestTensors = tensorsOf(honest, witness);
        try (SpotChecker checker = new SpotChecker(new DjlStepExecutor(vm), 2)) {
            assertEquals(Verdict.VALID, checker.check(honest, honest.root(), flow, TensorSource.of(witness),
                    rangeOf(honest.steps().size()), Tolerance.bitwise()).verdict(), "spot-check false positive on " + label);
            for (int iter = 0; iter < count; iter++) {
                int i;
                do {
                    i = r.nextInt(honest.steps().size());
                } while (honest.steps().get(i).inputs().isEmpty());
                Step s = honest.steps().get(i);
                Digest d = s.inputs().get(r.nextInt(s.inputs().size()));
                WitnessTensor t = witness.tensor(d);
                byte[] data = t.data();
                int bit = r.nextInt(data.length * 8);
                data[bit / 8] ^= (byte) (1 << (bit % 8));
                Map<Digest, WitnessTensor> map = new HashMap<>(honestTensors);
                map.put(d, new WitnessTensor(t.dtype(), t.shape(), data));
                VerificationReport rep = checker.check(honest, honest.root(), flow, TensorSource.of(map), List.of(i), Tolerance.bitwise());
                assertEquals("step[" + i + "].WITNESS", rep.firstFinding().orElseThrow().location(), label + " step " + s.name());
                byKind.merge("witness tensor bit", 1, Integer::sum);
            }
        }
        return count;
    }

    @Test
    void everyMutationIsDetectedAtItsLocationAndNoValidTranscriptIsRejected(@TempDir Path dir) throws Exception {
        long start = System.nanoTime();
        Random r = new Random(SEED);
        int mutations = 0;
        int validChecks = 0;
        Map<String, Integer> byKind = new HashMap<>();
        Map<String, Integer> byModel = new java.util.TreeMap<>();
        // 1. Transcript mutations, verified against the cached honest re-execution.
        validChecks += transcriptMutations(cases, 10_000, r, byKind, byModel);
        mutations += 10_000;
        // 2. The root as presented: one hex digit of the JSON root field changed.
        mutations += rootMutations(cases, 200, r, byKind, byModel);
        // 3. Witness tensors: one bit of a step input tensor flipped; the spot check of that step names it.
        for (Case c : cases) {
            if (c.witness() == null) {
                continue;
            }
            dev.opg.core.transcript.Dataflow flow;
            try (NDManager m = manager.newSubManager()) {
                flow = c.vm().dataflow(TestModels.input(m, c.shape(), c.inputSeed()));
            }
            int n = witnessFlips(c.label(), c.vm(), flow, c.honest(), c.witness(), r, 40, byKind);
            validChecks++;
            byModel.merge(c.label(), n, Integer::sum);
            mutations += n;
        }
        // 4. Real re-execution: model weights and inputs (a bounded number; each runs the model).
        for (Case c : cases) {
            try (Verifier v = new Verifier(c.model(), profile)) {
                NDList input = TestModels.input(manager, c.shape(), c.inputSeed());
                assertEquals(Verdict.VALID, v.verify(c.honest(), input).verdict(), "re-execution false positive on " + c.label());
                validChecks++;
                for (int iter = 0; iter < 6; iter++) {
                    NDArray x = TestModels.input(manager, c.shape(), c.inputSeed()).head();
                    float[] vals = x.toFloatArray();
                    int e = r.nextInt(vals.length);
                    vals[e] = Float.intBitsToFloat(Float.floatToRawIntBits(vals[e]) ^ (1 << r.nextInt(32)));
                    VerificationReport rep = v.verify(c.honest(), new NDList(manager.create(vals, c.shape())));
                    assertEquals("header.INPUTS", rep.firstFinding().orElseThrow().location(), c.label());
                    assertEquals(CheckKind.NONE, rep.kind(), "rejected before execution");
                    byKind.merge("input element bit", 1, Integer::sum);
                    byModel.merge(c.label(), 1, Integer::sum);
                    mutations++;
                }
            }
        }
        for (String which : List.of("mlp", "cnn")) {
            Case c = cases.stream().filter(x -> x.label().equals(which + "-full")).findFirst().orElseThrow();
            for (int iter = 0; iter < 6; iter++) {
                try (Model m = which.equals("mlp") ? TestModels.mlp(1) : TestModels.cnn(2); Verifier v = new Verifier(m, profile)) {
                    List<Pair<String, Parameter>> ps = m.getBlock().getParameters().stream().toList();
                    NDArray w = ps.get(r.nextInt(ps.size())).getValue().getArray();
                    float[] vals = w.toFloatArray();
                    int e = r.nextInt(vals.length);
                    vals[e] = Float.intBitsToFloat(Float.floatToRawIntBits(vals[e]) ^ (1 << r.nextInt(32)));
                    w.set(vals);
                    VerificationReport rep = v.verify(c.honest(), TestModels.input(manager, c.shape(), c.inputSeed()));
                    assertEquals("header.MODEL_ID", rep.firstFinding().orElseThrow().location(), c.label());
                    byKind.merge("weight bit", 1, Integer::sum);
                    byModel.merge(c.label(), 1, Integer::sum);
                    mutations++;
                }
            }
        }
        double djlSeconds = (System.nanoTime() - start) / 1e9;
        int[] counts = sileroMutations(dir, r, byKind, byModel);
        mutations += counts[0];
        validChecks += counts[1];
        double seconds = (System.nanoTime() - start) / 1e9;
        LOG.info("tamper suite: {} mutations detected at their location, {} valid checks passed, {} s ({} s DJL and TorchScript, "
                + "{} s Silero); by model {}; by kind {}", mutations, validChecks, String.format("%.1f", seconds),
                String.format("%.1f", djlSeconds), String.format("%.1f", seconds - djlSeconds), byModel, byKind);
        assertTrue(mutations >= 10_000, mutations + " mutations");
        assertTrue(byModel.getOrDefault("silero-16k", 0) + byModel.getOrDefault("silero-8k", 0) >= 3_000, "Silero mutations " + byModel);
        assertTrue(seconds < 180, "took " + seconds + " s");
    }

    /**
     * Silero VAD v5 (ONNX, one step per node): transcript mutations, changed roots, witness bit
     * flips under spot checks, changed input elements under full re-execution, and changed weights
     * (one bit of one Constant tensor in a copy of the .onnx file) rejected by the model id check
     * before execution. Returns {mutations, valid checks}.
     */
    private static int[] sileroMutations(Path dir, Random r, Map<String, Integer> byKind, Map<String, Integer> byModel) throws Exception {
        int mutations = 0;
        int validChecks = 0;
        // a. transcript mutations: header fields, step digests, names, order, removal
        validChecks += transcriptMutations(onnxCases, 3_000, r, byKind, byModel);
        mutations += 3_000;
        // b. the root as presented
        mutations += rootMutations(onnxCases, 100, r, byKind, byModel);
        // c. witness tensors: each ONNX node re-run alone (runStep) from the witness
        for (OnnxCase c : onnxCases) {
            dev.opg.core.transcript.Dataflow flow;
            try (NDManager m = sileroManager.newSubManager()) {
                flow = sileroVm.dataflow(TestModels.sileroInput(m, c.inputSeed(), c.sampleRate()));
            }
            int n = witnessFlips(c.label(), sileroVm, flow, c.honest(), c.witness(), r, 60, byKind);
            validChecks++;
            byModel.merge(c.label(), n, Integer::sum);
            mutations += n;
        }
        // d. inputs: one bit of one audio or state element, or the sample rate, changed; full re-execution of the honest ones
        try (Verifier v = new Verifier(silero, onnxProfile)) {
            for (OnnxCase c : onnxCases) {
                assertEquals(Verdict.VALID, v.verify(c.honest(), TestModels.sileroInput(sileroManager, c.inputSeed(), c.sampleRate()))
                        .verdict(), "re-execution false positive on " + c.label());
                validChecks++;
                for (int iter = 0; iter < 10; iter++) {
                    NDList in = TestModels.sileroInput(sileroManager, c.inputSeed(), c.sampleRate());
                    int which = r.nextInt(3);
                    if (which < 2) {
                        float[] vals = in.get(which).toFloatArray();
                        int e = r.nextInt(vals.length);
                        vals[e] = Float.intBitsToFloat(Float.floatToRawIntBits(vals[e]) ^ (1 << r.nextInt(32)));
                        in.set(which, sileroManager.create(vals, in.get(which).getShape()));
                    } else {
                        in.set(2, sileroManager.create(c.sampleRate() ^ (1L << r.nextInt(63))));
                    }
                    VerificationReport rep = v.verify(c.honest(), in);
                    assertEquals("header.INPUTS", rep.firstFinding().orElseThrow().location(), c.label() + " input " + which);
                    assertEquals(CheckKind.NONE, rep.kind(), "rejected before execution");
                    byKind.merge("input element bit", 1, Integer::sum);
                    byModel.merge(c.label(), 1, Integer::sum);
                    mutations++;
                }
            }
        }
        // e. weights: Silero keeps them in Constant nodes; the Constant steps' outputs are their tensors, stored raw in the file
        OnnxCase c = onnxCases.get(0);
        byte[] file = Files.readAllBytes(TestModels.sileroVadV5());
        Map<String, Digest> honestParams = new HashMap<>();
        for (ParameterEntry p : sileroVm.commitment().parameters()) {
            honestParams.put(p.name(), p.digest());
        }
        List<Step> constants = new ArrayList<>();
        for (Step s : c.honest().steps()) {
            if (s.inputs().isEmpty() && s.outputs().size() == 1 && c.witness().tensor(s.outputs().get(0)).data().length >= 64
                    && honestParams.containsValue(s.outputs().get(0))) {
                constants.add(s);
            }
        }
        assertTrue(constants.size() >= 10, "Silero's weight-holding Constant steps: " + constants.size());
        NDList input = TestModels.sileroInput(sileroManager, c.inputSeed(), c.sampleRate());
        for (int iter = 0; iter < 8; iter++) {
            Step s = constants.get(r.nextInt(constants.size()));
            WitnessTensor w = c.witness().tensor(s.outputs().get(0));
            byte[] data = w.data();
            int at = indexOf(file, data, 0);
            assertTrue(at >= 0 && indexOf(file, data, at + 1) < 0, "the tensor of " + s.name() + " is stored once, raw");
            int bit = r.nextInt(data.length * 8);
            byte[] changed = file.clone();
            changed[at + bit / 8] ^= (byte) (1 << (bit % 8));
            data[bit / 8] ^= (byte) (1 << (bit % 8));
            Digest mutatedWeight = new WitnessTensor(w.dtype(), w.shape(), data).digest();
            Path f = dir.resolve("weight" + iter).resolve("silero_vad_v5.onnx");
            Files.createDirectories(f.getParent());
            Files.write(f, changed);
            try (Model m = TestModels.loadOnnx(f); Verifier v = new Verifier(m, onnxProfile);
                    VerifiableModel vm = VerifiableModel.wrap(m, onnxProfile, RecordingOptions.full().at(Granularity.NODE))) {
                VerificationReport rep = v.verify(c.honest(), input);
                assertEquals("header.MODEL_ID", rep.firstFinding().orElseThrow().location(), s.name());
                assertEquals(CheckKind.NONE, rep.kind(), "rejected before execution");
                // the commitment pins the change to this one weight: exactly its leaf differs
                List<ParameterEntry> differing = vm.commitment().parameters().stream()
                        .filter(p -> !p.digest().equals(honestParams.get(p.name()))).toList();
                assertEquals(1, differing.size(), s.name() + ": " + differing);
                assertEquals(s.outputs().get(0), honestParams.get(differing.get(0).name()), s.name());
                assertEquals(mutatedWeight, differing.get(0).digest(), s.name());
            }
            byKind.merge("weight bit", 1, Integer::sum);
            byModel.merge(c.label(), 1, Integer::sum);
            mutations++;
        }
        return new int[] {mutations, validChecks};
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static List<Integer> rangeOf(int n) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(i);
        }
        return l;
    }
}
