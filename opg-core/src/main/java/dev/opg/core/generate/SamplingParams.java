package dev.opg.core.generate;

import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import java.util.List;

/**
 * How tokens are chosen, committed in the generation header (spec section 3.17): temperature 0 is
 * greedy (argmax, ties to the lowest token id); otherwise the logits are divided by the
 * temperature, cut to the {@code topK} most likely tokens (0: no cut) and then to the smallest
 * prefix whose probability reaches {@code topP} (1: no cut), and one token is drawn with the
 * counter-based random number of {@link Sampler#uniform(long, long)} for the seed and the token's
 * position. Generation stops after {@code maxNewTokens} tokens or at the first token of
 * {@code stopTokens}.
 *
 * @param temperature 0 (greedy) or a finite positive float32
 * @param topK 0 (off) or the number of tokens kept
 * @param topP in (0, 1]; 1 is off
 * @param seed 0..2^63-1, with the position the only source of randomness
 * @param maxNewTokens 1..{@link #MAX_NEW_TOKENS}
 * @param stopTokens token ids that end the generation (the stop token is committed as the last token)
 */
public record SamplingParams(float temperature, int topK, float topP, long seed, int maxNewTokens, List<Integer> stopTokens) {
    /** The cap on generated tokens per transcript. */
    public static final int MAX_NEW_TOKENS = 65_536;
    /** The cap on stop tokens. */
    public static final int MAX_STOP_TOKENS = 1_024;

    public SamplingParams {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new MalformedInputException("temperature must be 0 (greedy) or a finite positive number; got " + temperature);
        }
        if (Float.floatToRawIntBits(temperature) == Float.floatToRawIntBits(-0f)) {
            temperature = 0f;
        }
        if (topK < 0) {
            throw new MalformedInputException("top-k must be 0 (off) or positive; got " + topK);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new MalformedInputException("top-p must be in (0, 1] (1 is off); got " + topP);
        }
        if (seed < 0) {
            throw new MalformedInputException("the seed must be in 0..2^63-1; got " + seed);
        }
        if (maxNewTokens < 1 || maxNewTokens > MAX_NEW_TOKENS) {
            throw new LimitExceededException("max new tokens " + maxNewTokens + " is outside 1.." + MAX_NEW_TOKENS);
        }
        if (stopTokens == null) {
            throw new MalformedInputException("stop tokens are missing (null); pass an empty list for none");
        }
        if (stopTokens.size() > MAX_STOP_TOKENS) {
            throw new LimitExceededException(stopTokens.size() + " stop tokens; the cap is " + MAX_STOP_TOKENS);
        }
        for (Integer t : stopTokens) {
            if (t == null || t < 0) {
                throw new MalformedInputException("stop token " + t + " is not a token id (0..2^31-1)");
            }
        }
        if (stopTokens.stream().distinct().count() != stopTokens.size()) {
            throw new MalformedInputException("stop tokens " + stopTokens + " name a token twice");
        }
        stopTokens = List.copyOf(stopTokens);
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens, stopping at {@code stopTokens}. */
    public static SamplingParams greedy(int maxNewTokens, List<Integer> stopTokens) {
        return new SamplingParams(0f, 0, 1f, 0, maxNewTokens, stopTokens);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    /** The same parameters with another seed. */
    public SamplingParams withSeed(long s) {
        return new SamplingParams(temperature, topK, topP, s, maxNewTokens, stopTokens);
    }

    /** The same parameters with another limit on new tokens. */
    public SamplingParams withMaxNewTokens(int n) {
        return new SamplingParams(temperature, topK, topP, seed, n, stopTokens);
    }

    /** The same parameters with other stop tokens. */
    public SamplingParams withStopTokens(List<Integer> s) {
        return new SamplingParams(temperature, topK, topP, seed, maxNewTokens, s);
    }
}
