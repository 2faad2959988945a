package dev.opg.core.djl;

import ai.djl.MalformedModelException;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import dev.opg.core.MalformedInputException;
import dev.opg.core.engine.EngineSupport;
import dev.opg.core.profile.DeterminismProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A DJL model loaded from a {@link Criteria}, with its translator, that records a transcript with
 * every prediction: the one call from what a DJL user already has to verifiable predictions.
 *
 * <pre>{@code
 * Criteria<String, float[]> criteria = Criteria.builder().setTypes(String.class, float[].class)
 *         .optModelPath(dir).optEngine("OnnxRuntime").optTranslator(myTranslator).build();
 * try (VerifiableZooModel<String, float[]> model = VerifiableZooModel.load(criteria);
 *      VerifiablePredictor<String, float[]> predictor = model.newPredictor()) {
 *     Prediction<float[]> p = predictor.predict("a sentence");
 *     p.output(); p.transcript().root(); p.modelInputs();   // what the model was fed, to verify later
 * }
 * }</pre>
 *
 * <p>{@link #load} applies the determinism profile for the criteria's engine before the engine
 * loads the model ({@link EngineSupport#apply}), then loads it; closing this closes the recording
 * wrapper and the model. Predictors are DJL-like: not thread-safe, one per thread.
 */
public final class VerifiableZooModel<I, O> implements AutoCloseable {
    private final ZooModel<I, O> zoo;
    private final VerifiableModel model;

    private VerifiableZooModel(ZooModel<I, O> zoo, VerifiableModel model) {
        this.zoo = zoo;
        this.model = model;
    }

    /** {@link #load(Criteria, int, int, long, RecordingOptions)} with one intra-op and one inter-op thread, seed 0, FULL at block granularity. */
    public static <I, O> VerifiableZooModel<I, O> load(Criteria<I, O> criteria)
            throws ModelNotFoundException, MalformedModelException, IOException {
        return load(criteria, 1, 1, 0, RecordingOptions.full());
    }

    /**
     * Applies the determinism profile for the criteria's engine ({@code optEngine}), loads the
     * model and wraps it.
     *
     * @throws MalformedInputException where the criteria name no engine
     * @throws dev.opg.core.profile.ProfileNotAppliedException where the engine was already loaded under other settings
     */
    public static <I, O> VerifiableZooModel<I, O> load(Criteria<I, O> criteria, int intraOpThreads, int interOpThreads, long seed,
            RecordingOptions options) throws ModelNotFoundException, MalformedModelException, IOException {
        Objects.requireNonNull(criteria, "criteria");
        EngineSupport engine = EngineSupport.of(engineOf(criteria));
        DeterminismProfile profile = engine.apply(intraOpThreads, interOpThreads, seed);
        ZooModel<I, O> zoo = criteria.loadModel();
        try {
            return new VerifiableZooModel<>(zoo, VerifiableModel.wrap(zoo, profile, options));
        } catch (RuntimeException e) {
            zoo.close();
            throw e;
        }
    }

    private static String engineOf(Criteria<?, ?> criteria) {
        if (criteria.getEngine() == null) {
            throw new MalformedInputException("the criteria name no engine; opg must apply the determinism profile for the engine "
                    + "before the engine loads the model: set optEngine(\"PyTorch\") or optEngine(\"OnnxRuntime\")");
        }
        return criteria.getEngine();
    }

    /** A predictor with the model's own translator, typed as the criteria were. */
    public VerifiablePredictor<I, O> newPredictor() {
        return new VerifiablePredictor<>(model, zoo.getTranslator());
    }

    /** The recording wrapper (for {@code Verifier}s, descents, spot checks). */
    public VerifiableModel model() {
        return model;
    }

    /** The DJL model as loaded. */
    public ZooModel<I, O> zooModel() {
        return zoo;
    }

    /** The profile the model runs under. */
    public DeterminismProfile profile() {
        return model.profile();
    }

    /** The model's path as DJL loaded it. */
    public Path modelPath() {
        return zoo.getModelPath();
    }

    /** Closes the recording wrapper, then the model. */
    @Override
    public void close() {
        try {
            model.close();
        } finally {
            zoo.close();
        }
    }
}
