package dev.opg.core.profile;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.opg.core.tensor.DType;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a determinism profile to DJL's PyTorch engine and returns the profile as measured.
 *
 * <p>Order matters: thread counts and the graph optimizer are passed to DJL as system properties
 * before the engine loads, and {@code ATEN_CPU_CAPABILITY} must already be in the process
 * environment (libtorch reads it when it loads; Java cannot set it afterwards). After loading,
 * the running engine is asked for its thread counts; if another part of the process loaded the
 * engine first with other settings, {@link ProfileNotAppliedException} says so instead of
 * recording a profile that did not hold.
 *
 * <p>{@code deterministicAlgorithms} is recorded as {@code false}: DJL 0.36 exposes no switch for
 * {@code torch.use_deterministic_algorithms}. On CPU with fixed threads and kernel set the models
 * this project tests give identical bits across runs and processes (the tests measure it).
 */
public final class PyTorchProfiles {
    /** The environment variable libtorch reads to choose its CPU kernels. */
    public static final String CPU_CAPABILITY_ENV = "ATEN_CPU_CAPABILITY";
    private static final Logger LOG = LoggerFactory.getLogger(PyTorchProfiles.class);
    private static final Object LOCK = new Object();
    /** The intra-op thread count the last {@link #apply} pinned (0 before any), re-pinned per thread by {@link #pinCurrentThread()}. */
    private static volatile int pinnedIntraOpThreads;
    /** The intra-op count {@link #pinCurrentThread(int)} last set on each thread (0: never). */
    private static final ThreadLocal<int[]> PINNED_HERE = ThreadLocal.withInitial(() -> new int[1]);

    private PyTorchProfiles() {}

    /**
     * Pins threads, seed and graph optimizer, loads the engine, and returns the measured profile.
     *
     * <p>Where {@code ATEN_CPU_CAPABILITY} is unset, the profile records the kernel set libtorch
     * selects on this CPU by its own rule ({@link CpuCapabilities#libtorchChoice}), so a JVM started
     * with no opg-specific environment works; a verifier that needs another set starts a child JVM.
     *
     * @throws ProfileNotAppliedException if {@code ATEN_CPU_CAPABILITY} is not a value
     *     libtorch honours on this CPU ({@link CpuCapabilities}), or the running engine's thread
     *     counts differ from those requested
     */
    public static DeterminismProfile apply(int intraOpThreads, int interOpThreads, long seed) {
        synchronized (LOCK) {
            String cap = System.getenv(CPU_CAPABILITY_ENV);
            if (cap == null || cap.isBlank()) {
                // libtorch picks its kernels from the CPU by its own rule: record what it picks here
                cap = CpuCapabilities.libtorchChoice(System.getProperty("os.arch"), CpuCapabilities.cpuFlags());
                if (cap == null) {
                    throw new ProfileNotAppliedException(CPU_CAPABILITY_ENV + " is not set and on " + System.getProperty("os.arch")
                            + " opg cannot tell which CPU kernels libtorch selects; start the JVM with " + CPU_CAPABILITY_ENV
                            + "=default in its environment");
                }
                LOG.debug("{} is not set; libtorch selects '{}' on this CPU, recorded in the profile", CPU_CAPABILITY_ENV, cap);
            }
            if (!CpuCapabilities.canRun(cap, CpuCapabilities.cpuFlags())) {
                throw new ProfileNotAppliedException(CPU_CAPABILITY_ENV + "=" + cap + (CpuCapabilities.requiredFlags(cap) == null
                        ? " is not a value libtorch knows (it compares literally with default, avx2 and avx512 and ignores anything else)"
                        : " needs CPU instructions this machine lacks (" + CpuCapabilities.missing(cap, CpuCapabilities.cpuFlags()) + ")")
                        + ", so libtorch would run other kernels than the profile would record; use default, avx2 or avx512");
            }
            setProperty("ai.djl.pytorch.num_threads", Integer.toString(intraOpThreads));
            setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(interOpThreads));
            setProperty("ai.djl.pytorch.graph_optimizer", "false");
            Engine engine = Engine.getEngine("PyTorch");
            JniUtils.setNumThreads(intraOpThreads);
            JniUtils.setGraphExecutorOptimize(false);
            int intra = JniUtils.getNumThreads();
            int inter = JniUtils.getNumInteropThreads();
            if (intra != intraOpThreads || inter != interOpThreads) {
                throw new ProfileNotAppliedException("the PyTorch engine runs with " + intra + " intra-op and " + inter
                        + " inter-op threads; the profile needs " + intraOpThreads + " and " + interOpThreads
                        + ". The engine was loaded before the profile was applied; apply it before anything uses "
                        + "the engine, or run in a fresh JVM");
            }
            JniUtils.setSeed(seed);
            pinnedIntraOpThreads = intraOpThreads;
            PINNED_HERE.get()[0] = intraOpThreads;
            DeterminismProfile p = new DeterminismProfile("PyTorch", engine.getVersion(), Engine.getDjlVersion(),
                    "libtorch " + engine.getVersion() + " " + (engine.hasCapability("CUDA") ? "cuda" : "cpu"),
                    System.getProperty("os.name"), System.getProperty("os.arch"), cap,
                    intra, inter, false, false, seed, DType.FLOAT32);
            LOG.debug("applied determinism profile {}", p);
            return p;
        }
    }

    /**
     * Applies {@code expected}'s settings and checks that the measured profile equals it field for
     * field; a verifier uses this before re-executing a transcript.
     *
     * @throws ProfileNotAppliedException naming the first field that differs
     */
    public static DeterminismProfile require(DeterminismProfile expected) {
        DeterminismProfile actual = apply(expected.intraOpThreads(), expected.interOpThreads(), expected.seed());
        if (!actual.equals(expected)) {
            throw new ProfileNotAppliedException("this process runs under " + actual + " but the transcript needs "
                    + expected + "; start a JVM with the required environment (e.g. " + CPU_CAPABILITY_ENV + "="
                    + expected.cpuCapability() + ") or compare with a tolerance");
        }
        return actual;
    }

    /**
     * Re-pins the per-thread settings on the calling thread: libtorch keeps the graph optimizer flag
     * and the intra-op thread count (OpenMP) per thread, so a thread other than the one that called
     * {@link #apply} (a pool thread, a verifier's worker) runs with libtorch's default thread count
     * (the core count) unless pinned, and some kernels (sgemm at batch 32, for one) then give other
     * bits. Uses the intra-op count of the last {@link #apply}; a no-op for it before any.
     */
    public static void pinCurrentThread() {
        pinCurrentThread(pinnedIntraOpThreads);
    }

    /**
     * Re-pins the per-thread settings on the calling thread with {@code intraOpThreads} intra-op
     * threads (a profile's {@link DeterminismProfile#intraOpThreads()}); {@code 0} leaves the count
     * as it is. The count is set once per thread (and again if it was changed since):
     * {@code JniUtils.getNumThreads()} alone is no proof, as a fresh thread reports the global
     * count while its BLAS still runs with the default, and setting it clears libtorch's oneDNN
     * primitive cache, so it is not repeated before every prediction.
     */
    public static void pinCurrentThread(int intraOpThreads) {
        JniUtils.setGraphExecutorOptimize(false);
        if (intraOpThreads > 0) {
            int[] pinned = PINNED_HERE.get();
            if (pinned[0] != intraOpThreads || JniUtils.getNumThreads() != intraOpThreads) {
                JniUtils.setNumThreads(intraOpThreads);
                pinned[0] = intraOpThreads;
            }
        }
    }

    private static void setProperty(String key, String value) {
        String old = System.getProperty(key);
        if (old != null && !Objects.equals(old, value)) {
            LOG.warn("overriding system property {}={} with {} for the determinism profile", key, old, value);
        }
        System.setProperty(key, value);
    }
}
