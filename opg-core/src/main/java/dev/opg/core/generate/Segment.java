package dev.opg.core.generate;

import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.Step;
import java.util.List;

/**
 * One generated token's part of a generation transcript: the steps of its forward pass at the
 * header's granularity (OPG-STEP leaves, numbered from 0 within the segment; caches committed by
 * their KV digest), then its {@link TokenRecord}.
 */
public record Segment(List<Step> steps, TokenRecord record) {
    public Segment {
        if (steps == null || record == null) {
            throw new MalformedInputException("a segment needs its steps and its token record");
        }
        steps = List.copyOf(steps);
        if (record.stepCount() != steps.size()) {
            throw new MalformedInputException("token " + record.index() + " says its segment has " + record.stepCount()
                    + " steps; it holds " + steps.size());
        }
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            if (s.index() != i) {
                throw new MalformedInputException("step " + i + " of token " + record.index() + " has index " + s.index()
                        + "; steps are numbered 0..n-1 within a segment");
            }
            if (!s.sketches().isEmpty()) {
                throw new MalformedInputException("step " + i + " of token " + record.index() + " carries sketches; generation "
                        + "steps commit digests");
            }
        }
    }

    /** Leaves: the steps, then the token record. */
    public int leafCount() {
        return steps.size() + 1;
    }
}
