package dev.opg.core.generate;

import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.Granularity;
import java.util.List;

/**
 * What to generate: the prompt, the sampling parameters, how finely each forward pass is committed
 * ({@code granularity}, {@code cuts}: null for the model's default partition) and the logit sketch
 * size per token ({@link LogitSketch#DEFAULT_DIMENSION} by default).
 */
public record GenerationRequest(String prompt, SamplingParams sampling, Granularity granularity, List<String> cuts, int sketchDimension) {
    public GenerationRequest {
        if (prompt == null || sampling == null || granularity == null) {
            throw new MalformedInputException("a generation request needs a prompt, sampling parameters and a granularity");
        }
        if (cuts != null && granularity != Granularity.BLOCK) {
            throw new MalformedInputException("only block granularity takes cuts; " + granularity.specName() + " got " + cuts);
        }
        cuts = cuts == null ? null : List.copyOf(cuts);
    }

    /** Block granularity with the default partition and sketch size. */
    public static GenerationRequest of(String prompt, SamplingParams sampling) {
        return new GenerationRequest(prompt, sampling, Granularity.BLOCK, null, LogitSketch.DEFAULT_DIMENSION);
    }

    public GenerationRequest at(Granularity g) {
        return new GenerationRequest(prompt, sampling, g, null, sketchDimension);
    }
}
