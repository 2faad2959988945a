package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.io.Npz;
import dev.opg.core.Digest;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.verify.SpotChecker;
import java.util.ArrayList;
import java.util.List;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prove, verify and inspect end to end on real PyTorch models saved as model directories. */
class ProveVerifyTest {
    @TempDir
    static Path tmp;
    static Path mlp;
    static Path x;
    static Path transcript;
    static Path witness;
    static String root;

    @BeforeAll
    static void proveOnce() throws Exception {
        mlp = TestFixtures.saveModel(tmp.resolve("mlp"), "mlp", 7);
        x = TestFixtures.saveInput(tmp.resolve("x.npz"), "mlp", 11);
        transcript = tmp.resolve("t.json");
        witness = tmp.resolve("w");
        Cli.Result r = Cli.run("prove", "--model", mlp.toString(), "--input", x.toString(), "--out", transcript.toString(),
                "--witness", witness.toString(), "--output-file", tmp.resolve("y.npz").toString());
        assertEquals(0, r.code(), r.toString());
        root = r.out().strip();
        assertTrue(root.matches("[0-9a-f]{64}"), r.toString());
    }

    @Test
    void provePrintsTheTranscriptRootAndWritesOutputsAndWitness() throws Exception {
        assertEquals(root, TranscriptCodec.read(transcript).root().hex());
        var y = Npz.read(tmp.resolve("y.npz"));
        assertEquals(1, y.size());
        assertEquals(10, y.firstEntry().getValue().elementCount());
        assertTrue(Files.isRegularFile(witness.resolve("manifest.bin")));
    }

    @Test
    void provingTwiceGivesTheSameRoot() {
        Path t2 = tmp.resolve("t2.json");
        Cli.Result r = Cli.run("prove", "--model", mlp.toString(), "--input", x.toString(), "--out", t2.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(root, r.out().strip());
    }

    @Test
    void verifyAcceptsAnHonestTranscript() {
        Cli.Result r = Cli.run("verify", transcript.toString(), "--model", mlp.toString(), "--input", x.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("VALID " + root), r.toString());
    }

    @Test
    void verifyNamesTheStepWhoseOutputDigestWasChanged() throws Exception {
        String json = Files.readString(transcript);
        // Change one hex digit of step 2's first output digest.
        int step = json.indexOf("{\"index\":2,");
        int outputs = json.indexOf("\"outputs\":[\"", step) + "\"outputs\":[\"".length();
        char c = json.charAt(outputs);
        String tampered = json.substring(0, outputs) + (c == '0' ? '1' : '0') + json.substring(outputs + 1);
        Path bad = tmp.resolve("tampered.json");
        Files.writeString(bad, tampered, StandardCharsets.UTF_8);
        Cli.Result r = Cli.run("verify", bad.toString(), "--model", mlp.toString(), "--input", x.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().startsWith("INVALID step[2]"), r.toString());
        assertTrue(r.out().contains("OUTPUTS") || r.out().toLowerCase().contains("output"), r.toString());
    }

    @Test
    void verifyRejectsATranscriptForAnotherInput() throws Exception {
        Path other = TestFixtures.saveInput(tmp.resolve("other.npz"), "mlp", 12);
        Cli.Result r = Cli.run("verify", transcript.toString(), "--model", mlp.toString(), "--input", other.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().startsWith("INVALID header"), r.toString());
    }

    @Test
    void verifyRejectsATranscriptForAnotherModel() throws Exception {
        Path other = TestFixtures.saveModel(tmp.resolve("mlp-other"), "mlp", 8);
        Cli.Result r = Cli.run("verify", transcript.toString(), "--model", other.toString(), "--input", x.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("MODEL"), r.toString());
    }

    @Test
    void inspectShowsRootModelAndSteps() throws Exception {
        Cli.Result r = Cli.run("inspect", transcript.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("root            " + root), r.toString());
        assertTrue(r.out().contains("steps           5"), r.toString());
        assertTrue(r.out().contains("PyTorch"), r.toString());
        Cli.Result j = Cli.run("inspect", "--json", transcript.toString());
        assertEquals(0, j.code(), j.toString());
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(j.out());
        assertEquals(root, node.get("root").asText());
        assertEquals(5, node.get("stepCount").asInt());
    }

    @Test
    void missingInputIsAUsageErrorOnOneLine() {
        Cli.Result r = Cli.run("verify", transcript.toString(), "--model", mlp.toString(), "--input", tmp.resolve("nope.npy").toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().strip().lines().count(), r.toString());
        assertFalse(r.err().contains("Exception"), r.toString());
    }

    @Test
    void malformedInputIsAUsageError() throws Exception {
        Path junk = tmp.resolve("junk.npy");
        Files.writeString(junk, "definitely not numpy");
        Cli.Result r = Cli.run("prove", "--model", mlp.toString(), "--input", junk.toString(), "--out", tmp.resolve("j.json").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("opg: error: junk.npy is not a NumPy .npy file"), r.toString());
        assertEquals(1, r.err().strip().lines().count(), r.toString());
    }

    @Test
    void inputOfTheWrongShapeIsAUsageError() throws Exception {
        Path cnnInput = TestFixtures.saveInput(tmp.resolve("cnn-x.npz"), "cnn", 1);
        Cli.Result r = Cli.run("prove", "--model", mlp.toString(), "--input", cnnInput.toString(), "--out", tmp.resolve("s.json").toString());
        assertTrue(r.code() == 2 || r.code() == 3, r.toString());
        assertEquals(1, r.err().strip().lines().count(), r.toString());
    }

    @Test
    void garbageTranscriptIsAUsageError() throws Exception {
        Path junk = tmp.resolve("junk.json");
        Files.writeString(junk, "{\"format\":\"nope\"}");
        Cli.Result r = Cli.run("inspect", junk.toString());
        assertEquals(2, r.code(), r.toString());
        Cli.Result v = Cli.run("verify", junk.toString(), "--model", mlp.toString(), "--input", x.toString());
        assertEquals(2, v.code(), v.toString());
    }

    @Test
    void verboseAddsTheStackTrace() throws Exception {
        Path junk = tmp.resolve("junk2.json");
        Files.writeString(junk, "[]");
        Cli.Result r = Cli.run("inspect", "--verbose", junk.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("\tat "), r.toString());
    }

    @Test
    void unknownOptionIsUsageExit2() {
        Cli.Result r = Cli.run("verify", "--frobnicate");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().startsWith("opg: error:"), r.toString());
    }

    @Test
    void batchProveWritesOneTranscriptPerInput() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("batch"));
        TestFixtures.saveInput(dir.resolve("a.npz"), "mlp", 1);
        TestFixtures.saveInput(dir.resolve("b.npz"), "mlp", 2);
        Path outDir = tmp.resolve("batch-out");
        Cli.Result r = Cli.run("prove", "--model", mlp.toString(), "--input", dir.toString(), "--out", outDir.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(2, r.out().lines().count(), r.toString());
        assertTrue(Files.isRegularFile(outDir.resolve("a.json")));
        assertTrue(Files.isRegularFile(outDir.resolve("b.json")));
        assertEquals("", r.err(), "no progress bar when not on a terminal");
    }

    @Test
    void spotCheckFromTheWitnessAcceptsAnHonestTranscript() {
        Cli.Result r = Cli.run("verify", transcript.toString(), "--model", mlp.toString(), "--input", x.toString(),
                "--witness", witness.toString(), "--spot", "2");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("VALID " + root + " (2 of 5 steps spot-checked"), r.toString());
    }

    private static long printedSeed(Cli.Result r) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("spot-check seed (\\d+) \\(random\\)").matcher(r.out());
        assertTrue(m.find(), "no random seed printed: " + r);
        return Long.parseLong(m.group(1));
    }

    @Test
    void spotChecksUseAnUnpredictableSeedByDefaultPrintItAndRepeatWithIt() {
        String[] args = {"verify", transcript.toString(), "--model", mlp.toString(), "--input", x.toString(),
                "--witness", witness.toString(), "--spot", "2"};
        Cli.Result first = Cli.run(args);
        Cli.Result second = Cli.run(args);
        assertEquals(0, first.code(), first.toString());
        long seed1 = printedSeed(first);
        long seed2 = printedSeed(second);
        assertTrue(seed1 != seed2, "two default runs drew the same seed " + seed1 + ": it is predictable");
        assertTrue(first.out().contains("spot-checked steps " + SpotChecker.choose(5, 2, seed1) + " of 5"), first.toString());
        Cli.Result repeat = Cli.run("verify", transcript.toString(), "--model", mlp.toString(), "--input", x.toString(),
                "--witness", witness.toString(), "--spot", "2", "--seed", Long.toString(seed1));
        assertTrue(repeat.out().contains("spot-checked steps " + SpotChecker.choose(5, 2, seed1) + " of 5"), repeat.toString());
        for (long seed : new long[] {1, 7, 123456789}) {
            Cli.Result r = Cli.run("verify", transcript.toString(), "--model", mlp.toString(), "--input", x.toString(),
                    "--witness", witness.toString(), "--spot", "2", "--seed", Long.toString(seed));
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("spot-checked steps " + SpotChecker.choose(5, 2, seed) + " of 5"), r.toString());
            assertTrue(r.out().contains("spot-check seed " + seed + " (--seed)"), r.toString());
        }
        Cli.Result noSpot = Cli.run("verify", transcript.toString(), "--model", mlp.toString(), "--input", x.toString(), "--seed", "3");
        assertEquals(2, noSpot.code(), noSpot.toString());
    }

    @Test
    void bisectFindsTheFirstDivergentStepAndTheRefereeSidesWithTheHonestParty() throws Exception {
        Transcript honest = TranscriptCodec.read(transcript);
        // A cheater claims another output at step 2 (and feeds it to step 3), with a consistent root.
        List<Step> steps = new ArrayList<>(honest.steps());
        Digest fake = TensorDigest.ofFloat32(new float[32], 1, 32);
        Step s2 = steps.get(2);
        Step s3 = steps.get(3);
        steps.set(2, Step.full(2, s2.name(), s2.inputs(), List.of(fake)));
        steps.set(3, Step.full(3, s3.name(), List.of(fake), s3.outputs()));
        Transcript cheat = new Transcript(honest.header(), steps, honest.profile());
        Path b = tmp.resolve("cheat.json");
        TranscriptCodec.write(cheat, b);
        Cli.Result r = Cli.run("bisect", transcript.toString(), b.toString(), "--model", mlp.toString(), "--input", x.toString(),
                "--witness-a", witness.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().startsWith("DIVERGE first divergent step 2 (" + s2.name() + ")"), r.toString());
        assertTrue(r.out().contains("referee: FIRST_CORRECT"), r.toString());
        Cli.Result same = Cli.run("bisect", transcript.toString(), transcript.toString(), "--model", mlp.toString(),
                "--witness-a", witness.toString());
        assertEquals(0, same.code(), same.toString());
        assertTrue(same.out().startsWith("AGREE"), same.toString());
    }

    @Test
    void aPartyOffTheAgreedProfileCannotSetTheTermsByBeingNamedFirst() throws Exception {
        Transcript honest = TranscriptCodec.read(transcript);
        // the forger claims another last output under another (possible) profile: another seed
        dev.opg.core.profile.DeterminismProfile other = honest.profile().withSeed(honest.profile().seed() + 1);
        List<Step> steps = new ArrayList<>(honest.steps());
        Step last = steps.get(steps.size() - 1);
        Digest fake = TensorDigest.ofFloat32(new float[10], 1, 10);
        steps.set(steps.size() - 1, Step.full(last.index(), last.name(), last.inputs(), List.of(fake)));
        dev.opg.core.transcript.TranscriptHeader h = honest.header();
        Transcript forged = new Transcript(h.withProfileDigest(other.digest()).withOutputs(List.of(fake)), steps, other);
        Path f = tmp.resolve("other-profile.json");
        TranscriptCodec.write(forged, f);
        // the forger named first: no terms are taken from it
        Cli.Result refused = Cli.run("bisect", f.toString(), transcript.toString(), "--model", mlp.toString(), "--input", x.toString(),
                "--witness-b", witness.toString());
        assertEquals(1, refused.code(), refused.toString());
        assertTrue(refused.out().contains("referee: REFUSED: the transcripts are under different profiles ([seed])"), refused.toString());
        Cli.Result agreed = Cli.run("bisect", f.toString(), transcript.toString(), "--model", mlp.toString(), "--input", x.toString(),
                "--witness-b", witness.toString(), "--profile-of", "B");
        assertEquals(1, agreed.code(), agreed.toString());
        assertTrue(agreed.out().contains("referee: SECOND_CORRECT"), agreed.toString());
        assertEquals(2, Cli.run("bisect", f.toString(), transcript.toString(), "--model", mlp.toString(), "--input", x.toString(),
                "--witness-b", witness.toString(), "--profile-of", "C").code());
    }

    @Test
    void aSpotCheckLargerThanAShortForgeryIsInvalidNotBadUsage() throws Exception {
        Transcript honest = TranscriptCodec.read(transcript);
        // one step kept, its output claimed as the model's
        Step first = honest.steps().get(0);
        dev.opg.core.transcript.TranscriptHeader h = honest.header();
        Transcript shortT = new Transcript(h.withOutputs(first.outputs()), List.of(first), honest.profile());
        Path f = tmp.resolve("short.json");
        TranscriptCodec.write(shortT, f);
        Cli.Result r = Cli.run("verify", f.toString(), "--model", mlp.toString(), "--input", x.toString(), "--witness", witness.toString(),
                "--spot", String.valueOf(honest.steps().size()));
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().startsWith("INVALID step[1].PRESENCE"), r.toString());
        Cli.Result control = Cli.run("verify", transcript.toString(), "--model", mlp.toString(), "--input", x.toString(),
                "--witness", witness.toString(), "--spot", String.valueOf(honest.steps().size() + 3));
        assertEquals(0, control.code(), control.toString());
    }
}
