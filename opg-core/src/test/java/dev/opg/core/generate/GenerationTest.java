package dev.opg.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.MerkleTree;
import dev.opg.core.transcript.Granularity;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generation with the committed decoder: transcripts, determinism, streaming, the codec. */
class GenerationTest {
    private static DecoderModel model;
    private static Generator gen;

    @BeforeAll
    static void open() {
        model = KjvGpt.open();
        gen = new Generator(model);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static SamplingParams sampled(long seed, int n) {
        return new SamplingParams(0.8f, 40, 0.95f, seed, n, List.of(0));
    }

    @Test
    void greedyContinuesGenesis() {
        GenerationTranscript t = gen.generate(GenerationRequest.of("And Jacob", SamplingParams.greedy(40, List.of(0))), null);
        String text = t.end().text();
        System.out.println("greedy: And Jacob|" + text + "| (" + t.end().reason().specName() + ")");
        assertTrue(text.startsWith("said unto his"), text);
        assertEquals(t.tokens().size(), t.segments().size());
        assertEquals(model.tokenizer().decode(t.tokens()), text);
    }

    @Test
    void theTranscriptHasOneSegmentPerTokenAndCommitsOnlyNewCacheSlices() {
        GenerationTranscript t = gen.generate(GenerationRequest.of("And God said", sampled(3, 12)), null);
        assertTrue(t.tokens().size() >= 1 && t.tokens().size() <= 12);
        // the cache a token reads is the cache the token before it wrote
        for (int i = 1; i < t.segments().size(); i++) {
            TokenRecord prev = t.segments().get(i - 1).record();
            TokenRecord cur = t.segments().get(i).record();
            for (int l = 0; l < model.layers(); l++) {
                for (String kv : List.of("key", "value")) {
                    assertEquals(prev.output(DecoderModel.present(l, kv)), cur.input(DecoderModel.past(l, kv)));
                }
            }
        }
        // root = RFC 9162 over every leaf
        assertEquals(MerkleTree.fromLeafData(t.leaves()).root(), t.root());
        assertEquals(t.leaves().size(), t.leafCount());
    }

    @Test
    void sameSeedSameRootOtherSeedOtherTokens() {
        GenerationTranscript a = gen.generate(GenerationRequest.of("And God said", sampled(11, 16)), null);
        GenerationTranscript b = gen.generate(GenerationRequest.of("And God said", sampled(11, 16)), null);
        GenerationTranscript c = gen.generate(GenerationRequest.of("And God said", sampled(12, 16)), null);
        assertEquals(a.root(), b.root());
        assertNotEquals(a.root(), c.root());
    }

    @Test
    void granularitiesCommitTheSameTokens() {
        GenerationRequest r = GenerationRequest.of("And Abraham", sampled(5, 6));
        GenerationTranscript block = gen.generate(r, null);
        GenerationTranscript node = gen.generate(r.at(Granularity.NODE), null);
        GenerationTranscript output = gen.generate(r.at(Granularity.OUTPUT), null);
        assertEquals(block.tokens(), node.tokens());
        assertEquals(block.tokens(), output.tokens());
        assertTrue(node.segments().get(1).steps().size() > block.segments().get(1).steps().size());
        assertEquals(1, output.segments().get(1).steps().size());
        assertNotEquals(block.root(), node.root());
    }

    @Test
    void codecRoundTripsBothCommitments() {
        GenerationTranscript t = gen.generate(GenerationRequest.of("And God said", sampled(9, 8)), null);
        byte[] json = GenerationCodec.encode(t);
        GenerationTranscript back = GenerationCodec.decode(json);
        assertEquals(t.root(), back.root());
        assertArrayEquals(json, GenerationCodec.encode(back));
        byte[] compact = GenerationCodec.encode(t.toCompact());
        GenerationTranscript c = GenerationCodec.decode(compact);
        assertEquals(Commitment.COMPACT, c.commitment());
        assertEquals(t.root(), c.root());
        assertEquals(t.tokens(), c.tokens());
        // a changed token in a FULL transcript changes its leaves: the stored root no longer matches
        String s = new String(json, StandardCharsets.UTF_8);
        String changed = s.replaceFirst("\"tokens\":\\[(\\d+)", "\"tokens\":[" + (t.tokens().get(0) == 1 ? 2 : 1));
        assertThrows(MalformedInputException.class, () -> GenerationCodec.decode(changed.getBytes(StandardCharsets.UTF_8)));
        // whitespace is not canonical
        assertThrows(MalformedInputException.class, () -> GenerationCodec.decode((s.replaceFirst(",", ", ")).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void streamingProofsVerifyAndAForkIsRefused() {
        List<StreamUpdate> a = new ArrayList<>();
        List<StreamUpdate> b = new ArrayList<>();
        GenerationTranscript ta = gen.generate(GenerationRequest.of("And God said", sampled(21, 10)), a::add);
        gen.generate(GenerationRequest.of("And God said", sampled(22, 10)), b::add);
        StreamConsumer c = new StreamConsumer(ta.header());
        for (StreamUpdate u : a) {
            c.accept(u);
        }
        assertTrue(c.ended());
        assertEquals(ta.root(), c.root());
        assertEquals(ta.leafCount(), c.size());
        // a fork: the second half of another stream (other seed, same prompt) after the first half of this one
        StreamConsumer f = new StreamConsumer(ta.header());
        f.accept(a.get(0));
        f.accept(a.get(1));
        assertThrows(ForkedStreamException.class, () -> f.accept(b.get(2)));
        // a token shown other than the committed one
        StreamUpdate u = a.get(2);
        StreamUpdate lie = new StreamUpdate(u.index(), u.token() + 1, u.piece(), u.leaf(), u.leafIndex(), u.size(), u.root(), u.consistency(),
                u.inclusion());
        assertThrows(ForkedStreamException.class, () -> f.accept(lie));
        f.accept(u);
        assertEquals(3, f.tokens());
    }

    @Test
    void twoProcessesGiveTheSameTextAndRoot() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                PrintGeneration.class.getName());
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
        for (long seed : new long[] {7, 8}) {
            GenerationTranscript t = gen.generate(GenerationRequest.of("And God said", sampled(seed, 24)), null);
            assertTrue(lines.contains("seed " + seed + " " + t.root().hex() + " " + t.end().text().replace('\n', ' ')), lines.toString());
        }
    }

    @Test
    void theReaderRefusesOtherVersionsCapsAndNonCanonicalFiles() throws Exception {
        GenerationTranscript t = gen.generate(GenerationRequest.of("And God said", sampled(9, 4)), null);
        String s = new String(GenerationCodec.encode(t), StandardCharsets.UTF_8);
        assertThrows(dev.opg.core.UnsupportedVersionException.class,
                () -> GenerationCodec.decode(s.replace("\"version\":1", "\"version\":2").getBytes(StandardCharsets.UTF_8)));
        assertThrows(dev.opg.core.LimitExceededException.class, () -> GenerationCodec.decode(
                s.replace("\"maxNewTokens\":4", "\"maxNewTokens\":99999999").getBytes(StandardCharsets.UTF_8)));
        assertThrows(MalformedInputException.class, () -> GenerationCodec.decode(
                s.replace("\"stop\":", "\"extra\":1,\"stop\":").getBytes(StandardCharsets.UTF_8)));
        assertThrows(MalformedInputException.class, () -> GenerationCodec.decode(
                s.replace("\"text\":\"", "\"text\":\"x").getBytes(StandardCharsets.UTF_8)), "the text is in the end leaf");
        assertThrows(MalformedInputException.class, () -> GenerationCodec.decode(
                s.replace("\"commitment\":\"full\"", "\"commitment\":\"Full\"").getBytes(StandardCharsets.UTF_8)));
        assertThrows(MalformedInputException.class, () -> GenerationCodec.decode("[1]".getBytes(StandardCharsets.UTF_8)));
        // a compact file's root is the claim: its tokens and sketches parse, the root waits for re-execution
        String c = new String(GenerationCodec.encode(t.toCompact()), StandardCharsets.UTF_8);
        assertThrows(MalformedInputException.class, () -> GenerationCodec.decode(
                c.replace("\"leafCount\":" + t.leafCount(), "\"leafCount\":2").getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aGenerationStopsAtTheModelsLastPosition() {
        GenerationTranscript t = gen.generate(GenerationRequest.of("And God said", new SamplingParams(0.9f, 0, 1f, 4, 1000, List.of())),
                null);
        int p = t.header().promptTokens().size();
        assertEquals(StopReason.CONTEXT, t.end().reason());
        assertEquals(model.maxPositions(), p + t.tokens().size() - 1, "the last token sits at position maxPositions");
        assertEquals(model.maxPositions() - 1, t.segments().get(t.segments().size() - 1).record().position() - 1);
    }

    @Test
    void refusesWhatItCannotRun() {
        assertThrows(MalformedInputException.class, () -> gen.generate(GenerationRequest.of("", sampled(1, 4)), null));
        assertThrows(dev.opg.core.LimitExceededException.class, () -> sampled(1, 0));
        assertThrows(MalformedInputException.class, () -> new SamplingParams(Float.NaN, 0, 1f, 0, 4, List.of()));
        assertThrows(MalformedInputException.class, () -> gen.generate(GenerationRequest.of("And", sampled(1, 4).withStopTokens(List.of(99999))), null));
    }
}
