package dev.opg.spark;

import dev.opg.core.MalformedInputException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * Which rows a verification job re-executes: each row independently, with probability
 * {@code fraction}, decided by {@code SHA-256("opg-spark-sample" || seed (8 bytes, big-endian) ||
 * key bytes)}: its first 8 bytes as an unsigned integer below {@code fraction * 2^64}. The choice
 * depends only on the seed and the key, not on partitioning, so anyone with the seed repeats it;
 * a prover who knows the seed in advance can choose which rows to falsify, so the default seed is
 * fresh and random (print it to repeat the check).
 *
 * <p>Stated confidence: if at least {@code b} rows are false, at least one of them is checked with
 * probability {@code 1 - (1 - fraction)^b}.
 *
 * @param fraction the probability each row is checked, in (0, 1]
 * @param seed the seed
 */
public record Sample(double fraction, long seed) implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final byte[] TAG = "opg-spark-sample".getBytes(StandardCharsets.US_ASCII);

    public Sample {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new MalformedInputException("a sample fraction must be in (0, 1]; got " + fraction);
        }
    }

    /** Every row. */
    public static Sample all() {
        return new Sample(1.0, 0);
    }

    /** Each row with probability {@code fraction}, under a fresh random seed. */
    public static Sample fraction(double fraction) {
        return new Sample(fraction, new SecureRandom().nextLong());
    }

    /**
     * The smallest fraction that catches at least one false row with probability
     * {@code confidence} whenever at least {@code falseRows} rows are false (fresh random seed).
     */
    public static Sample forConfidence(double confidence, long falseRows) {
        if (!(confidence > 0 && confidence < 1) || falseRows < 1) {
            throw new MalformedInputException("confidence must be in (0, 1) and falseRows >= 1; got " + confidence + " and " + falseRows);
        }
        double p = 1 - Math.pow(1 - confidence, 1.0 / falseRows);
        return new Sample(Math.min(1.0, p), new SecureRandom().nextLong());
    }

    /** Whether the row with key bytes {@code key} is checked. */
    public boolean includes(byte[] key) {
        if (fraction >= 1) {
            return true;
        }
        MessageDigest sha = PartitionFile.sha256();
        sha.update(TAG);
        sha.update(ByteBuffer.allocate(8).putLong(seed).array());
        sha.update(key);
        long u = ByteBuffer.wrap(sha.digest()).getLong();
        // u / 2^64 < fraction, in unsigned arithmetic
        double x = (u >>> 11) * 0x1.0p-53;
        return x < fraction;
    }

    /** The probability that at least one of {@code falseRows} false rows is checked. */
    public double detection(long falseRows) {
        return 1 - Math.pow(1 - fraction, falseRows);
    }

    /** The fewest false rows caught with probability at least 95%. */
    public long falseRowsFor95() {
        return fraction >= 1 ? 1 : (long) Math.ceil(Math.log(0.05) / Math.log(1 - fraction));
    }

    /** One line saying what the sample proves. */
    public String statement() {
        if (fraction >= 1) {
            return "every row re-executed";
        }
        return String.format("each row re-executed with probability %.4g (seed %d): if %d or more rows were false, at least one is "
                + "caught with probability >= 95%%", fraction, seed, falseRowsFor95());
    }
}
