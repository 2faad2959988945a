package dev.opg.cli;

import static dev.opg.core.testmodels.TestValues.floats;
import static dev.opg.core.testmodels.TestValues.withFloat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Digest;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code opg verify} on issue 11, class 3, end to end: forged files (every digest and the root
 * recomputed) are exit 1, or exit 3 where the tensors to compare were not given, never 0; the
 * honest files beside them are exit 0 under the same options.
 */
class ToleranceAndProfileCliTest {
    @TempDir
    static Path tmp;
    private static Path model;
    private static Path x;
    private static Path full;
    private static Path fullWitness;
    private static Path sketch;
    private static Path sketchWitness;

    @BeforeAll
    static void prove() throws Exception {
        model = TestFixtures.saveModel(tmp.resolve("mlp"), "mlp", 5);
        x = TestFixtures.saveInput(tmp.resolve("x.npz"), "mlp", 6);
        full = tmp.resolve("full.json");
        fullWitness = tmp.resolve("full-witness");
        Cli.Result p = Cli.run("prove", "--model", model.toString(), "--input", x.toString(), "--out", full.toString(),
                "--witness", fullWitness.toString());
        assertEquals(0, p.code(), p.toString());
        sketch = tmp.resolve("sketch.json");
        sketchWitness = tmp.resolve("sketch-witness");
        Cli.Result s = Cli.run("prove", "--model", model.toString(), "--input", x.toString(), "--out", sketch.toString(),
                "--mode", "sketch", "--sketch-dim", "8", "--witness", sketchWitness.toString());
        assertEquals(0, s.code(), s.toString());
    }

    private static Cli.Result verify(Path t, String... more) {
        List<String> args = new ArrayList<>(List.of("verify", t.toString(), "--model", model.toString(), "--input", x.toString()));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    private static Path write(Transcript t, String name) throws Exception {
        Path out = tmp.resolve(name);
        TranscriptCodec.write(t, out);
        return out;
    }

    @Test
    void aProfileFieldWithATrailingSpaceIsInvalidInEveryMode() throws Exception {
        Transcript honest = TranscriptCodec.read(full);
        DeterminismProfile p = honest.profile();
        DeterminismProfile q = new DeterminismProfile(p.engine(), p.engineVersion(), p.djlVersion(), p.nativeLibrary(), p.os() + " ",
                p.arch(), p.cpuCapability(), p.intraOpThreads(), p.interOpThreads(), p.graphOptimizer(), p.deterministicAlgorithms(),
                p.seed(), p.dtype());
        TranscriptHeader h = honest.header();
        Path forged = write(new Transcript(h.withProfileDigest(q.digest()), honest.steps(), q), "os-space.json");
        String[][] modes = {{}, {"--tolerance", "abs=1e-3,rel=0.5", "--witness", fullWitness.toString()},
            {"--spot", "2", "--witness", fullWitness.toString()},
            {"--spot", "2", "--witness", fullWitness.toString(), "--tolerance", "rel=0.5"}};
        for (String[] mode : modes) {
            Cli.Result r = verify(forged, mode);
            assertEquals(1, r.code(), List.of(mode) + ": " + r);
            assertTrue(r.out().startsWith("INVALID header.PROFILE: profile field os 'Linux ' has leading or trailing whitespace"),
                    r.toString());
            Cli.Result ok = verify(full, mode);
            assertEquals(0, ok.code(), List.of(mode) + " honest: " + ok);
        }
    }

    @Test
    void anInfinityInTheOutputIsInvalidUnderARelativeTolerance() throws Exception {
        Transcript honest = TranscriptCodec.read(full);
        Witness w = Witness.readDirectory(fullWitness);
        Digest out = honest.header().outputs().get(0);
        WitnessTensor forged = withFloat(w.tensor(out), 0, Float.POSITIVE_INFINITY);
        Path[] f = forge(honest, w, out, forged, "inf");
        Cli.Result r = verify(f[0], "--tolerance", "abs=1e-5,rel=0.5", "--witness", f[1].toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().startsWith("INVALID step[" + (honest.steps().size() - 1) + "].OUTPUTS"), r.toString());
        Cli.Result ok = verify(full, "--tolerance", "abs=1e-5,rel=0.5", "--witness", fullWitness.toString());
        assertEquals(0, ok.code(), ok.toString());
        assertTrue(ok.out().contains("note: tolerant check") && ok.out().contains("equals this verifier's own re-execution bit for bit"),
                ok.toString());
        // one element two ULPs off (as other hardware might give): VALID, and the note states the error and the bound applied
        float r0 = floats(w.tensor(out))[1];
        Path[] near = forge(honest, w, out, withFloat(w.tensor(out), 1, Math.nextUp(Math.nextUp(r0))), "near");
        Cli.Result n = verify(near[0], "--tolerance", "abs=1e-5,rel=1e-3", "--witness", near[1].toString());
        assertEquals(0, n.code(), n.toString());
        double err = Math.abs((double) Math.nextUp(Math.nextUp(r0)) - r0);
        assertTrue(n.out().contains("largest abs error " + err) && n.out().contains("against bound " + (1e-5 + 1e-3 * Math.abs((double) r0))),
                n.toString());
    }

    @Test
    void aForgedSketchHeaderOutputIsNeverValid() throws Exception {
        Transcript honest = TranscriptCodec.read(sketch);
        Witness w = Witness.readDirectory(sketchWitness);
        Digest out = honest.header().outputs().get(0);
        WitnessTensor forged = withFloat(w.tensor(out), 0, 1e3f);
        Path[] f = forge(honest, w, out, forged, "sketch");
        for (String tol : List.of("abs=0", "abs=1e-3", "abs=1e-5,rel=0.5")) {
            Cli.Result with = verify(f[0], "--tolerance", tol, "--witness", f[1].toString());
            assertEquals(1, with.code(), tol + ": " + with);
            assertTrue(with.out().startsWith("INVALID header.OUTPUTS"), with.toString());
            Cli.Result without = verify(f[0], "--tolerance", tol);
            assertEquals(3, without.code(), tol + ": " + without);
            assertTrue(without.out().startsWith("INCONCLUSIVE") && without.out().contains("header's outputs [0]"), without.toString());
            for (String[] honestArgs : new String[][] {{"--tolerance", tol}, {"--tolerance", tol, "--witness", sketchWitness.toString()}}) {
                Cli.Result ok = verify(sketch, honestArgs);
                assertEquals(0, ok.code(), tol + " honest: " + ok);
            }
        }
        assertEquals(1, verify(f[0]).code(), "bitwise");
    }

    /** Writes {@code honest} with tensor {@code old} replaced by {@code forged} everywhere, and its witness; returns both paths. */
    private static Path[] forge(Transcript honest, Witness w, Digest old, WitnessTensor forged, String name) throws Exception {
        Digest nd = forged.digest();
        List<Step> steps = new ArrayList<>();
        for (Step s : honest.steps()) {
            steps.add(s.sketches().isEmpty() ? Step.full(s.index(), s.name(), swap(s.inputs(), old, nd), swap(s.outputs(), old, nd)) : s);
        }
        TranscriptHeader h = honest.header();
        Transcript t = new Transcript(h.withOutputs(swap(h.outputs(), old, nd)), steps, honest.profile());
        Map<Digest, WitnessTensor> tensors = new HashMap<>();
        List<Witness.StepEntry> entries = new ArrayList<>();
        for (Digest d : w.modelInputs()) {
            tensors.put(d, w.tensor(d));
        }
        for (Witness.StepEntry e : w.steps()) {
            e.inputs().forEach(d -> tensors.put(d, w.tensor(d)));
            e.outputs().forEach(d -> tensors.put(d, w.tensor(d)));
            entries.add(new Witness.StepEntry(e.index(), e.name(), swap(e.inputs(), old, nd), swap(e.outputs(), old, nd)));
        }
        tensors.put(nd, forged);
        Witness fw = Witness.of(w.modelInputs(), swap(w.modelOutputs(), old, nd), entries, tensors);
        Path wd = tmp.resolve("forged-" + name + "-witness");
        fw.writeDirectory(wd);
        return new Path[] {write(t, "forged-" + name + ".json"), wd};
    }

    private static List<Digest> swap(List<Digest> ds, Digest old, Digest nd) {
        return ds.stream().map(d -> d.equals(old) ? nd : d).toList();
    }


}
