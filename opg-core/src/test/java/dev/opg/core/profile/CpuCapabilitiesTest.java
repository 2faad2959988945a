package dev.opg.core.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CpuCapabilitiesTest {
    private static final Set<String> AVX2_CPU = Set.of("sse4_2", "avx", "avx2", "fma");
    private static final Set<String> AVX512_CPU = Set.of("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq");

    @Test
    void knowsLibtorchsThreeKernelSetsLiterallyAndTheInstructionsEachNeeds() {
        assertTrue(CpuCapabilities.canRun("default", Set.of()));
        assertTrue(CpuCapabilities.canRun("avx2", AVX2_CPU));
        assertFalse(CpuCapabilities.canRun("avx2", Set.of("sse4_2")));
        assertEquals(List.of("avx2", "fma"), CpuCapabilities.missing("avx2", Set.of("sse4_2")));
        assertFalse(CpuCapabilities.canRun("avx512", AVX2_CPU));
        assertTrue(CpuCapabilities.canRun("avx512", AVX512_CPU));
        assertFalse(CpuCapabilities.canRun("AVX2", AVX512_CPU), "libtorch compares the value as written");
        assertFalse(CpuCapabilities.canRun("neon", AVX512_CPU));
        assertFalse(CpuCapabilities.canRun(null, AVX512_CPU));
    }

    @Test
    void readsThisCpusFlags() {
        Set<String> flags = CpuCapabilities.cpuFlags();
        // The tests run with ATEN_CPU_CAPABILITY=avx2 (root pom), so this CPU must have them.
        assertTrue(flags.containsAll(List.of("avx2", "fma")), "flags read: " + flags);
    }

    /** libtorch would silently ignore "AVX2" and run its best kernels: the profile must refuse, not record "avx2". */
    @Test
    void aProcessWithAValueLibtorchIgnoresRefusesToApplyTheProfile() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                "dev.opg.core.testmodels.PrintRoots");
        pb.environment().put(PyTorchProfiles.CPU_CAPABILITY_ENV, "AVX2");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not finish");
        assertNotEquals(0, p.exitValue(), out);
        assertTrue(out.contains("ProfileNotAppliedException") && out.contains("ATEN_CPU_CAPABILITY=AVX2 is not a value libtorch knows"), out);
        assertFalse(out.contains("mlp "), "no root may be printed under a profile that did not hold: " + out);
    }

}
