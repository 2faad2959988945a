package dev.opg.core.engine;

import ai.djl.Model;
import ai.djl.pytorch.engine.PtSymbolBlock;
import dev.opg.core.djl.ModelRunner;
import dev.opg.core.djl.TorchScriptRunner;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.PyTorchProfiles;
import java.util.Optional;

/** PyTorch (libtorch through DJL): profiles by {@link PyTorchProfiles}; a TorchScript module runs as one step. */
public final class PyTorchSupport implements EngineSupport {
    /** DJL's name of the engine. */
    public static final String ENGINE = "PyTorch";

    @Override
    public String engineName() {
        return ENGINE;
    }

    @Override
    public DeterminismProfile apply(int intraOpThreads, int interOpThreads, long seed) {
        return PyTorchProfiles.apply(intraOpThreads, interOpThreads, seed);
    }

    @Override
    public DeterminismProfile require(DeterminismProfile expected) {
        return PyTorchProfiles.require(expected);
    }

    @Override
    public Optional<DeterminismProfile> asRunning(long seed) {
        return Optional.of(PyTorchProfiles.apply(ai.djl.pytorch.jni.JniUtils.getNumThreads(),
                ai.djl.pytorch.jni.JniUtils.getNumInteropThreads(), seed));
    }

    @Override
    public void pinCurrentThread(DeterminismProfile profile) {
        // libtorch's intra-op thread count is per thread: a step re-run on another thread must set it
        PyTorchProfiles.pinCurrentThread(profile.intraOpThreads());
    }

    @Override
    public Optional<ModelRunner> runner(Model model, DeterminismProfile profile) {
        if (model.getBlock() instanceof PtSymbolBlock block) {
            return Optional.of(new TorchScriptRunner(block, ModelFiles.find(model, ".pt")));
        }
        return Optional.empty();
    }
}
