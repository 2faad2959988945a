package dev.opg.chain;

import java.time.Duration;
import java.util.Objects;

/**
 * How transient RPC failures are retried: up to {@code maxAttempts} tries, waiting
 * {@code initialBackoff}, then twice as long each time, never more than {@code maxBackoff}.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1; got " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoffs must satisfy 0 <= initial <= max; got "
                    + initialBackoff + " and " + maxBackoff);
        }
    }

    /** 8 attempts from 100 ms up to 2 s: about 8 s before giving up. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(8, Duration.ofMillis(100), Duration.ofSeconds(2));
    }

    /** One attempt, no retry. */
    public static RetryPolicy none() {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO);
    }

    /** The wait before attempt {@code attempt + 1}, where {@code attempt} counts from 1. */
    public Duration backoff(int attempt) {
        long ms = initialBackoff.toMillis();
        for (int i = 1; i < attempt && ms < maxBackoff.toMillis(); i++) {
            ms *= 2;
        }
        return Duration.ofMillis(Math.min(ms, maxBackoff.toMillis()));
    }
}
