package dev.opg.core.djl;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.translate.Translator;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.model.ModelCommitment;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.ProfileNotAppliedException;
import dev.opg.core.sketch.SketchProjector;
import java.nio.file.Path;

/**
 * A DJL model that records a transcript with every prediction. Wrap the model you already load
 * ({@code Criteria...loadModel()}, or a {@link Model} with a block) in one call:
 *
 * <pre>{@code
 * DeterminismProfile profile = PyTorchProfiles.apply(1, 1, 42);   // before the engine loads
 * try (ZooModel<float[], float[]> zoo = criteria.loadModel();
 *      VerifiableModel vm = VerifiableModel.wrap(zoo, profile);
 *      VerifiablePredictor<float[], float[]> p = vm.newPredictor()) {
 *     Prediction<float[]> r = p.predict(input);
 *     r.output(); r.transcript().root();
 * }
 * }</pre>
 *
 * <p>The model commitment is computed once, here. Each prediction runs in its own NDManager scope
 * that is closed when it ends (no native memory is kept between predictions); {@link #close()}
 * stops the hashing threads and, where this object was given ownership, closes the model.
 * Step granularity: see {@link BlockRunner}, {@link TorchScriptRunner} and
 * {@code dev.opg.core.onnx.OnnxRunner}.
 */
public final class VerifiableModel implements AutoCloseable {
    private final Model model;
    private final ModelRunner runner;
    private final DeterminismProfile profile;
    private final RecordingOptions options;
    private final Hasher hasher;
    private final dev.opg.core.engine.EngineSupport engine;
    private final SketchProjector sketcher;

    private VerifiableModel(Model model, ModelRunner runner, DeterminismProfile profile, RecordingOptions options) {
        this.model = model;
        this.runner = runner.at(options.granularity(), options.cuts());
        this.profile = profile;
        this.options = options;
        String engine = model.getNDManager().getEngine().getEngineName();
        if (!engine.equals(profile.engine())) {
            throw new ProfileNotAppliedException("the model runs on engine " + engine + " but the profile is for "
                    + profile.engine() + "; apply a profile for " + engine + " before loading the model");
        }
        this.engine = dev.opg.core.engine.EngineSupport.of(engine);
        this.sketcher = new SketchProjector(this.runner.commitment().modelId());
        this.hasher = new Hasher(this.runner, profile, () -> this.engine.pinCurrentThread(profile));
    }

    /** Wraps a loaded model, FULL mode, no witness. */
    public static VerifiableModel wrap(Model model, DeterminismProfile profile) {
        return wrap(model, profile, RecordingOptions.full());
    }

    /**
     * Wraps a loaded model: a TorchScript model ({@code PtSymbolBlock}) records one step, an ONNX
     * model (OnnxRuntime engine) one step per graph node, any other block tree one step per leaf
     * block.
     *
     * @throws ProfileNotAppliedException if the profile is for another engine
     */
    public static VerifiableModel wrap(Model model, DeterminismProfile profile, RecordingOptions options) {
        Block block = model.getBlock();
        if (block == null) {
            throw new MalformedInputException("model '" + model.getName() + "' has no block; load it first");
        }
        // the engine's own runner for a model it loaded natively (TorchScript, ONNX), else the DJL block tree
        ModelRunner runner = dev.opg.core.engine.EngineSupport.of(model).runner(model, profile).orElseGet(() -> new BlockRunner(block));
        return new VerifiableModel(model, runner, profile, options);
    }

    /** Wraps a model with a runner chosen by the caller. */
    public static VerifiableModel of(Model model, ModelRunner runner, DeterminismProfile profile, RecordingOptions options) {
        return new VerifiableModel(model, runner, profile, options);
    }

    public Model model() {
        return model;
    }

    public ModelRunner runner() {
        return runner;
    }

    public ModelCommitment commitment() {
        return runner.commitment();
    }

    /** The model id (commitment root). */
    public Digest modelId() {
        return runner.commitment().modelId();
    }

    public DeterminismProfile profile() {
        return profile;
    }

    public RecordingOptions options() {
        return options;
    }

    /** A predictor that uses the model's own translator (a {@code ZooModel}'s). */
    @SuppressWarnings("unchecked")
    public <I, O> VerifiablePredictor<I, O> newPredictor() {
        if (!(model instanceof ai.djl.repository.zoo.ZooModel<?, ?> zoo)) {
            throw new MalformedInputException("model '" + model.getName() + "' is not a ZooModel; pass a translator");
        }
        return new VerifiablePredictor<>(this, (Translator<I, O>) zoo.getTranslator());
    }

    public <I, O> VerifiablePredictor<I, O> newPredictor(Translator<I, O> translator) {
        return new VerifiablePredictor<>(this, translator);
    }

    /**
     * Runs the model on engine arrays. Intermediate arrays live in a scope closed before this
     * returns; the outputs are attached to the inputs' manager.
     */
    public Prediction<NDList> predict(NDList inputs) {
        NDManager owner = inputs.head().getManager();
        try (NDManager scope = owner.newSubManager()) {
            inputs.tempAttach(scope);
            Prediction<NDList> p = record(scope, inputs);
            p.output().attach(owner);
            return p;
        }
    }

    /**
     * Runs the model on engine arrays as {@link #predict} does, without a scope of its own: every
     * intermediate array is made in the inputs' manager and lives until the caller closes it, the
     * outputs too. For a caller that already opens a manager per prediction (a row of a Spark
     * partition) this saves a native scope and two re-attachments per call; the prediction and
     * its transcript are the same as {@link #predict}'s.
     */
    public Prediction<NDList> predictInInputScope(NDList inputs) {
        return record(inputs.head().getManager(), inputs);
    }

    /** Records one execution of {@code inputs}, whose arrays (and all intermediates) live in {@code scope}. */
    Prediction<NDList> record(NDManager scope, NDList inputs) {
        engine.pinCurrentThread(profile);
        ParameterStore ps = new ParameterStore(scope, false);
        // the binding is the runner's own (what run() feeds each tensor to), committed in the header
        java.util.List<String> binding = runner.inputBinding(inputs);
        Recording rec = new Recording(hasher, options, modelId(), profile, inputs, binding, sketcher, runner.granularity(), runner.scope());
        try {
            NDList out = runner.run(ps, inputs, rec);
            Recording.Result r = rec.finish(out);
            return new Prediction<>(out, r.transcript(), r.witness());
        } finally {
            rec.drain();
        }
    }

    /**
     * What a transcript of this model on {@code inputs} must look like ({@link ModelRunner#dataflow}):
     * derived from the model and the input alone, for spot checks and the referee.
     */
    public dev.opg.core.transcript.Dataflow dataflow(NDList inputs) {
        return runner.dataflow(inputs);
    }

    /**
     * Runs the single step {@code name} on {@code inputs} (e.g. from a witness); outputs in the inputs'
     * manager (the model's manager for a step without inputs, such as an ONNX {@code Constant}).
     */
    public NDList runStep(String name, NDList inputs) {
        engine.pinCurrentThread(profile);
        NDManager manager = inputs.isEmpty() ? model.getNDManager() : inputs.head().getManager();
        return runner.runStep(new ParameterStore(manager, false), name, inputs);
    }

    /**
     * The runner of one block's node steps on the model input {@code inputs}, for a dispute's
     * descent (spec section 3.14): {@code predict(blockInputs)} on the result records the block
     * at node granularity from its committed inputs, the block's name as the transcript's scope.
     * The result shares this model's runner: close it before this one; closing it closes nothing
     * of this one's.
     *
     * @throws MalformedInputException if this model is not recorded at block or output granularity, or has no such block
     */
    public VerifiableModel descend(NDList inputs, int blockIndex, RecordingOptions options) {
        if (!(runner instanceof BlockedRunner b)) {
            throw new MalformedInputException("a descent needs a model recorded at block or output granularity; this one records at "
                    + runner.granularity().specName());
        }
        RecordingOptions o = new RecordingOptions(dev.opg.core.transcript.CommitmentMode.FULL, 0, options.witness(),
                dev.opg.core.transcript.Granularity.NODE, null);
        return new VerifiableModel(model, b.descend(inputs, blockIndex), profile, o);
    }

    /**
     * What a descent into block {@code blockIndex} on the model input {@code inputs} must look
     * like when the block's inputs have the digests {@code blockInputs} (spec section 3.14): the
     * node-level dataflow inside the block ({@link dev.opg.core.transcript.Blocks#descentDataflow}),
     * derived from the model and the input alone, with no block tensor at hand (the referee of a
     * dispute knows the agreed block inputs by digest only).
     *
     * @throws MalformedInputException if this model is not recorded at block or output granularity, or has no such block
     */
    public dev.opg.core.transcript.Dataflow descentDataflow(NDList inputs, int blockIndex, java.util.List<Digest> blockInputs) {
        if (!(runner instanceof BlockedRunner b)) {
            throw new MalformedInputException("a descent needs a model recorded at block or output granularity; this one records at "
                    + runner.granularity().specName());
        }
        dev.opg.core.transcript.Blocks blocks = b.blocks(inputs);
        if (blockIndex < 0 || blockIndex >= blocks.blocks().size()) {
            throw new MalformedInputException("the model has no block " + blockIndex + "; it runs " + blocks.blocks().size()
                    + " blocks on this input");
        }
        return blocks.descentDataflow(modelId(), blockIndex, blockInputs);
    }

    /** Stops the hashing threads and closes the runner; the wrapped model stays open (close it yourself). */
    @Override
    public void close() {
        hasher.close();
        sketcher.close();
        try {
            runner.close();
        } catch (Exception e) {
            throw new OpgException("closing the model runner failed: " + e.getMessage(), e);
        }
    }
}
