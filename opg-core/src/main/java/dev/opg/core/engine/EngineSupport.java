package dev.opg.core.engine;

import ai.djl.Model;
import dev.opg.core.djl.ModelRunner;
import dev.opg.core.djl.UnsupportedModelException;
import dev.opg.core.profile.DeterminismProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * What opg needs of one DJL engine: how to pin a determinism profile before the engine loads and
 * check it after, how to pin a thread that runs the engine, and the runner for a model this
 * engine loaded natively (a TorchScript module, an ONNX graph). Implementations are found through
 * {@link ServiceLoader} ({@code META-INF/services/dev.opg.core.engine.EngineSupport}), as DJL finds
 * its engines; opg-core ships one for PyTorch and one for ONNX Runtime. Nothing else in opg names
 * an engine.
 */
public interface EngineSupport {
    /** The DJL engine name ({@code ai.djl.engine.Engine#getEngineName()}) this supports. */
    String engineName();

    /**
     * Pins the profile's settings (threads, seed) for this engine, before it loads where that
     * matters, and returns the profile the process now measurably runs under.
     */
    DeterminismProfile apply(int intraOpThreads, int interOpThreads, long seed);

    /**
     * Checks that this process can run under {@code expected} and returns the profile it runs
     * under (equal to {@code expected} when it can).
     *
     * @throws dev.opg.core.profile.ProfileNotAppliedException where it cannot
     */
    DeterminismProfile require(DeterminismProfile expected);

    /**
     * The profile this process runs under now with the seed {@code seed}, measured with the
     * thread counts the engine was already set up with, where an engine keeps its first thread
     * counts for the life of the process (libtorch); empty where {@link #apply} can always set
     * them. Used where threads do not matter (a model id) or to report what a process runs under.
     */
    default Optional<DeterminismProfile> asRunning(long seed) {
        return Optional.empty();
    }

    /** Applies the profile's per-thread settings to the calling thread before it runs the engine (a no-op where there are none). */
    void pinCurrentThread(DeterminismProfile profile);

    /**
     * The runner for {@code model} where this engine loaded it as one native unit (its block is
     * the engine's symbol block), else empty; DJL block trees are run block by block whatever the engine.
     */
    Optional<ModelRunner> runner(Model model, DeterminismProfile profile);

    /** Every engine support on the class path, in ServiceLoader order. */
    static List<EngineSupport> all() {
        List<EngineSupport> out = new ArrayList<>();
        ServiceLoader.load(EngineSupport.class, EngineSupport.class.getClassLoader()).forEach(out::add);
        return out;
    }

    /**
     * The support for the DJL engine named {@code engineName}.
     *
     * @throws UnsupportedModelException naming the engines opg supports, where none is for it
     */
    static EngineSupport of(String engineName) {
        List<EngineSupport> all = all();
        for (EngineSupport e : all) {
            if (e.engineName().equals(engineName)) {
                return e;
            }
        }
        throw new UnsupportedModelException("opg has no support for the DJL engine '" + engineName + "'; it supports "
                + all.stream().map(EngineSupport::engineName).toList());
    }

    /** The support for the engine that runs {@code model}. */
    static EngineSupport of(Model model) {
        return of(model.getNDManager().getEngine().getEngineName());
    }
}
