package dev.opg.core.testmodels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A DJL translator for all-MiniLM-L6-v2: a sentence in, its normalized 384-dimensional embedding
 * out (mean pooling over the tokens, then L2 normalization, as sentence-transformers does). The
 * tokenizer is a whole-word lookup in the model's own WordPiece vocabulary (the artifact's
 * {@code all-minilm-l6-v2-tokenizer.json}), unknown words map to {@code [UNK]}: enough for tests of
 * the translator path, not a full WordPiece implementation.
 */
public final class MiniLmTranslator implements NoBatchifyTranslator<String, float[]> {
    private static final String TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    private static Map<String, Long> vocab;

    private static synchronized Map<String, Long> vocab() {
        if (vocab == null) {
            try (InputStream in = MiniLmTranslator.class.getClassLoader().getResourceAsStream(TOKENIZER)) {
                if (in == null) {
                    throw new IllegalStateException(TOKENIZER + " is not on the class path");
                }
                JsonNode v = new ObjectMapper().readTree(in).path("model").path("vocab");
                Map<String, Long> m = new HashMap<>();
                v.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asLong()));
                vocab = m;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return vocab;
    }

    /** The token ids of {@code text}: [CLS], one id per word, [SEP]. */
    public static long[] tokenize(String text) {
        Map<String, Long> v = vocab();
        List<Long> ids = new ArrayList<>();
        ids.add(v.get("[CLS]"));
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                ids.add(v.getOrDefault(w, v.get("[UNK]")));
            }
        }
        ids.add(v.get("[SEP]"));
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    @Override
    public NDList processInput(TranslatorContext ctx, String input) {
        long[] ids = tokenize(input);
        long[] ones = new long[ids.length];
        java.util.Arrays.fill(ones, 1);
        Shape s = new Shape(1, ids.length);
        NDArray a = ctx.getNDManager().create(ids, s);
        a.setName("input_ids");
        NDArray b = ctx.getNDManager().create(ones, s);
        b.setName("attention_mask");
        NDArray c = ctx.getNDManager().zeros(s, DataType.INT64);
        c.setName("token_type_ids");
        return new NDList(a, b, c);
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
        NDArray hidden = list.get(0); // [1, n, 384]
        NDArray mean = hidden.mean(new int[] {1}).squeeze(0);
        NDArray norm = mean.div(mean.norm().maximum(1e-12f));
        return norm.toFloatArray();
    }
}
