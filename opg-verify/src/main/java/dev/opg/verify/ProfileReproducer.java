package dev.opg.verify;

import dev.opg.core.transcript.Transcript;

/**
 * Re-executes a transcript's model and input under the transcript's own determinism profile, in a
 * process that can apply it (typically a child JVM started with the profile's environment, e.g.
 * {@code ATEN_CPU_CAPABILITY}). The {@link Verifier} uses one,
 * when it is given one, whenever its own process cannot reproduce the recorded profile.
 */
@FunctionalInterface
public interface ProfileReproducer {
    /**
     * The transcript of re-running {@code claimed}'s model and input under {@code claimed.profile()}.
     *
     * @throws dev.opg.core.OpgException if the re-execution could not be done as asked (the
     *     verifier then reports INCONCLUSIVE, never VALID)
     */
    Transcript reproduce(Transcript claimed);
}
