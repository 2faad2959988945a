package dev.opg.core.transcript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A step is checked as it is made, and each message names the step and the list at fault. */
class StepValidationTest {
    private static final Digest D = Digest.of(new byte[32]);

    @Test
    void validStepKeepsWhatItWasGiven() {
        List<Digest> in = new ArrayList<>(List.of(D));
        Step s = Step.full(3, "layer/é", in, List.of(D, D));
        in.clear(); // the step holds its own copy
        assertEquals(List.of(D), s.inputs());
        assertEquals(2, s.outputs().size());
        assertEquals("layer/é", s.name());
    }

    @Test
    void nullEntryIsNamed() {
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> Step.full(3, "x", Arrays.asList(D, null), List.of()));
        assertEquals("step 3 inputs holds a null entry", e.getMessage());
        e = assertThrows(MalformedInputException.class, () -> Step.full(4, "x", List.of(), null));
        assertEquals("step 4 outputs is missing (null)", e.getMessage());
    }

    @Test
    void tooManyEntriesAreRefused() {
        LimitExceededException e = assertThrows(LimitExceededException.class,
                () -> Step.full(5, "x", Collections.nCopies(TranscriptLimits.MAX_TENSORS + 1, D), List.of()));
        assertEquals("step 5 inputs has " + (TranscriptLimits.MAX_TENSORS + 1) + " entries; the cap is " + TranscriptLimits.MAX_TENSORS,
                e.getMessage());
    }

    @Test
    void badNamesAreRefused() {
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> Step.full(6, "a\uD800b", List.of(), List.of()));
        assertEquals("step 6 name is not valid Unicode (it holds a lone surrogate)", e.getMessage());
        assertThrows(MalformedInputException.class, () -> Step.full(6, null, List.of(), List.of()));
        LimitExceededException l = assertThrows(LimitExceededException.class,
                () -> Step.full(7, "é".repeat(TranscriptLimits.MAX_NAME_BYTES / 2 + 1), List.of(), List.of()));
        assertEquals("step 7 name has " + (TranscriptLimits.MAX_NAME_BYTES + 2) + " UTF-8 bytes; the cap is " + TranscriptLimits.MAX_NAME_BYTES,
                l.getMessage());
        assertThrows(LimitExceededException.class, () -> Step.full(7, "a".repeat(TranscriptLimits.MAX_NAME_BYTES + 1), List.of(), List.of()));
    }
}
