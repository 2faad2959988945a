package dev.opg.core.profile;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.tensor.DType;
import dev.opg.core.transcript.LeafWriter;
import dev.opg.core.transcript.TranscriptLimits;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What decides the bits of an execution, as a value: the engine and its version, the DJL version,
 * the native library, the platform, the CPU kernel set, thread counts, graph optimization,
 * deterministic algorithms, the random seed and the compute dtype.
 *
 * <p>This record only describes; {@link PyTorchProfiles} pins a profile before an engine loads and
 * measures that the running engine matches, so that a transcript never records a profile the
 * process did not run under. {@link #digest()} is SHA-256 of {@link #encode()}, the spec's byte
 * encoding, and is what a transcript header commits to.
 *
 * @param engine DJL engine name ({@code PyTorch}, {@code OnnxRuntime})
 * @param engineVersion the engine's version as the engine reports it
 * @param djlVersion the DJL API version
 * @param nativeLibrary identity of the native library (flavor, version, platform)
 * @param os operating system name ({@code os.name})
 * @param arch CPU architecture ({@code os.arch})
 * @param cpuCapability the kernel set ({@code ATEN_CPU_CAPABILITY} for PyTorch; {@code n/a} where the engine has none)
 * @param intraOpThreads threads inside one operator
 * @param interOpThreads threads across operators
 * @param graphOptimizer whether the engine's graph optimizer is on
 * @param deterministicAlgorithms whether the engine was switched to deterministic algorithms
 * @param seed the engine's random seed, 0..2^53-1
 * @param dtype the compute dtype
 */
public record DeterminismProfile(String engine, String engineVersion, String djlVersion, String nativeLibrary,
        String os, String arch, String cpuCapability, int intraOpThreads, int interOpThreads,
        boolean graphOptimizer, boolean deterministicAlgorithms, long seed, DType dtype) {
    /** Version of the profile encoding. */
    public static final int VERSION = 1;
    /** Domain tag of the profile encoding. */
    public static final String TAG = "OPG-PROFILE";
    /** Largest seed (JSON numbers stay exact in every language). */
    public static final long MAX_SEED = (1L << 53) - 1;

    public DeterminismProfile {
        String[] strings = {engine, engineVersion, djlVersion, nativeLibrary, os, arch, cpuCapability};
        String[] names = {"engine", "engineVersion", "djlVersion", "nativeLibrary", "os", "arch", "cpuCapability"};
        for (int i = 0; i < strings.length; i++) {
            LeafWriter.utf8(strings[i], TranscriptLimits.MAX_PROFILE_STRING_BYTES, "profile " + names[i]);
        }
        if (intraOpThreads < 1 || interOpThreads < 1 || intraOpThreads > 4096 || interOpThreads > 4096) {
            throw new LimitExceededException("thread counts must be 1..4096; got intra-op " + intraOpThreads
                    + ", inter-op " + interOpThreads);
        }
        if (seed < 0 || seed > MAX_SEED) {
            throw new LimitExceededException("profile seed " + seed + " is outside 0..2^53-1");
        }
        if (dtype == null) {
            throw new MalformedInputException("profile dtype is missing (null)");
        }
    }

    /** The spec's byte encoding (see {@code docs/transcript-spec.md}). */
    public byte[] encode() {
        int max = TranscriptLimits.MAX_PROFILE_STRING_BYTES;
        return new LeafWriter(TAG, VERSION)
                .string(engine, max, "engine")
                .string(engineVersion, max, "engineVersion")
                .string(djlVersion, max, "djlVersion")
                .string(nativeLibrary, max, "nativeLibrary")
                .string(os, max, "os")
                .string(arch, max, "arch")
                .string(cpuCapability, max, "cpuCapability")
                .u32(intraOpThreads)
                .u32(interOpThreads)
                .u8(graphOptimizer ? 1 : 0)
                .u8(deterministicAlgorithms ? 1 : 0)
                .u64(seed)
                .u8(dtype.code())
                .toByteArray();
    }

    /**
     * SHA-256 of {@link #encode()}. Remembered for the last few profile objects (a record has no
     * room for it): every prediction's header and transcript ask for it, and encoding costs more
     * than the rest of a small model's transcript.
     */
    public Digest digest() {
        int slot = System.identityHashCode(this) & (DigestCache.SLOTS.length() - 1);
        DigestCache.Entry e = DigestCache.SLOTS.get(slot);
        if (e != null && e.profile() == this) {
            return e.digest();
        }
        Digest d;
        try {
            d = Digest.of(MessageDigest.getInstance("SHA-256").digest(encode()));
        } catch (NoSuchAlgorithmException ex) {
            throw new OpgException("this JVM has no SHA-256", ex);
        }
        DigestCache.SLOTS.set(slot, new DigestCache.Entry(this, d));
        return d;
    }

    /** Digests of recently used profiles, by identity (the record is immutable, so a digest never goes stale). */
    private static final class DigestCache {
        static final java.util.concurrent.atomic.AtomicReferenceArray<Entry> SLOTS = new java.util.concurrent.atomic.AtomicReferenceArray<>(16);

        record Entry(DeterminismProfile profile, Digest digest) {}
    }

    /** A version as DJL and its engines report one: three dot-separated numbers, optionally {@code -} or {@code +} and a suffix. */
    private static final Pattern ENGINE_VERSION = Pattern.compile("(0|[1-9][0-9]{0,5})(\\.(0|[1-9][0-9]{0,5})){2}([-+][0-9A-Za-z]{1,32}([.-][0-9A-Za-z]{1,32}){0,4})?");
    /** {@code os.name} on Windows: the JDK writes "Windows" and a release ("Windows 11", "Windows Server 2022", "Windows NT (unknown)"). */
    private static final Pattern WINDOWS = Pattern.compile("Windows( [0-9A-Za-z.()]{1,16}){1,3}");
    private static final Set<String> PYTORCH_CAPABILITIES = Set.of("default", "avx2", "avx512");
    private static final Set<String> MLAS_X86_FROM_CPUINFO = Set.of("mlas-avx512", "mlas-avx2", "mlas-avx", "mlas-sse");

    /**
     * Why no run recorded by this code can have this profile, or empty when one can. A verifier
     * answers INVALID for such a profile instead of "cannot reproduce" (INCONCLUSIVE): a field no
     * real run writes would otherwise let a prover choose to escape every bitwise check.
     *
     * <p>Plausible means all of the following, which is exactly the range of what
     * {@link PyTorchProfiles#apply} and {@code OnnxProfiles.apply} record on the platforms their
     * native libraries ship for:
     * <ul>
     *   <li>no string has leading or trailing whitespace or any control character;</li>
     *   <li>{@code engine} is {@code PyTorch} or {@code OnnxRuntime};</li>
     *   <li>{@code engineVersion} and {@code djlVersion} are versions as DJL reports them: three
     *       dot-separated numbers without leading zeros, optionally {@code -} or {@code +} and an alphanumeric suffix
     *       ({@code 2.7.1}, {@code 1.21.1}, {@code 0.36.0}, {@code 0.37.0-SNAPSHOT});</li>
     *   <li>{@code nativeLibrary} is {@code libtorch <engineVersion> cpu} or {@code ... cuda}
     *       (PyTorch), {@code onnxruntime <version> cpu} (OnnxRuntime);</li>
     *   <li>{@code os} and {@code arch} are what the JDK reports where those libraries run:
     *       {@code Linux} with {@code amd64} or {@code aarch64}, {@code Mac OS X} with
     *       {@code x86_64} or {@code aarch64}, {@code Windows <release>} with {@code amd64} or
     *       {@code aarch64};</li>
     *   <li>{@code cpuCapability}: PyTorch {@code default} anywhere, {@code avx2} or
     *       {@code avx512} only on Linux amd64 (the only place {@link CpuCapabilities#cpuFlags()}
     *       finds the instruction flags that {@code apply} requires); OnnxRuntime
     *       {@code mlas-aarch64} on aarch64, and on x86 {@code mlas-x86_64-unknown}, or on Linux
     *       also {@code mlas-avx512}, {@code mlas-avx2}, {@code mlas-avx}, {@code mlas-sse};</li>
     *   <li>{@code graphOptimizer} false; {@code deterministicAlgorithms} false for PyTorch, true
     *       for OnnxRuntime; {@code dtype} float32 (as both engines' profiles record them);</li>
     *   <li>thread counts 1..4096 and a seed 0..2^53-1 (the constructor already holds these).</li>
     * </ul>
     */
    public Optional<String> implausibility() {
        String[] strings = {engine, engineVersion, djlVersion, nativeLibrary, os, arch, cpuCapability};
        String[] names = {"engine", "engineVersion", "djlVersion", "nativeLibrary", "os", "arch", "cpuCapability"};
        for (int i = 0; i < strings.length; i++) {
            String v = strings[i];
            if (!v.equals(v.strip())) {
                return why(names[i], v, "has leading or trailing whitespace");
            }
            for (int j = 0; j < v.length(); j++) {
                if (Character.isISOControl(v.charAt(j)) || Character.getType(v.charAt(j)) == Character.FORMAT) {
                    return why(names[i], v, "holds a control character at position " + j);
                }
            }
        }
        boolean pytorch = engine.equals("PyTorch");
        if (!pytorch && !engine.equals("OnnxRuntime")) {
            return why("engine", engine, "is not an engine opg records (PyTorch, OnnxRuntime)");
        }
        if (!ENGINE_VERSION.matcher(engineVersion).matches()) {
            return why("engineVersion", engineVersion, "is not a version as the engine reports one (e.g. 2.7.1)");
        }
        if (!ENGINE_VERSION.matcher(djlVersion).matches()) {
            return why("djlVersion", djlVersion, "is not a version as DJL reports one (e.g. 0.36.0)");
        }
        if (pytorch) {
            if (!nativeLibrary.equals("libtorch " + engineVersion + " cpu") && !nativeLibrary.equals("libtorch " + engineVersion + " cuda")) {
                return why("nativeLibrary", nativeLibrary, "is not 'libtorch " + engineVersion + " cpu' (or cuda)");
            }
        } else {
            String[] parts = nativeLibrary.split(" ", -1);
            if (parts.length != 3 || !parts[0].equals("onnxruntime") || !ENGINE_VERSION.matcher(parts[1]).matches() || !parts[2].equals("cpu")) {
                return why("nativeLibrary", nativeLibrary, "is not 'onnxruntime <version> cpu'");
            }
        }
        boolean linux = os.equals("Linux");
        boolean mac = os.equals("Mac OS X");
        if (!linux && !mac && !WINDOWS.matcher(os).matches()) {
            return why("os", os, "is not an os.name the JDK reports where the engines run (Linux, Mac OS X, Windows <release>)");
        }
        boolean x86 = arch.equals(mac ? "x86_64" : "amd64");
        if (!x86 && !arch.equals("aarch64")) {
            return why("arch", arch, "is not an os.arch the JDK reports on " + os + " (" + (mac ? "x86_64" : "amd64") + ", aarch64)");
        }
        boolean capabilityOk = pytorch
                ? cpuCapability.equals("default") || (PYTORCH_CAPABILITIES.contains(cpuCapability) && linux && x86)
                : x86 ? cpuCapability.equals("mlas-x86_64-unknown") || (linux && MLAS_X86_FROM_CPUINFO.contains(cpuCapability))
                        : cpuCapability.equals("mlas-aarch64");
        if (!capabilityOk) {
            return why("cpuCapability", cpuCapability, "is not a kernel set " + engine + " records on " + os + " " + arch);
        }
        if (graphOptimizer) {
            return why("graphOptimizer", "true", "is never recorded: both engines run with the graph optimizer off");
        }
        if (deterministicAlgorithms != !pytorch) {
            return why("deterministicAlgorithms", Boolean.toString(deterministicAlgorithms), "is not what " + engine + " records ("
                    + !pytorch + ")");
        }
        if (dtype != DType.FLOAT32) {
            return why("dtype", dtype.specName(), "is not what the engines record (float32)");
        }
        return Optional.empty();
    }

    private static Optional<String> why(String field, String value, String problem) {
        return Optional.of("profile field " + field + " '" + escape(value) + "' " + problem + "; no run recorded by opg has it");
    }

    /** The value (at most 80 characters) with control and format characters written as Java escapes, so that a message shows what is there. */
    private static String escape(String v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length() && i < 80; i++) {
            char ch = v.charAt(i);
            if (Character.isISOControl(ch) || Character.getType(ch) == Character.FORMAT) {
                b.append(String.format("\\u%04x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return v.length() > 80 ? b.append("...").toString() : b.toString();
    }

    /** A copy with another seed. */
    public DeterminismProfile withSeed(long newSeed) {
        return new DeterminismProfile(engine, engineVersion, djlVersion, nativeLibrary, os, arch, cpuCapability,
                intraOpThreads, interOpThreads, graphOptimizer, deterministicAlgorithms, newSeed, dtype);
    }

    /** A copy with another CPU capability. */
    public DeterminismProfile withCpuCapability(String capability) {
        return new DeterminismProfile(engine, engineVersion, djlVersion, nativeLibrary, os, arch, capability,
                intraOpThreads, interOpThreads, graphOptimizer, deterministicAlgorithms, seed, dtype);
    }

    /** A copy with other thread counts. */
    public DeterminismProfile withThreads(int intraOp, int interOp) {
        return new DeterminismProfile(engine, engineVersion, djlVersion, nativeLibrary, os, arch, cpuCapability,
                intraOp, interOp, graphOptimizer, deterministicAlgorithms, seed, dtype);
    }
}
