package example;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.VerifiablePredictor;
import dev.opg.core.djl.VerifiableZooModel;
import dev.opg.verify.Verifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public final class SentenceEmbedding {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]); // all-minilm-l6-v2.onnx and all-minilm-l6-v2-tokenizer.json
        Criteria<String, float[]> criteria = Criteria.builder().setTypes(String.class, float[].class)
                .optModelPath(dir.resolve("all-minilm-l6-v2.onnx")).optEngine("OnnxRuntime")
                .optTranslator(new Words(dir.resolve("all-minilm-l6-v2-tokenizer.json"))).build();
        try (VerifiableZooModel<String, float[]> model = VerifiableZooModel.load(criteria); // 1. profile, load, wrap
                VerifiablePredictor<String, float[]> predictor = model.newPredictor();
                NDManager m = model.zooModel().getNDManager().newSubManager();
                Verifier verifier = new Verifier(model.zooModel(), model.profile())) {
            Prediction<float[]> p = predictor.predict("proofs beside every prediction");    // 2. output + transcript
            System.out.println(p.output().length + " values, root " + p.transcript().root().hex()
                    + " over " + p.transcript().steps().size() + " blocks");
            // 3. verify from the tensors the model was fed; requireValid throws unless VALID
            System.out.println(verifier.verify(p.transcript(), p.modelInputs(m)).requireValid().summary());
        }
    }

    /** Sentence in, mean-pooled normalized embedding out; whole words looked up in the model's vocabulary. */
    static final class Words implements NoBatchifyTranslator<String, float[]> {
        private final Map<String, Long> vocab = new HashMap<>();

        Words(Path tokenizerJson) throws java.io.IOException {
            new ObjectMapper().readTree(tokenizerJson.toFile()).path("model").path("vocab").fields()
                    .forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asLong()));
        }

        @Override
        public NDList processInput(TranslatorContext ctx, String text) {
            List<Long> ids = new ArrayList<>(List.of(vocab.get("[CLS]")));
            for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
                if (!w.isEmpty()) {
                    ids.add(vocab.getOrDefault(w, vocab.get("[UNK]")));
                }
            }
            ids.add(vocab.get("[SEP]"));
            Shape s = new Shape(1, ids.size());
            NDArray in = ctx.getNDManager().create(ids.stream().mapToLong(Long::longValue).toArray(), s);
            in.setName("input_ids");
            NDArray mask = ctx.getNDManager().ones(s, DataType.INT64);
            mask.setName("attention_mask");
            NDArray types = ctx.getNDManager().zeros(s, DataType.INT64);
            types.setName("token_type_ids");
            return new NDList(in, mask, types);
        }

        @Override
        public float[] processOutput(TranslatorContext ctx, NDList out) {
            NDArray mean = out.get(0).mean(new int[] {1}).squeeze(0);
            return mean.div(mean.norm()).toFloatArray();
        }
    }
}
