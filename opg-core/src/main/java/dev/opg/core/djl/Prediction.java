package dev.opg.core.djl;

import dev.opg.core.transcript.Transcript;
import dev.opg.core.witness.Witness;
import java.util.Optional;

/**
 * A model output together with the transcript of the execution that produced it, and the witness
 * when the recording options asked for one.
 */
public record Prediction<O>(O output, Transcript transcript, Optional<Witness> witness) {}
