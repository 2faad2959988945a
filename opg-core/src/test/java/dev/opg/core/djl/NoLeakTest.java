package dev.opg.core.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.testmodels.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NoLeakTest {
    static long rssKiB() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void tenThousandPredictionsKeepNativeMemoryBounded() throws Exception {
        var profile = TestModels.pytorchProfile(); // before anything loads the engine
        try (Model mlp = TestModels.mlp(1); VerifiableModel vm = VerifiableModel.wrap(mlp, profile);
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = TestModels.input(m, TestModels.MLP_INPUT, 7).head();
            Digest first = vm.predict(new NDList(x)).transcript().root();
            for (int i = 0; i < 10_000; i++) {
                try (NDManager s = m.newSubManager()) {
                    vm.predict(new NDList(x)).output().attach(s);
                }
            }
            System.gc();
            long before = rssKiB();
            long heapBefore = Runtime.getRuntime().totalMemory() / 1024;
            for (int i = 0; i < 10_000; i++) {
                try (NDManager s = m.newSubManager()) {
                    NDList out = vm.predict(new NDList(x)).output();
                    out.attach(s);
                }
            }
            System.gc();
            // Measured after 10,000 warm-up predictions, once heap pages and allocator arenas have
            // settled. A leak of the per-prediction arrays alone (input-sized activations, about 3 KiB) would
            // add more than 30 MiB; growth of the Java heap's committed size is not native memory.
            long heapGrowth = Runtime.getRuntime().totalMemory() / 1024 - heapBefore;
            long growth = rssKiB() - before - Math.max(0, heapGrowth);
            assertTrue(growth < 24 * 1024, "native RSS grew by " + growth + " KiB over 10,000 predictions (heap grew "
                    + heapGrowth + " KiB)");
            assertEquals(first, vm.predict(new NDList(x)).transcript().root());
        }
    }
}
