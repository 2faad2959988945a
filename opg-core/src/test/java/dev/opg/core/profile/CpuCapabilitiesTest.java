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

    @Test
    void withoutTheVariableTheProfileRecordsWhatLibtorchSelectsByItsOwnRule() {
        Set<String> avx512 = Set.of("avx2", "fma", "avx512f", "avx512vl", "avx512bw", "avx512dq");
        assertEquals("avx512", CpuCapabilities.libtorchChoice("amd64", avx512));
        assertEquals("avx2", CpuCapabilities.libtorchChoice("amd64", Set.of("avx2", "fma", "avx512f")), "avx512 needs vl, bw and dq");
        assertEquals("default", CpuCapabilities.libtorchChoice("amd64", Set.of("avx2")), "avx2 without fma3 is not selected");
        assertEquals("avx512", CpuCapabilities.libtorchChoice("x86_64", avx512));
        assertEquals(null, CpuCapabilities.libtorchChoice("aarch64", avx512), "other architectures have rules opg does not model");
    }

    /** A JVM started with no opg-specific environment proves; a JVM pinned to the kernel set it recorded reproduces the root. */
    @Test
    void aProfileRecordedWithoutTheVariableReproducesInAJvmPinnedToIt() throws Exception {
        java.util.Map<String, String> unset = child(null);
        String cap = unset.get("cap");
        assertEquals(CpuCapabilities.libtorchChoice(System.getProperty("os.arch"), CpuCapabilities.cpuFlags()), cap, unset.toString());
        java.util.Map<String, String> pinned = child(cap);
        assertEquals(cap, pinned.get("cap"));
        assertEquals(unset.get("root"), pinned.get("root"), "the recorded kernel set reproduces the bits");
        if (!cap.equals("default")) {
            // and the kernel set matters: libtorch's default kernels give the CNN other bits (spec 3.4)
            assertNotEquals(unset.get("root"), child("default").get("root"));
        }
    }

    private static java.util.Map<String, String> child(String capability) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                "dev.opg.core.testmodels.PrintProfileRoot");
        if (capability == null) {
            pb.environment().remove(PyTorchProfiles.CPU_CAPABILITY_ENV);
        } else {
            pb.environment().put(PyTorchProfiles.CPU_CAPABILITY_ENV, capability);
        }
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, p.exitValue(), out);
        java.util.Map<String, String> m = new java.util.HashMap<>();
        for (String line : out.split("\n")) {
            String[] kv = line.trim().split(" ", 2);
            if (kv.length == 2) {
                m.put(kv[0], kv[1]);
            }
        }
        return m;
    }
}
