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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The seeded random projection behind {@link dev.opg.core.transcript.CommitmentMode#SKETCH}.
 *
 * <p>The seed is SHA-256 of {@code "OPG-SKETCH" u8 1, modelId[32], u32 n, inputDigest[32]*n}: it
 * depends only on the model and the input, fixed before any output exists, so a prover cannot pick
 * a projection that hides a wrong output. Each step output gets its own key,
 * SHA-256({@code seed[32] u64 stepIndex u32 outputIndex}), and its n x k matrix R of +1/-1: entry
 * j = row * k + col is -1 when bit (j mod 256) of SHA-256({@code key[32] u64 (j div 256)}) is set,
 * bits taken least significant first within each byte. The sketch is x R, x the output cast to
 * float32 and flattened row-major, computed by the engine (one matmul); its rounding depends on
 * the engine's summation order, so verifiers compare sketches with a tolerance
 * ({@link #withinTolerance}).
 */
public final class SketchProjector {
    /** The projection dimension used unless the caller chooses another. */
    public static final int DEFAULT_DIMENSION = 16;
    /** Largest n * k matrix this implementation builds (elements). */
    public static final long MAX_MATRIX_ELEMENTS = 1L << 28;

    private SketchProjector() {}

    /** The per-prediction seed. */
    public static Digest seed(Digest modelId, List<Digest> inputDigests) {
        LeafWriter w = new LeafWriter("OPG-SKETCH", 1).digest(modelId).u32(inputDigests.size());
        for (Digest d : inputDigests) {
            w.digest(d);
        }
        return Digest.of(sha256().digest(w.toByteArray()));
    }

    /** The key of output {@code outputIndex} of step {@code stepIndex}. */
    public static Digest stepKey(Digest seed, long stepIndex, int outputIndex) {
        byte[] b = new byte[32 + 8 + 4];
        for (int i = 0; i < 32; i++) {
            b[i] = seed.byteAt(i);
        }
        for (int i = 0; i < 8; i++) {
            b[32 + i] = (byte) (stepIndex >>> (8 * i));
        }
        for (int i = 0; i < 4; i++) {
            b[40 + i] = (byte) (outputIndex >>> (8 * i));
        }
        return Digest.of(sha256().digest(b));
    }

    /** The n x k matrix of +1/-1, row-major. */
    public static float[] matrix(Digest key, long n, int k) {
        long total = n * k;
        if (n < 0 || k < 1 || k > TranscriptLimits.MAX_SKETCH_DIMENSION || total > MAX_MATRIX_ELEMENTS) {
            throw new LimitExceededException("a sketch of " + n + " elements with k=" + k + " needs a matrix of "
                    + total + " entries; the cap is " + MAX_MATRIX_ELEMENTS);
        }
        float[] m = new float[(int) total];
        MessageDigest md = sha256();
        byte[] prefix = new byte[40];
        for (int i = 0; i < 32; i++) {
            prefix[i] = key.byteAt(i);
        }
        byte[] block = null;
        for (int j = 0; j < m.length; j++) {
            if ((j & 255) == 0) {
                long counter = j >>> 8;
                for (int i = 0; i < 8; i++) {
                    prefix[32 + i] = (byte) (counter >>> (8 * i));
                }
                block = md.digest(prefix);
            }
            int bit = j & 255;
            m[j] = ((block[bit >>> 3] >>> (bit & 7)) & 1) == 1 ? -1f : 1f;
        }
        return m;
    }

    /** The sketch of an engine array, projected by the engine. */
    public static Sketch sketch(NDArray output, Digest key, int k) {
        DType dtype = DType.fromDjl(output.getDataType());
        long n = output.getShape().size();
        float[] r = matrix(key, n, k);
        NDManager m = output.getManager();
        try (NDManager scope = m.newSubManager()) {
            NDArray x = output.toType(DataType.FLOAT32, false).reshape(1, n);
            x.tempAttach(scope);
            NDArray rm = scope.create(r, new Shape(n, k));
            NDArray y = x.matMul(rm);
            y.tempAttach(scope);
            float[] values = y.toFloatArray();
            return new Sketch(dtype, output.getShape().getShape(), values);
        }
    }

    /** The same projection computed in Java with float64 accumulation, for verifiers without an engine. */
    public static float[] project(float[] x, Digest key, int k) {
        float[] r = matrix(key, x.length, k);
        float[] out = new float[k];
        for (int c = 0; c < k; c++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += (double) x[i] * r[i * k + c];
            }
            out[c] = (float) s;
        }
        return out;
    }

    /**
     * Whether two sketches agree within {@code relTol} of the larger absolute value plus
     * {@code absTol}, value by value; NaN matches only NaN.
     */
    public static boolean withinTolerance(Sketch a, Sketch b, double relTol, double absTol) {
        if (a.dtype() != b.dtype() || !java.util.Arrays.equals(a.shape(), b.shape()) || a.dimension() != b.dimension()) {
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

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new OpgException("this JVM has no SHA-256", e);
        }
    }
}
