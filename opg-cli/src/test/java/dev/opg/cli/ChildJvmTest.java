package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptHeader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Profile mismatch: a transcript proved under {@code ATEN_CPU_CAPABILITY=default} (in a child JVM)
 * and verified by this JVM, which surefire starts with {@code avx2}. {@code opg verify} re-runs in
 * a child JVM with the recorded environment; with {@code --no-child} it answers INCONCLUSIVE, or
 * falls back to the tolerant check it was given, and says so.
 */
class ChildJvmTest {
    @TempDir
    static Path tmp;
    static Path cnn;
    static Path x;
    static Path underDefault;
    static Path witnessDefault;
    static String rootDefault;
    static String rootAvx2;

    @BeforeAll
    static void proveUnderTheDefaultKernelsInAChildJvm() throws Exception {
        cnn = TestFixtures.saveModel(tmp.resolve("cnn"), "cnn", 9);
        x = TestFixtures.saveInput(tmp.resolve("x.npz"), "cnn", 5);
        underDefault = tmp.resolve("default.json");
        witnessDefault = tmp.resolve("w-default");
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.command(List.of("prove", "--model", cnn.toString(), "--input", x.toString(),
                "--out", underDefault.toString(), "--witness", witnessDefault.toString())));
        pb.environment().put("ATEN_CPU_CAPABILITY", "default");
        Path log = tmp.resolve("prove-default.out");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the prover's child JVM did not finish");
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        rootDefault = out.strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(rootDefault.matches("[0-9a-f]{64}"), out);

        Path underAvx2 = tmp.resolve("avx2.json");
        Cli.Result r = Cli.run("prove", "--model", cnn.toString(), "--input", x.toString(), "--out", underAvx2.toString());
        assertEquals(0, r.code(), r.toString());
        rootAvx2 = r.out().strip();

        DeterminismProfile recorded = TranscriptCodec.read(underDefault).profile();
        assertEquals("default", recorded.cpuCapability());
        assertEquals("avx2", TranscriptCodec.read(underAvx2).profile().cpuCapability());
        assertEquals(TestModels.pytorchProfile().withCpuCapability("default"), recorded,
                "the child JVM differs from this one only in the kernel set");
        System.out.println("[ChildJvmTest] CNN roots: ATEN_CPU_CAPABILITY=default " + rootDefault + ", avx2 " + rootAvx2 + ": "
                + (rootDefault.equals(rootAvx2) ? "identical (the profile digest differs, so the roots do too)" : "different"));
        System.out.println("[ChildJvmTest] step outputs under default vs avx2: " + stepOutputsCompared(underDefault, underAvx2));
    }

    /** Which steps' output digests differ between the two transcripts (the roots differ anyway: the profile is in the header). */
    private static String stepOutputsCompared(Path a, Path b) throws Exception {
        Transcript ta = TranscriptCodec.read(a);
        Transcript tb = TranscriptCodec.read(b);
        List<String> differ = new ArrayList<>();
        for (int i = 0; i < ta.steps().size(); i++) {
            if (!ta.steps().get(i).outputs().equals(tb.steps().get(i).outputs())) {
                differ.add(i + " " + ta.steps().get(i).name());
            }
        }
        return differ.isEmpty() ? "bit-identical at every step" : "differ at steps " + differ;
    }

    @Test
    void verifyReRunsInAChildJvmWithTheRecordedKernelSetAndAnswersValid() {
        Cli.Result r = Cli.run("verify", underDefault.toString(), "--model", cnn.toString(), "--input", x.toString());
        System.out.println("[ChildJvmTest] opg verify of the default-kernel transcript from this avx2 JVM:\n" + r);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("VALID " + rootDefault), r.toString());
        assertTrue(r.out().contains("bitwise)"), r.toString());
        assertTrue(r.out().contains("ran in a child JVM started with ATEN_CPU_CAPABILITY=default"), r.toString());
        assertTrue(r.out().contains("cpuCapability=avx2, the transcript's profile has cpuCapability=default"), r.toString());
    }

    @Test
    void aTamperedCopyIsStillInvalidInTheChildAndTheStepIsNamed() throws Exception {
        String json = Files.readString(underDefault);
        int step = json.indexOf("{\"index\":2,");
        int outputs = json.indexOf("\"outputs\":[\"", step) + "\"outputs\":[\"".length();
        char c = json.charAt(outputs);
        Path bad = tmp.resolve("tampered.json");
        Files.writeString(bad, json.substring(0, outputs) + (c == '0' ? '1' : '0') + json.substring(outputs + 1), StandardCharsets.UTF_8);
        Cli.Result r = Cli.run("verify", bad.toString(), "--model", cnn.toString(), "--input", x.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().startsWith("INVALID step[2]"), r.toString());
        assertTrue(r.out().contains("ran in a child JVM"), r.toString());
    }

    @Test
    void withNoChildTheAnswerIsInconclusiveAndSaysWhy() {
        Cli.Result r = Cli.run("verify", underDefault.toString(), "--model", cnn.toString(), "--input", x.toString(), "--no-child");
        assertEquals(3, r.code(), r.toString());
        assertTrue(r.out().startsWith("INCONCLUSIVE " + rootDefault), r.toString());
        assertTrue(r.out().contains("--no-child: no child JVM was started"), r.toString());
        assertFalse(r.out().contains("ran in a child JVM"), r.toString());
    }

    @Test
    void withNoChildAndAToleranceItFallsBackToTheTolerantCheckAndSaysSo() {
        Cli.Result r = Cli.run("verify", underDefault.toString(), "--model", cnn.toString(), "--input", x.toString(), "--no-child",
                "--tolerance", "abs=1e-4,rel=1e-3", "--witness", witnessDefault.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("VALID " + rootDefault), r.toString());
        assertTrue(r.out().contains("tolerant)"), r.toString());
        assertTrue(r.out().contains("fell back to the tolerant check"), r.toString());
    }

    @Test
    void spotChecksAndBisectionAlsoRunInTheChild() throws Exception {
        Cli.Result r = Cli.run("verify", underDefault.toString(), "--model", cnn.toString(), "--input", x.toString(),
                "--witness", witnessDefault.toString(), "--spot", "3");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("VALID " + rootDefault + " (3 of "), r.toString());
        assertTrue(r.out().matches("(?s).*spot-check seed \\d+ \\(random\\).*"), r.toString());
        assertTrue(r.out().contains("ran in a child JVM"), r.toString());
        Cli.Result noChild = Cli.run("verify", underDefault.toString(), "--model", cnn.toString(), "--input", x.toString(),
                "--witness", witnessDefault.toString(), "--spot", "3", "--no-child");
        assertEquals(3, noChild.code(), "a spot check under another profile compares no bits: " + noChild);
        Cli.Result same = Cli.run("bisect", underDefault.toString(), underDefault.toString(), "--model", cnn.toString());
        assertEquals(0, same.code(), same.toString());
        assertTrue(same.out().startsWith("AGREE"), "equal roots need neither a witness, an input nor a child: " + same);
        // a dispute: the last step's output forged; the referee re-runs it under the recorded kernel set
        Transcript t = TranscriptCodec.read(underDefault);
        List<dev.opg.core.transcript.Step> steps = new java.util.ArrayList<>(t.steps());
        dev.opg.core.transcript.Step last = steps.get(steps.size() - 1);
        dev.opg.core.Digest fake = dev.opg.core.Digest.fromHex("ab".repeat(32));
        steps.set(steps.size() - 1, dev.opg.core.transcript.Step.full(last.index(), last.name(), last.inputs(), List.of(fake)));
        TranscriptHeader h = t.header();
        Path forged = tmp.resolve("forged-last.json");
        TranscriptCodec.write(new Transcript(h.withOutputs(List.of(fake)), steps, t.profile()), forged);
        Cli.Result b = Cli.run("bisect", underDefault.toString(), forged.toString(), "--model", cnn.toString(), "--input", x.toString(),
                "--witness-a", witnessDefault.toString());
        assertEquals(1, b.code(), b.toString());
        assertTrue(b.out().contains("referee: FIRST_CORRECT"), b.toString());
        assertTrue(b.out().contains("ran in a child JVM started with ATEN_CPU_CAPABILITY=default"), b.toString());
    }

    @Test
    void aKernelSetLibtorchDoesNotKnowIsInvalidNotInconclusive() throws Exception {
        // No run records 'neon' (PyTorchProfiles.apply refuses it), so it is no profile to reproduce or tolerate.
        Path t = withProfile(underDefault, TranscriptCodec.read(underDefault).profile().withCpuCapability("neon"), "neon.json");
        for (List<String> extra : List.of(List.<String>of(), List.of("--tolerance", "abs=1e-4,rel=1e-3", "--witness", witnessDefault.toString()))) {
            List<String> args = new java.util.ArrayList<>(List.of("verify", t.toString(), "--model", cnn.toString(), "--input", x.toString()));
            args.addAll(extra);
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.out().startsWith("INVALID header.PROFILE: profile field cpuCapability 'neon'"), r.toString());
        }
    }

    @Test
    void anotherEngineVersionIsNotTriedInAChild() throws Exception {
        DeterminismProfile p = TranscriptCodec.read(underDefault).profile();
        // another release, recorded as that release's libtorch would record it (a possible profile)
        DeterminismProfile other = new DeterminismProfile(p.engine(), "2.5.1", p.djlVersion(), "libtorch 2.5.1 cpu", p.os(), p.arch(),
                p.cpuCapability(), p.intraOpThreads(), p.interOpThreads(), p.graphOptimizer(), p.deterministicAlgorithms(), p.seed(), p.dtype());
        Path t = withProfile(underDefault, other, "old-engine.json");
        Cli.Result r = Cli.run("verify", t.toString(), "--model", cnn.toString(), "--input", x.toString());
        assertEquals(3, r.code(), r.toString());
        assertTrue(r.out().contains("a fresh process cannot change [engineVersion, nativeLibrary]"), r.toString());
        Cli.Result tol = Cli.run("verify", t.toString(), "--model", cnn.toString(), "--input", x.toString(),
                "--tolerance", "abs=1e-4,rel=1e-3", "--witness", witnessDefault.toString());
        assertEquals(0, tol.code(), tol.toString());
        assertTrue(tol.out().contains("fell back to the tolerant check"), tol.toString());
    }

    /** The same steps under another recorded profile (a transcript whose header names that profile). */
    private static Path withProfile(Path from, DeterminismProfile profile, String name) throws Exception {
        Transcript t = TranscriptCodec.read(from);
        TranscriptHeader h = t.header();
        TranscriptHeader h2 = h.withProfileDigest(profile.digest()); // granularity, cuts and everything else kept
        Path out = tmp.resolve(name);
        TranscriptCodec.write(new Transcript(h2, t.steps(), profile), out);
        return out;
    }

    // The decision alone, on synthetic profiles.

    private static final Set<String> AVX512_CPU = Set.of("fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq");
    private static final Set<String> AVX2_CPU = Set.of("fma", "avx2");

    private static DeterminismProfile here() {
        return TestModels.pytorchProfile();
    }

    @Test
    void planForksOnlyForWhatAFreshProcessCanChange() {
        ChildJvm.Measured m = new ChildJvm.Measured(here(), null);
        ChildJvm.Plan same = ChildJvm.plan(here(), m, AVX2_CPU, false, false);
        assertFalse(same.fork());
        assertNull(same.reason());
        ChildJvm.Plan def = ChildJvm.plan(here().withCpuCapability("default"), m, Set.of(), false, false);
        assertTrue(def.fork(), def.toString());
        assertEquals("default", def.capability());
        ChildJvm.Plan threads = ChildJvm.plan(here().withThreads(4, 2), m, AVX2_CPU, false, false);
        assertTrue(threads.fork(), threads.toString());
        assertTrue(ChildJvm.plan(here().withCpuCapability("avx512"), m, AVX512_CPU, false, false).fork());
        ChildJvm.Plan noAvx512 = ChildJvm.plan(here().withCpuCapability("avx512"), m, AVX2_CPU, false, false);
        assertFalse(noAvx512.fork());
        assertTrue(noAvx512.reason().contains("lacks [avx512f, avx512bw, avx512vl, avx512dq]"), noAvx512.reason());
        ChildJvm.Plan asked = ChildJvm.plan(here().withCpuCapability("default"), m, AVX2_CPU, true, false);
        assertFalse(asked.fork());
        assertTrue(asked.reason().startsWith("--no-child"), asked.reason());
        ChildJvm.Plan nested = ChildJvm.plan(here().withCpuCapability("default"), m, AVX2_CPU, false, true);
        assertFalse(nested.fork());
        assertTrue(nested.reason().contains("already in a child JVM"), nested.reason());
        DeterminismProfile otherOs = new DeterminismProfile(here().engine(), here().engineVersion(), here().djlVersion(),
                here().nativeLibrary(), "Mac OS X", "aarch64", "default", 1, 1, false, false, 42, here().dtype());
        ChildJvm.Plan os = ChildJvm.plan(otherOs, m, AVX2_CPU, false, false);
        assertFalse(os.fork());
        assertTrue(os.reason().contains("cannot change [os, arch]"), os.reason());
    }

    @Test
    void kernelSetsAndTheCpuFlagsTheyNeed() {
        assertTrue(ChildJvm.canRun("default", Set.of()));
        assertTrue(ChildJvm.canRun("avx2", AVX2_CPU));
        assertFalse(ChildJvm.canRun("avx2", Set.of("sse4_2")));
        assertFalse(ChildJvm.canRun("avx512", Set.of("fma", "avx2", "avx512f")));
        assertTrue(ChildJvm.canRun("avx512", AVX512_CPU));
        assertFalse(ChildJvm.canRun("neon", AVX512_CPU));
        assertFalse(ChildJvm.canRun("AVX2", AVX2_CPU), "libtorch compares the value as written");
    }

    @Test
    void theChildGetsTheRecordedKernelSetAndTheMarker() {
        var env = ChildJvm.environment("default", "why");
        assertEquals("default", env.get("ATEN_CPU_CAPABILITY"));
        assertEquals("1", env.get(ChildJvm.MARKER_ENV));
        List<String> cmd = ChildJvm.command(List.of("verify", "t.json"));
        assertEquals(List.of("verify", "t.json"), cmd.subList(cmd.size() - 2, cmd.size()));
        assertEquals(Opg.class.getName(), cmd.get(cmd.size() - 3));
        assertTrue(cmd.contains("-Dai.djl.offline=true"), cmd.toString());
        assertFalse(cmd.stream().anyMatch(a -> a.startsWith("-Dai.djl.pytorch.num_threads")), cmd.toString());
    }
}
