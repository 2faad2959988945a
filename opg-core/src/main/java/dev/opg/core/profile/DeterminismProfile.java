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
