package dev.opg.cli.model;

import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.core.profile.PyTorchProfiles;

/**
 * Applies a determinism profile for an engine before a model loads: fresh (for {@code prove})
 * or exactly the one a transcript names (for {@code verify}).
 */
public final class EngineProfiles {
    private EngineProfiles() {}

    /** Applies the engine's profile with {@code threads} intra-op and inter-op threads and the seed; returns it as measured. */
    public static DeterminismProfile apply(String engine, int threads, long seed) {
        return apply(engine, threads, threads, seed);
    }

    /** Applies the engine's profile with the given threads and seed and returns it as measured. */
    public static DeterminismProfile apply(String engine, int intraOpThreads, int interOpThreads, long seed) {
        int threads = intraOpThreads;
        return switch (engine) {
            case "PyTorch" -> PyTorchProfiles.apply(threads, interOpThreads, seed);
            case OnnxProfiles.ENGINE -> OnnxProfiles.apply(threads, interOpThreads, seed);
            default -> throw new dev.opg.core.MalformedInputException("no determinism profile for engine " + engine);
        };
    }

    /** Applies {@code expected} and checks that the process runs under it. */
    public static DeterminismProfile require(DeterminismProfile expected) {
        return switch (expected.engine()) {
            case "PyTorch" -> PyTorchProfiles.require(expected);
            case OnnxProfiles.ENGINE -> OnnxProfiles.require(expected);
            default -> throw new dev.opg.core.MalformedInputException("no determinism profile for engine " + expected.engine());
        };
    }
}
