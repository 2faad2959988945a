package dev.opg.core.generate;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The per-token logit sketch of spec section 3.17: k values y_j = sum_i s_ji * logit_i, the signs
 * s_ji = +1 or -1 from SHA-256("OPG-LOGIT-SKETCH" u8 1 u32 j u32 block) (bit i mod 256 of block
 * i / 256, least significant bit of each byte first; a set bit is -1), summed in binary64 in
 * ascending i (logits equal to -Infinity, masked tokens, left out), rounded to float32 and then to float16 (round to nearest even both times). Two
 * bytes a value: a token's compact commitment is 2k bytes.
 */
public final class LogitSketch {
    private static final byte[] TAG = "OPG-LOGIT-SKETCH".getBytes(StandardCharsets.US_ASCII);
    /** The most values a sketch may have. */
    public static final int MAX_DIMENSION = 64;
    /** The default: 3 values, 6 bytes a token (with the 32-byte root, at most 8 bytes a token from 16 tokens on). */
    public static final int DEFAULT_DIMENSION = 3;

    private LogitSketch() {}

    /** The k values in binary64, before rounding (for the tolerant comparison). */
    public static double[] project(float[] logits, int k) {
        double[] y = new double[k];
        for (int j = 0; j < k; j++) {
            // each term is the logit times +1.0 or -1.0 (exact: the same as negating it) instead of a
            // branch on a random sign, which mispredicted half the time; summed in ascending i
            double[] m = multipliers(j, logits.length);
            double acc = 0;
            for (int i = 0; i < logits.length; i++) {
                float v = logits[i];
                if (v == Float.NEGATIVE_INFINITY) {
                    continue; // a masked token is left out
                }
                acc += v * m[i];
            }
            y[j] = acc;
        }
        return y;
    }

    private static final java.util.concurrent.ConcurrentHashMap<Long, double[]> MULTIPLIERS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The signs of value {@code j} for logits 0..n-1 as factors (-1.0 where bit i of
     * {@link #signBlock} is set, else +1.0), expanded once per (j, n) and kept: the sketch is drawn
     * for every generated token over the same vocabulary, and reading the bits again for each was a
     * fixed cost per token.
     */
    static double[] multipliers(int j, int n) {
        long key = ((long) j << 32) | n;
        double[] m = MULTIPLIERS.get(key);
        if (m == null) {
            m = new double[n];
            byte[] block = null;
            for (int i = 0; i < n; i++) {
                if (i % 256 == 0) {
                    block = signBlock(j, i / 256);
                }
                m[i] = ((block[(i % 256) / 8] >> (i % 8)) & 1) == 1 ? -1.0 : 1.0;
            }
            if (MULTIPLIERS.size() < 256) {
                MULTIPLIERS.put(key, m);
            }
        }
        return m;
    }

    /** The committed form: each value rounded to float32, then to float16, as raw bits. */
    public static short[] sketch(float[] logits, int k) {
        double[] y = project(logits, k);
        short[] out = new short[k];
        for (int j = 0; j < k; j++) {
            out[j] = Float.floatToFloat16((float) y[j]);
        }
        return out;
    }

    private static final java.util.concurrent.ConcurrentHashMap<Long, byte[]> SIGNS = new java.util.concurrent.ConcurrentHashMap<>();

    /** 32 bytes of signs for value {@code j}, logits {@code 256 block .. 256 block + 255} (computed once). */
    static byte[] signBlock(int j, int block) {
        if (SIGNS.size() < 1 << 16) {
            return SIGNS.computeIfAbsent(((long) j << 32) | block, k -> computeSigns(j, block));
        }
        return computeSigns(j, block);
    }

    private static byte[] computeSigns(int j, int block) {
        MessageDigest md = Sampler.sha256();
        md.update(TAG);
        md.update((byte) 1);
        md.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(j).putInt(block).array());
        return md.digest();
    }

    /**
     * Whether the committed float16 value {@code committed} is within tolerance of a verifier's own
     * projection {@code y}: |c - y| &lt;= abs + rel |y| + the float16 spacing at |y| (the rounding of
     * the committed form). A NaN or infinite committed value never matches a finite y.
     */
    public static boolean within(short committed, double y, double abs, double rel) {
        double c = Float.float16ToFloat(committed);
        if (Double.isNaN(c) || Double.isInfinite(c) || Double.isInfinite(y)) {
            return c == y;
        }
        return Math.abs(c - y) <= abs + rel * Math.abs(y) + spacing16(y);
    }

    /** The float16 spacing at |y| (2^-24 for subnormals, 32 above 32768). */
    static double spacing16(double y) {
        double a = Math.abs(y);
        if (a < 0x1.0p-14) {
            return 0x1.0p-24;
        }
        int e = Math.getExponent(a);
        return Math.scalb(1.0, e - 10);
    }
}
