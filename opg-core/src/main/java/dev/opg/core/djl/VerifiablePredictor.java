package dev.opg.core.djl;

import ai.djl.Model;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.translate.Batchifier;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import dev.opg.core.OpgException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ArrayList;
import dev.opg.core.witness.WitnessTensor;

/**
 * The verifiable counterpart of a DJL {@code Predictor}: the same translator pre- and
 * post-processing and batchifier, with the model run step by step and recorded.
 * {@link #predict} returns the output with its transcript. The transcript's input digests are of
 * the tensors the model received (after the translator). Not thread-safe, like DJL's predictor;
 * make one per thread.
 */
public final class VerifiablePredictor<I, O> implements AutoCloseable {
    private final VerifiableModel model;
    private final Translator<I, O> translator;
    private final NDManager manager;
    private boolean prepared;

    VerifiablePredictor(VerifiableModel model, Translator<I, O> translator) {
        this.model = model;
        this.translator = translator;
        this.manager = model.model().getNDManager().newSubManager();
    }

    /**
     * Runs one prediction and records it. The prediction keeps the tensors the model was fed
     * ({@link Prediction#modelInputs}), so the transcript can be verified without the translator.
     *
     * @throws TranslateException if the translator or the engine fails, as DJL's predictor would
     *     (an {@code EngineException} is its cause)
     */
    public Prediction<O> predict(I input) throws TranslateException {
        return batchPredict(List.of(input)).get(0);
    }

    /**
     * Runs {@code inputs} one by one, each recorded in a transcript of its own, translated as DJL's
     * {@code Predictor.batchPredict} translates them (the translator's batchifier around each).
     *
     * @throws TranslateException if the translator or the engine fails
     */
    public List<Prediction<O>> batchPredict(List<I> inputs) throws TranslateException {
        List<Prediction<O>> out = new ArrayList<>(inputs.size());
        for (I input : inputs) {
            out.add(predictOne(input));
        }
        return out;
    }

    private Prediction<O> predictOne(I input) throws TranslateException {
        try (Ctx ctx = new Ctx(manager.newSubManager())) {
            if (!prepared) {
                try (Ctx prep = new Ctx(manager.newSubManager())) {
                    translator.prepare(prep);
                }
                prepared = true;
            }
            NDList in = translator.processInput(ctx, input);
            Batchifier b = translator.getBatchifier();
            if (b != null) {
                in = b.batchify(new NDList[] {in});
            }
            List<WitnessTensor> fed = new ArrayList<>(in.size());
            for (ai.djl.ndarray.NDArray a : in) {
                fed.add(WitnessTensor.of(a));
            }
            Prediction<NDList> p = model.record(ctx.getNDManager(), in);
            NDList out = p.output();
            if (b != null) {
                out = b.unbatchify(out)[0];
            }
            O o = translator.processOutput(ctx, out);
            return new Prediction<>(o, p.transcript(), p.witness(), fed);
        } catch (TranslateException | OpgException e) {
            throw e;
        } catch (ai.djl.engine.EngineException e) {
            throw new TranslateException(e); // as DJL's Predictor wraps an engine failure
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new TranslateException(e);
        }
    }

    @Override
    public void close() {
        manager.close();
    }

    private final class Ctx implements TranslatorContext {
        private final NDManager ctxManager;
        private final Map<String, Object> attachments = new HashMap<>();
        private final Metrics metrics = new Metrics();

        Ctx(NDManager ctxManager) {
            this.ctxManager = ctxManager;
        }

        @Override
        public Model getModel() {
            return model.model();
        }

        @Override
        public NDManager getNDManager() {
            return ctxManager;
        }

        @Override
        public NDManager getPredictorManager() {
            return manager;
        }

        @Override
        public Block getBlock() {
            return model.model().getBlock();
        }

        @Override
        public Metrics getMetrics() {
            return metrics;
        }

        @Override
        public Object getAttachment(String key) {
            return attachments.get(key);
        }

        @Override
        public void setAttachment(String key, Object value) {
            attachments.put(key, value);
        }

        @Override
        public void close() {
            ctxManager.close();
        }
    }
}
