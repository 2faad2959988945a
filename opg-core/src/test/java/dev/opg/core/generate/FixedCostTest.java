package dev.opg.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.djl.ModelRunner;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.LeafWriter;
import dev.opg.core.transcript.StepPlan;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What the per-token fast paths rely on: the decoder's plan is one object for every decode step
 * (its graph has no If, so no value can choose another plan), the partial sampler order is the
 * full order's prefix, and the ASCII fast path of the leaf encoding writes the strict encoder's bytes.
 */
class FixedCostTest {
    @Test
    void theDecoderHasOnePlanForThePrefillAndEveryDecodeStep() {
        try (DecoderModel model = KjvGpt.open(); NDManager m = model.manager().newSubManager()) {
            ModelRunner nodes = model.nodeRunner();
            StepPlan fixed = nodes.fixedPlan();
            assertNotNull(fixed, "a graph without If has a plan that does not depend on its input");
            Generator g = new Generator(model);
            GenerationTranscript t = g.generate(GenerationRequest.of("In the beginning", new SamplingParams(0.8f, 40, 0.95f, 3, 6, List.of())),
                    null);
            KvWitness w = g.lastWitness();
            for (int tok = 0; tok < t.tokens().size(); tok++) {
                List<dev.opg.core.Digest> past = new java.util.ArrayList<>();
                for (String n : model.pastNames()) {
                    past.add(tok == 0 ? model.emptyCacheDigest() : t.segments().get(tok - 1).record().output(n.replace("past_key_values.", "present.")));
                }
                NDList in = g.forwardInputs(m, t.header(), t.tokens(), tok, w, past);
                // other values and other shapes (prompt of several tokens, one token after a growing cache): the same plan
                assertSame(fixed, nodes.plan(in), "token " + tok);
                assertEquals(t.header().cuts(), model.runner(Granularity.BLOCK, t.header().cuts()).cuts(in));
            }
            // and every segment names the same blocks
            for (Segment s : t.segments()) {
                assertEquals(t.segments().get(0).steps().stream().map(dev.opg.core.transcript.Step::name).toList(),
                        s.steps().stream().map(dev.opg.core.transcript.Step::name).toList());
            }
        }
    }

    @Test
    void thePartialOrderIsThePrefixOfTheFullOrder() {
        Random r = new Random(11);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(700);
            float[] logits = new float[n];
            for (int i = 0; i < n; i++) {
                int kind = r.nextInt(10);
                logits[i] = kind == 0 ? Float.NEGATIVE_INFINITY : kind == 1 ? -0.0f : kind == 2 ? 0.0f : kind == 3 ? 1.5f : (float) r.nextGaussian();
            }
            int[] full = Sampler.order(logits);
            for (int k : new int[] {1, 2, 5, 40, n / 5, n}) {
                if (k < 1 || k > n) {
                    continue;
                }
                int[] part = Sampler.order(logits, k);
                assertArrayEquals(Arrays.copyOf(full, Math.min(part.length, n)), part, "n " + n + " k " + k);
                assertEquals(true, part.length >= k);
            }
        }
    }

    /** The order is the spec's: larger logits first, -0.0 equal to 0.0, equal logits by ascending id (a naive comparator sort). */
    @Test
    void theOrderIsLogitsDescendingThenIdsAscending() {
        Random r = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(300);
            float[] logits = new float[n];
            for (int i = 0; i < n; i++) {
                int kind = r.nextInt(8);
                logits[i] = switch (kind) {
                    case 0 -> Float.NEGATIVE_INFINITY;
                    case 1 -> -0.0f;
                    case 2 -> 0.0f;
                    case 3 -> Float.MIN_VALUE * (r.nextBoolean() ? 1 : -1);
                    case 4 -> -Float.MAX_VALUE;
                    default -> (float) r.nextGaussian() * (r.nextBoolean() ? 1e-3f : 10f);
                };
            }
            Integer[] ids = new Integer[n];
            for (int i = 0; i < n; i++) {
                ids[i] = i;
            }
            Arrays.sort(ids, (x, y) -> {
                float a = logits[x] == 0f ? 0f : logits[x];
                float b = logits[y] == 0f ? 0f : logits[y];
                return a != b ? Float.compare(b, a) : Integer.compare(x, y);
            });
            int[] want = Arrays.stream(ids).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(want, Sampler.order(logits), "trial " + trial);
        }
    }

    @Test
    void asciiNamesEncodeAsTheStrictEncoderDoes() {
        for (String s : List.of("", "/layers.0/attn/MatMul", "present.1.value", "a\u007f")) {
            assertArrayEquals(s.getBytes(StandardCharsets.UTF_8), LeafWriter.utf8(s, 1024, "name"));
        }
        assertNotEquals(0, LeafWriter.utf8("caf\u00e9", 1024, "name").length);
        assertEquals(5, LeafWriter.utf8("caf\u00e9", 1024, "name").length);
        org.junit.jupiter.api.Assertions.assertThrows(dev.opg.core.LimitExceededException.class,
                () -> LeafWriter.utf8("x".repeat(1025), 1024, "name"));
        org.junit.jupiter.api.Assertions.assertThrows(dev.opg.core.MalformedInputException.class,
                () -> LeafWriter.utf8("bad\ud800", 1024, "name"));
    }
}
