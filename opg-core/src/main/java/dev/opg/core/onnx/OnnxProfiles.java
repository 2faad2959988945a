package dev.opg.core.onnx;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.ProfileNotAppliedException;
import dev.opg.core.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * Determinism profiles for DJL's OnnxRuntime engine.
 *
 * <p>ONNX Runtime takes its settings per session, so nothing global is pinned: {@link OnnxRunner}
 * opens its own sessions with exactly the profile's settings ({@link #sessionOptions}): intra-op
 * and inter-op threads as recorded, sequential execution, graph optimization level
 * {@code ORT_DISABLE_ALL} (recorded as {@code graphOptimizer=false}; no fusion, so every node of
 * the graph runs as written and its output can be exposed) and deterministic compute on
 * (recorded as {@code deterministicAlgorithms=true}).
 *
 * <p>ONNX Runtime's CPU kernels (MLAS) pick their instruction set from the CPU at run time and
 * offer no switch, so {@code cpuCapability} records what this CPU offers ({@code mlas-avx512},
 * {@code mlas-avx2}, {@code mlas-avx}, {@code mlas-sse}, or {@code mlas-<arch>} elsewhere) and
 * {@link #require} refuses a profile measured on a CPU with another set. ONNX Runtime has no
 * global random seed: the seed is recorded as given, and {@link OnnxRunner} refuses models with
 * random operators that carry no {@code seed} attribute.
 */
public final class OnnxProfiles {
    /** DJL's name for the engine. */
    public static final String ENGINE = "OnnxRuntime";

    private OnnxProfiles() {}

    /** The profile of this process for ONNX Runtime with these thread counts and seed. */
    public static DeterminismProfile apply(int intraOpThreads, int interOpThreads, long seed) {
        Engine engine = Engine.getEngine(ENGINE);
        String ortVersion = OrtEnvironment.getEnvironment().getVersion();
        return new DeterminismProfile(ENGINE, engine.getVersion(), Engine.getDjlVersion(),
                "onnxruntime " + ortVersion + " cpu", System.getProperty("os.name"), System.getProperty("os.arch"),
                cpuCapability(), intraOpThreads, interOpThreads, false, true, seed, DType.FLOAT32);
    }

    /**
     * Checks that this process can run under {@code expected} (same engine and native versions,
     * platform and CPU kernel set; graph optimizer off) and returns it.
     *
     * @throws ProfileNotAppliedException naming what differs
     */
    public static DeterminismProfile require(DeterminismProfile expected) {
        if (!ENGINE.equals(expected.engine())) {
            throw new ProfileNotAppliedException("the profile is for engine " + expected.engine() + "; an ONNX model needs an "
                    + ENGINE + " profile (OnnxProfiles.apply)");
        }
        DeterminismProfile actual = apply(expected.intraOpThreads(), expected.interOpThreads(), expected.seed());
        if (!actual.equals(expected)) {
            throw new ProfileNotAppliedException("this process runs ONNX models under " + actual + " but the profile is "
                    + expected + "; run on a machine with the same ONNX Runtime and CPU kernel set, or compare with a tolerance");
        }
        return actual;
    }

    /** Session options that pin {@code profile}'s settings; close them after creating the session. */
    public static OrtSession.SessionOptions sessionOptions(DeterminismProfile profile) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        try {
            o.setIntraOpNumThreads(profile.intraOpThreads());
            o.setInterOpNumThreads(profile.interOpThreads());
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            o.setDeterministicCompute(true);
            // opg's rewritten graphs (inlined If branches) leave initializers no node reads; ORT
            // warns about each on every session. Errors are still logged; nothing computed changes.
            o.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            return o;
        } catch (OrtException | RuntimeException e) {
            o.close();
            throw e;
        }
    }

    /** The instruction set ONNX Runtime's CPU kernels will use on this machine, as recorded in the profile. */
    public static String cpuCapability() {
        String arch = System.getProperty("os.arch", "unknown").toLowerCase(Locale.ROOT);
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            return "mlas-" + arch;
        }
        Set<String> flags = Set.of();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    flags = new java.util.HashSet<>(java.util.Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+")));
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            return "mlas-x86_64-unknown";
        }
        if (flags.containsAll(Set.of("avx512f", "avx512bw", "avx512dq", "avx512vl"))) {
            return "mlas-avx512";
        }
        if (flags.containsAll(Set.of("avx2", "fma"))) {
            return "mlas-avx2";
        }
        if (flags.contains("avx")) {
            return "mlas-avx";
        }
        return "mlas-sse";
    }
}
