package dev.opg.core.model;

import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.engine.EngineSupport;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.ProfileNotAppliedException;
import dev.opg.core.store.ModelIdentifier;
import dev.opg.core.store.ModelIdentity;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Computes a model artifact's id by loading it exactly as {@code opg prove} and {@code opg verify}
 * load a {@code --model} path ({@link LoadedModel}: a DJL model directory, an {@code .onnx} or a
 * TorchScript file, or a directory holding one), so the id checked is the id the verifier will
 * compare with the transcript. The model id does not depend on threads or kernels; the engine is
 * set up with the given thread counts so that a verification that follows in the same process
 * finds the engine as its transcript's profile needs it.
 */
public final class ModelIds implements ModelIdentifier {
    private final int intraOpThreads;
    private final int interOpThreads;

    private ModelIds(int intraOpThreads, int interOpThreads) {
        this.intraOpThreads = intraOpThreads;
        this.interOpThreads = interOpThreads;
    }

    /** Loads with one intra-op and one inter-op thread (opg prove's default). */
    public static ModelIds defaults() {
        return new ModelIds(1, 1);
    }

    /** Loads with these thread counts (those of the transcript about to be verified). */
    public static ModelIds withThreads(int intraOpThreads, int interOpThreads) {
        return new ModelIds(intraOpThreads, interOpThreads);
    }

    @Override
    public ModelIdentity identify(Path artifact) throws IOException {
        LoadedModel.Kind kind = LoadedModel.kindOf(artifact);
        DeterminismProfile profile = profile(LoadedModel.engineOf(kind));
        try (LoadedModel m = LoadedModel.open(artifact, profile, RecordingOptions.full())) {
            return new ModelIdentity(m.verifiable().modelId(), m.verifiable().commitment().kind());
        }
    }

    private DeterminismProfile profile(String engine) {
        EngineSupport support = EngineSupport.of(engine);
        try {
            return support.apply(intraOpThreads, interOpThreads, 0);
        } catch (ProfileNotAppliedException e) {
            // the engine was loaded earlier with other thread counts: the id does not depend on them
            return support.asRunning(0).orElseThrow(() -> e);
        }
    }
}
