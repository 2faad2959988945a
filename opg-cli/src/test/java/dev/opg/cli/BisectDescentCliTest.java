package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.testmodels.OnnxAlter;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code opg bisect} at block granularity on Silero VAD v5: the forger proves with a copy of the
 * model in which one weight (a Constant's value) is changed and claims the honest model's id.
 * The parties are played from their transcripts, witnesses and models ({@code --model-a},
 * {@code --model-b}); the dispute descends into the disputed block and ends at the changed node.
 */
class BisectDescentCliTest {
    @TempDir
    static Path tmp;
    private static Path model;
    private static Path altered;
    private static List<String> changed;
    private static Path x;
    private static Path honest;
    private static Path forged;
    private static Path witnessHonest;
    private static Path witnessForged;

    @BeforeAll
    static void prove() throws Exception {
        model = TestModels.sileroVadV5();
        altered = tmp.resolve("altered").resolve("silero_vad_v5.onnx");
        changed = OnnxAlter.constant(model, altered, 4096, 0, 0.5f);
        x = SileroCliTest.sileroInput(tmp.resolve("frame.npz"), 5);
        honest = tmp.resolve("honest.json");
        witnessHonest = tmp.resolve("w-honest");
        Cli.Result p = Cli.run("prove", "--model", model.toString(), "--input", x.toString(), "--out", honest.toString(),
                "--witness", witnessHonest.toString());
        assertEquals(0, p.code(), p.toString());
        Path own = tmp.resolve("forged-own-id.json");
        witnessForged = tmp.resolve("w-forged");
        Cli.Result f = Cli.run("prove", "--model", altered.toString(), "--input", x.toString(), "--out", own.toString(),
                "--witness", witnessForged.toString());
        assertEquals(0, f.code(), f.toString());
        Transcript h = TranscriptCodec.read(honest);
        assertEquals(Granularity.BLOCK, h.header().granularity());
        Transcript t = TranscriptCodec.read(own);
        // the forger claims the honest model: header rewritten, root recomputed
        Transcript claimed = new Transcript(t.header().withModelId(h.header().modelId()), t.steps(), t.profile());
        forged = tmp.resolve("forged.json");
        TranscriptCodec.write(claimed, forged);
    }

    private static Cli.Result bisect(Path a, Path b, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("bisect", a.toString(), b.toString(), "--model", model.toString(),
                "--input", x.toString()));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    private static final Pattern DESCENT = Pattern.compile("descent: block (\\d+) \\((.*)\\) re-run node by node by both parties; "
            + "the dispute ends at node (\\d+) of the block \\((.*)\\), found with (\\d+) Merkle queries");

    private static void assertEndsAtTheChangedNode(Cli.Result r) {
        Matcher m = DESCENT.matcher(r.out());
        assertTrue(m.find(), r.toString());
        String node = m.group(4);
        assertTrue(changed.stream().anyMatch(c -> node.endsWith("/" + c)), node + " is not one of the changed constants " + changed);
        assertTrue(r.out().contains("exchange: "), r.toString());
    }

    @Test
    void theDisputeDescendsToTheChangedNodeAndTheHonestPartyWinsOnEitherSide() {
        Cli.Result r = bisect(honest, forged, "--witness-a", witnessHonest.toString(), "--witness-b", witnessForged.toString(),
                "--model-b", altered.toString());
        org.slf4j.LoggerFactory.getLogger(BisectDescentCliTest.class).info("opg bisect honest forged:\n{}", r.out());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("referee: FIRST_CORRECT"), r.toString());
        assertEndsAtTheChangedNode(r);
        Cli.Result s = bisect(forged, honest, "--witness-a", witnessForged.toString(), "--witness-b", witnessHonest.toString(),
                "--model-a", altered.toString());
        assertEquals(1, s.code(), s.toString());
        assertTrue(s.out().contains("referee: SECOND_CORRECT"), s.toString());
        assertEndsAtTheChangedNode(s);
    }

    @Test
    void aForgerPlayedWithTheHonestModelDoesNotEndAtItsBlockOutputsAndLoses() {
        // without --model-b, party B re-runs the block with --model: its sub-transcript ends at the honest outputs
        Cli.Result r = bisect(honest, forged, "--witness-a", witnessHonest.toString(), "--witness-b", witnessForged.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("referee: FIRST_CORRECT"), r.toString());
        assertTrue(r.out().contains("committed block boundary"), r.toString());
    }

    @Test
    void aPartyWithoutAWitnessCannotDescendAndLoses() {
        Cli.Result r = bisect(forged, honest, "--witness-b", witnessHonest.toString(), "--model-a", altered.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("referee: SECOND_CORRECT"), r.toString());
        assertTrue(r.out().contains("cannot descend"), r.toString());
    }

    @Test
    void equalTranscriptsAgree() {
        Cli.Result r = bisect(honest, honest, "--witness-a", witnessHonest.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("AGREE"), r.toString());
    }
}
