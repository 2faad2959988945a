package dev.opg.benchmarks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import dev.opg.core.djl.ModelRunner;
import dev.opg.core.profile.DeterminismProfile;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The bytes one recorded prediction hashes: the model inputs, every distinct array a step reads or
 * writes, and the model outputs, each once (recording digests an array seen twice once), as the
 * runner of a granularity reports them. The input to the hashing bound: at the SHA-256 rate
 * {@code HashingBenchmark} measures, hashing them takes bytes x (us per byte) on the hashing pool's
 * cores.
 */
final class HashedBytes {
    private HashedBytes() {}

    /** Runs {@code runner} once on {@code inputs} (arrays in {@code ps}'s manager) and adds up what a recording would hash. */
    static long of(ModelRunner runner, ParameterStore ps, NDList inputs) {
        Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.addAll(inputs);
        NDList out = runner.run(ps, inputs, (name, in, outs) -> {
            seen.addAll(in);
            seen.addAll(outs);
        });
        seen.addAll(out);
        long bytes = 0;
        for (NDArray a : seen) {
            bytes += a.getShape().size() * a.getDataType().getNumOfBytes();
        }
        return bytes;
    }

    /** The threads opg's hashing pool gets here (one per core the engine's intra-op threads leave, at least one). */
    static int hashingCores(DeterminismProfile profile) {
        return Math.max(1, Runtime.getRuntime().availableProcessors() - profile.intraOpThreads());
    }
}
