package dev.opg.core.sketch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.OpgException;
import dev.opg.core.tensor.DType;
import dev.opg.core.transcript.LeafWriter;
import dev.opg.core.transcript.Sketch;
import dev.opg.core.transcript.TranscriptLimits;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The seeded random projection behind {@link dev.opg.core.transcript.CommitmentMode#SKETCH}
 * (spec section 3.6).
 *
 * <p>The seed is SHA-256 of {@code "OPG-SKETCH" u8 2, modelId[32]}: fixed before any output
 * exists, the same for every input. Each step output gets its own key,
 * SHA-256({@code seed[32] u64 stepIndex u32 outputIndex u64 n}), and its n x k matrix R of +1/-1:
 * entry j = row * k + col is -1 when bit (j mod 256) of SHA-256({@code key[32] u64 (j div 256)})
 * is set, bits taken least significant first within each byte. The sketch is x R, x the output
 * cast to float32 and flattened row-major.
 *
 * <p>Because R depends only on the model, the step, the output and n, an instance (one per
 * wrapped model) builds each R once and keeps it: as an engine array on a manager of the output's
 * own engine for PyTorch (one engine matmul per output), as a Java array for every other engine
 * and for small outputs (a Java loop over the output's bytes, float64 accumulation, the same
 * numbers as {@link #project}). Rounding differs between the two, so verifiers compare sketches
 * with a tolerance ({@link #withinTolerance}). At most {@link #MAX_CACHED_ELEMENTS} matrix entries
 * are kept per instance; beyond that R is rebuilt per prediction (slow, still correct).
 *
 * <p>Security: R is known to anyone who knows the model, so SKETCH mode does not bind a prover
 * that computes adversarially (it can pick an error in R's null space); it commits honest runs
 * for comparison across hardware. FULL mode is the mode for adversarial provers.
 */
public final class SketchProjector implements AutoCloseable {
    /** The projection dimension used unless the caller chooses another. */
    public static final int DEFAULT_DIMENSION = 16;
    /** Largest n * k matrix this implementation builds (elements). */
    public static final long MAX_MATRIX_ELEMENTS = 1L << 28;
    /** Most matrix entries one instance keeps between predictions (engine and Java arrays together). */
    public static final long MAX_CACHED_ELEMENTS = 1L << 26;
    /** The version byte of the {@code OPG-SKETCH} seed encoding (1 was the per-input seed). */
    public static final int SEED_VERSION = 2;
    /** Below this many matrix entries a PyTorch output is projected in Java (fewer native calls). */
    static final long ENGINE_MIN_ELEMENTS = 1L << 14;

    private final Digest modelId;
    private final Digest seed;
    private final Map<Key, Object> cache = new ConcurrentHashMap<>();
    private final AtomicLong cachedElements = new AtomicLong();
    private final Map<String, NDManager> managers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private record Key(long step, int output, long n, int k, boolean engine) {}

    /** A projector for the model {@code modelId}; close it to free the engine arrays it keeps. */
    public SketchProjector(Digest modelId) {
        this.modelId = modelId;
        this.seed = seed(modelId);
    }

    public Digest modelId() {
        return modelId;
    }

    /** This model's seed, {@link #seed(Digest)}. */
    public Digest seed() {
        return seed;
    }

    /** The seed of a model's sketches. */
    public static Digest seed(Digest modelId) {
        return Digest.of(sha256().digest(new LeafWriter("OPG-SKETCH", SEED_VERSION).digest(modelId).toByteArray()));
    }

    /** The key of output {@code outputIndex} of step {@code stepIndex}, an output of {@code n} elements. */
    public static Digest stepKey(Digest seed, long stepIndex, int outputIndex, long n) {
        ByteBuffer b = ByteBuffer.allocate(32 + 8 + 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 32; i++) {
            b.put(seed.byteAt(i));
        }
        b.putLong(stepIndex).putInt(outputIndex).putLong(n);
        return Digest.of(sha256().digest(b.array()));
    }

    /** The n x k matrix of +1/-1, row-major. */
    public static float[] matrix(Digest key, long n, int k) {
        checkSize(n, k);
        float[] m = new float[(int) (n * k)];
        MessageDigest md = sha256();
        byte[] prefix = new byte[40];
        for (int i = 0; i < 32; i++) {
            prefix[i] = key.byteAt(i);
        }
        byte[] block = new byte[32];
        for (int j = 0; j < m.length; j += 256) {
            long counter = j >>> 8;
            for (int i = 0; i < 8; i++) {
                prefix[32 + i] = (byte) (counter >>> (8 * i));
            }
            md.update(prefix);
            try {
                md.digest(block, 0, 32);
            } catch (java.security.DigestException e) {
                throw new OpgException("SHA-256 failed", e);
            }
            int end = Math.min(256, m.length - j);
            for (int bit = 0; bit < end; bit++) {
                m[j + bit] = ((block[bit >>> 3] >>> (bit & 7)) & 1) == 1 ? -1f : 1f;
            }
        }
        return m;
    }

    private static void checkSize(long n, int k) {
        if (n < 0 || k < 1 || k > TranscriptLimits.MAX_SKETCH_DIMENSION || n > MAX_MATRIX_ELEMENTS / k) {
            throw new LimitExceededException("a sketch of " + n + " elements with k=" + k + " needs a matrix of "
                    + n + " x " + k + " entries; the cap is " + MAX_MATRIX_ELEMENTS);
        }
    }

    /**
     * The sketch of output {@code outputIndex} of step {@code stepIndex}, an engine array. Reads the
     * array; allocates nothing in its manager that outlives this call.
     */
    public Sketch sketch(NDArray output, long stepIndex, int outputIndex, int k) {
        if (closed) {
            throw new OpgException("this sketch projector is closed");
        }
        DType dtype = DType.fromDjl(output.getDataType());
        long[] shape = output.getShape().getShape();
        long n = output.getShape().size();
        checkSize(n, k);
        boolean engine = "PyTorch".equals(output.getManager().getEngine().getEngineName()) && n * k >= ENGINE_MIN_ELEMENTS;
        Key key = new Key(stepIndex, outputIndex, n, k, engine);
        Object r = cache.get(key);
        if (r == null) {
            r = build(key, output);
        }
        float[] values;
        if (engine) {
            try (NDManager scope = output.getManager().newSubManager()) {
                // an R over the cache budget is copied in per call: the path, and so the rounding,
                // depends only on the engine, n and k, never on what happens to be cached
                NDArray rm = r instanceof NDArray a ? a : scope.create((float[]) r, new Shape(n, k));
                NDArray x = output.toType(DataType.FLOAT32, false).reshape(1, n);
                x.tempAttach(scope);
                NDArray y = x.matMul(rm);
                y.tempAttach(scope);
                values = y.toFloatArray();
            }
        } else {
            values = multiply(floats(output), (float[]) r, k);
        }
        return new Sketch(dtype, shape, values);
    }

    /** Builds R for {@code key}, keeps it when the budget allows, and returns it (NDArray or float[]). */
    private synchronized Object build(Key key, NDArray like) {
        Object prior = cache.get(key);
        if (prior != null) {
            return prior;
        }
        float[] r = matrix(stepKey(seed, key.step(), key.output(), key.n()), key.n(), key.k());
        long size = key.n() * key.k();
        if (closed || cachedElements.get() + size > MAX_CACHED_ELEMENTS) {
            return r;
        }
        Object value = r;
        if (key.engine()) {
            String name = like.getManager().getEngine().getEngineName() + "/" + like.getDevice();
            NDManager m = managers.computeIfAbsent(name, x -> like.getManager().getEngine().newBaseManager(like.getDevice()));
            value = m.create(r, new Shape(key.n(), key.k()));
        }
        cachedElements.addAndGet(size);
        cache.put(key, value);
        return value;
    }

    /** x R in float64, x of n elements and R n x k row-major; the same numbers as {@link #project}. */
    private static float[] multiply(float[] x, float[] r, int k) {
        double[] acc = new double[k];
        int base = 0;
        for (float xi : x) {
            double v = xi;
            for (int c = 0; c < k; c++) {
                acc[c] += v * r[base + c];
            }
            base += k;
        }
        float[] out = new float[k];
        for (int c = 0; c < k; c++) {
            out[c] = (float) acc[c];
        }
        return out;
    }

    /** The same projection computed in Java with float64 accumulation, for verifiers without an engine. */
    public static float[] project(float[] x, Digest key, int k) {
        return multiply(x, matrix(key, x.length, k), k);
    }

    /** The projection of output {@code outputIndex} of step {@code stepIndex} of model {@code modelId}, in Java. */
    public static float[] project(float[] x, Digest modelId, long stepIndex, int outputIndex, int k) {
        return project(x, stepKey(seed(modelId), stepIndex, outputIndex, x.length), k);
    }

    /**
     * The elements of an engine array cast to float32, row-major, read in Java (so it works for
     * every engine and dtype): integers and booleans rounded to nearest, float16/bfloat16 widened.
     */
    public static float[] floats(NDArray a) {
        DType t = DType.fromDjl(a.getDataType());
        if (t == DType.FLOAT32) {
            return a.toFloatArray();
        }
        ByteBuffer b = a.toByteBuffer().order(ByteOrder.nativeOrder());
        int n = Math.toIntExact(a.getShape().size());
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (t) {
                case FLOAT64 -> (float) b.getDouble(i * 8);
                case FLOAT16 -> Float.float16ToFloat(b.getShort(i * 2));
                case BFLOAT16 -> Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
                case INT8 -> b.get(i);
                case UINT8 -> b.get(i) & 0xff;
                case INT32 -> (float) b.getInt(i * 4);
                case INT64 -> (float) b.getLong(i * 8);
                case BOOLEAN -> b.get(i) != 0 ? 1f : 0f;
                case FLOAT32 -> b.getFloat(i * 4);
            };
        }
        return out;
    }

    /**
     * Whether two sketches agree within {@code relTol} of the larger absolute value plus
     * {@code absTol}, value by value; NaN matches only NaN.
     */
    public static boolean withinTolerance(Sketch a, Sketch b, double relTol, double absTol) {
        if (a.dtype() != b.dtype() || !Arrays.equals(a.shape(), b.shape()) || a.dimension() != b.dimension()) {
            return false;
        }
        for (int i = 0; i < a.dimension(); i++) {
            float x = a.value(i);
            float y = b.value(i);
            if (Float.isNaN(x) || Float.isNaN(y)) {
                if (Float.isNaN(x) != Float.isNaN(y)) {
                    return false;
                }
                continue;
            }
            if (Math.abs((double) x - y) > absTol + relTol * Math.max(Math.abs(x), Math.abs(y))) {
                return false;
            }
        }
        return true;
    }

    /** Frees the engine arrays this projector keeps; later {@link #sketch} calls fail. */
    @Override
    public synchronized void close() {
        closed = true;
        for (NDManager m : managers.values()) {
            m.close();
        }
        managers.clear();
        cache.clear();
        cachedElements.set(0);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new OpgException("this JVM has no SHA-256", e);
        }
    }
}
