package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Digest;
import dev.opg.core.tensor.DType;
import dev.opg.core.witness.WitnessTensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TensorSourceTest {
    @Test
    void aTensorThatCannotBeHashedIsACorruptFetchNotAnException() {
        WitnessTensor good = new WitnessTensor(DType.BOOLEAN, new long[] {2}, new byte[] {0, 1});
        Digest d = good.digest();
        assertFalse(TensorSource.fetch(TensorSource.of(Map.of(d, good)), d).corrupt());
        // one bit flipped in a boolean element: 1 -> 3 is no boolean, so the tensor has no digest at all
        WitnessTensor bad = new WitnessTensor(DType.BOOLEAN, new long[] {2}, new byte[] {0, 3});
        TensorSource.Fetched f = TensorSource.fetch(TensorSource.of(Map.of(d, bad)), d);
        assertTrue(f.corrupt());
        assertTrue(f.problem().contains("not a well-formed tensor"), f.problem());
    }
}
