package dev.opg.core.generate;

import dev.opg.core.OpgException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The sampler of spec section 3.17, byte for byte: every operation is an IEEE 754 binary64
 * addition, subtraction, multiplication, division, floor or exact power-of-two scaling, so another
 * implementation (spec/sampling.py, Python's floats) reproduces every choice. No library
 * {@code exp}: {@link #exp} is the spec's own polynomial.
 */
public final class Sampler {
    private static final byte[] TAG = "OPG-SAMPLE".getBytes(StandardCharsets.US_ASCII);
    static final double INV_LN2 = 0x1.71547652b82fep0;
    static final double LN2_HI = 0x1.62e42fee00000p-1;
    static final double LN2_LO = 0x1.a39ef35793c76p-33;
    /** 1/n! for n = 0..13, each the binary64 nearest to it (one correctly rounded division). */
    private static final double[] INV_FACT = new double[14];

    static {
        double f = 1;
        for (int n = 0; n < INV_FACT.length; n++) {
            if (n > 0) {
                f *= n; // exact: 13! < 2^53
            }
            INV_FACT[n] = 1.0 / f;
        }
    }

    private Sampler() {}

    /** What the sampler chose and why (the random number, the candidates kept), for reports and vectors. */
    public record Choice(int token, double uniform, int kept) {}

    /**
     * The random number in [0, 1) for {@code seed} and {@code position}: the first 8 bytes of
     * SHA-256("OPG-SAMPLE" u8 1 u64le seed u64le position), read as a little-endian u64, shifted
     * right by 11 and multiplied by 2^-53.
     */
    public static double uniform(long seed, long position) {
        return (random64(seed, position) >>> 11) * 0x1.0p-53;
    }

    /** The 64 random bits behind {@link #uniform}. */
    public static long random64(long seed, long position) {
        MessageDigest md = sha256();
        md.update(TAG);
        md.update((byte) 1);
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(seed).putLong(position);
        md.update(b.array());
        return ByteBuffer.wrap(md.digest()).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /**
     * e^x for x &lt;= 0 (the spec's rule): 0 below -745 (and for -infinity); else k = floor(x / ln 2 +
     * 1/2) (as x * INV_LN2 + 0.5), 0 when k &lt; -1021; r = (x - k LN2_HI) - k LN2_LO; the degree-13
     * Taylor polynomial of e^r by Horner from 1/13! down to 1/0!; times 2^k (exact).
     */
    public static double exp(double x) {
        if (Double.isNaN(x) || x > 0) {
            throw new IllegalArgumentException("the sampler's exp takes x <= 0; got " + x);
        }
        if (x < -745.0) {
            return 0.0;
        }
        double k = Math.floor(x * INV_LN2 + 0.5);
        if (k < -1021) {
            return 0.0;
        }
        double r = (x - k * LN2_HI) - k * LN2_LO;
        double p = INV_FACT[13];
        for (int n = 12; n >= 0; n--) {
            p = p * r + INV_FACT[n];
        }
        return Math.scalb(p, (int) k);
    }

    /**
     * Chooses the next token from {@code logits} (one row of float32 logits) for the token at
     * absolute sequence {@code position}.
     *
     * @throws GenerationException if a logit is NaN or +infinity, or none is finite
     */
    public static Choice choose(float[] logits, SamplingParams p, long position) {
        check(logits, position);
        if (p.isGreedy()) {
            return new Choice(argmax(logits), 0, 1);
        }
        int kept = p.topK() == 0 ? logits.length : Math.min(p.topK(), logits.length);
        int[] order = order(logits, kept); // only the first `kept` are read below
        double m = logits[order[0]];
        double t = p.temperature();
        double[] w = new double[kept];
        for (int j = 0; j < kept; j++) {
            w[j] = exp(((double) logits[order[j]] - m) / t);
        }
        if (p.topP() < 1f) {
            double total = 0;
            for (int j = 0; j < kept; j++) {
                total += w[j];
            }
            double threshold = (double) p.topP() * total;
            double cum = 0;
            int j = 0;
            while (j < kept) {
                cum += w[j];
                j++;
                if (cum >= threshold) {
                    break;
                }
            }
            kept = j;
        }
        double s = 0;
        for (int j = 0; j < kept; j++) {
            s += w[j];
        }
        double u = uniform(p.seed(), position);
        double target = u * s;
        double c = 0;
        for (int j = 0; j < kept; j++) {
            c += w[j];
            if (target < c) {
                return new Choice(order[j], u, kept);
            }
        }
        return new Choice(order[kept - 1], u, kept);
    }

    /** The lowest index of the largest logit. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Token ids by logit, largest first, equal logits by ascending id ({@code -0.0 == 0.0}). */
    static int[] order(float[] logits) {
        return order(logits, logits.length);
    }

    /**
     * The first {@code limit} entries of {@link #order(float[])} (at least those; all of them where
     * {@code limit} is not small), the same ids in the same order: the keys are distinct (each
     * holds its id), so the {@code limit} smallest keys, sorted, are exactly the prefix a full sort
     * gives, without sorting the whole vocabulary for every token (top-k sampling reads k entries).
     */
    static int[] order(float[] logits, int limit) {
        long[] keys = keys(logits);
        int n = keys.length;
        long[] first;
        if (limit < n / 4) {
            first = smallest(keys, limit);
        } else {
            Arrays.sort(keys);
            first = keys;
            limit = n;
        }
        int[] order = new int[limit];
        for (int i = 0; i < limit; i++) {
            order[i] = (int) (first[i] & 0xffffffffL);
        }
        return order;
    }

    /**
     * The {@code k} smallest of {@code keys} ({@code 1 <= k <= keys.length}), ascending: a max-heap
     * of the k smallest so far, which most keys leave after one comparison with its top.
     */
    private static long[] smallest(long[] keys, int k) {
        long[] heap = Arrays.copyOf(keys, k);
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(heap, i, k);
        }
        for (int i = k; i < keys.length; i++) {
            if (keys[i] < heap[0]) {
                heap[0] = keys[i];
                siftDown(heap, 0, k);
            }
        }
        Arrays.sort(heap);
        return heap;
    }

    private static void siftDown(long[] h, int i, int n) {
        long x = h[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) {
                break;
            }
            if (c + 1 < n && h[c + 1] > h[c]) {
                c++;
            }
            if (h[c] <= x) {
                break;
            }
            h[i] = h[c];
            i = c;
        }
        h[i] = x;
    }

    private static long[] keys(float[] logits) {
        // one primitive sort: the high half orders logits from largest down, the low half ids up
        long[] keys = new long[logits.length];
        for (int i = 0; i < keys.length; i++) {
            // + 0.0f turns -0.0 into 0.0 (so they sort as equal) and leaves every other non-NaN value as it is
            int bits = Float.floatToRawIntBits(logits[i] + 0.0f);
            // unsigned order = numeric order: negative values have every bit flipped, others the sign bit set (no branch)
            int ascending = bits ^ ((bits >> 31) | 0x80000000);
            long descending = ~ascending & 0xffffffffL;
            // flipping the sign bit makes the signed order of the keys their unsigned order
            keys[i] = ((descending << 32) | i) ^ Long.MIN_VALUE;
        }
        return keys;
    }

    static void check(float[] logits, long position) {
        if (logits.length == 0) {
            throw new GenerationException("the model returned no logits for position " + position);
        }
        boolean finite = false;
        for (int i = 0; i < logits.length; i++) {
            float v = logits[i];
            if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
                throw new GenerationException("the logit of token " + i + " at position " + position + " is " + v
                        + "; the sampler takes finite logits or -Infinity (a masked token)");
            }
            finite |= v != Float.NEGATIVE_INFINITY;
        }
        if (!finite) {
            throw new GenerationException("every logit at position " + position + " is -Infinity; no token can be chosen");
        }
    }

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new OpgException("SHA-256 is not available in this JVM", e);
        }
    });

    /** This thread's SHA-256, reset. */
    static MessageDigest sha256() {
        MessageDigest md = SHA256.get();
        md.reset();
        return md;
    }
}
