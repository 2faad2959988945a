package dev.opg.core.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Values are kept per array by identity, the same before and after the table turns into a map. */
class SeenArraysTest {
    @Test
    void keepsAValuePerArrayByIdentityOnBothSidesOfTheScanLimit() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            SeenArrays<Integer> seen = new SeenArrays<>();
            List<NDArray> arrays = new ArrayList<>();
            for (int i = 0; i < 3 * SeenArrays.SCAN; i++) {
                NDArray a = m.create(new float[] {1f, 2f}); // equal contents: only identity tells them apart
                assertNull(seen.get(a));
                seen.put(a, i);
                arrays.add(a);
                for (int j = 0; j <= i; j++) {
                    assertEquals(j, seen.get(arrays.get(j)), "array " + j + " after " + (i + 1) + " kept");
                }
            }
            assertNull(seen.get(m.create(new float[] {1f, 2f})));
        }
    }

    @Test
    void computesAValueOnlyForAnArrayItHasNotSeen() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            SeenArrays<Integer> seen = new SeenArrays<>();
            int[] calls = {0};
            NDArray a = m.create(new float[] {1f});
            NDArray b = m.create(new float[] {1f});
            assertEquals(1, seen.computeIfAbsent(a, x -> ++calls[0]));
            assertEquals(1, seen.computeIfAbsent(a, x -> ++calls[0]), "kept: not computed again");
            assertEquals(2, seen.computeIfAbsent(b, x -> ++calls[0]), "an equal array is another array");
            assertEquals(2, calls[0]);
        }
    }
}
