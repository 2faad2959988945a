package dev.opg.core.engine;

import ai.djl.Model;
import ai.djl.onnxruntime.engine.OrtSymbolBlock;
import dev.opg.core.djl.ModelRunner;
import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.core.onnx.OnnxRunner;
import dev.opg.core.profile.DeterminismProfile;
import java.util.Optional;

/** ONNX Runtime through DJL: profiles by {@link OnnxProfiles}; an ONNX graph runs node by node ({@link OnnxRunner}). */
public final class OnnxRuntimeSupport implements EngineSupport {
    @Override
    public String engineName() {
        return OnnxProfiles.ENGINE;
    }

    @Override
    public DeterminismProfile apply(int intraOpThreads, int interOpThreads, long seed) {
        return OnnxProfiles.apply(intraOpThreads, interOpThreads, seed);
    }

    @Override
    public DeterminismProfile require(DeterminismProfile expected) {
        return OnnxProfiles.require(expected);
    }

    @Override
    public void pinCurrentThread(DeterminismProfile profile) {
        // ONNX Runtime's sessions carry their thread settings; nothing is per calling thread
    }

    @Override
    public Optional<ModelRunner> runner(Model model, DeterminismProfile profile) {
        if (model.getBlock() instanceof OrtSymbolBlock) {
            return Optional.of(OnnxRunner.open(ModelFiles.find(model, ".onnx"), profile));
        }
        return Optional.empty();
    }
}
