package dev.opg.core.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.tensor.DType;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.testmodels.TestValues;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link DeterminismProfile#implausibility()}: every profile the engines' {@code apply} really
 * records passes, and a profile with one field no real run can write is named by that field.
 */
class ProfilePlausibilityTest {
    private static DeterminismProfile with(DeterminismProfile p, String f1, Object v1, String f2, Object v2) {
        return TestValues.with(TestValues.with(p, f1, v1), f2, v2);
    }

    private static DeterminismProfile with(DeterminismProfile p, String field, Object value) {
        return TestValues.with(p, field, value);
    }

    @Test
    void theProfilesTheEnginesRecordArePlausible() {
        DeterminismProfile pt = TestModels.pytorchProfile();
        DeterminismProfile ort = TestModels.onnxProfile();
        assertEquals(Optional.empty(), pt.implausibility(), pt.toString());
        assertEquals(Optional.empty(), ort.implausibility(), ort.toString());
        assertEquals(Optional.empty(), dev.opg.core.onnx.OnnxProfiles.apply(3, 2, 99).implausibility());
        // what the same code records elsewhere: other kernel sets, threads, seeds, platforms
        for (DeterminismProfile p : List.of(pt.withCpuCapability("default"), pt.withCpuCapability("avx512"), pt.withThreads(16, 4),
                pt.withSeed(DeterminismProfile.MAX_SEED), with(pt, "nativeLibrary", "libtorch 2.7.1 cuda"),
                with(pt, "os", "Mac OS X", "arch", "aarch64").withCpuCapability("default"),
                with(pt, "os", "Windows 11", "arch", "amd64").withCpuCapability("default"),
                with(pt, "os", "Windows Server 2022", "arch", "amd64").withCpuCapability("default"),
                with(pt, "arch", "aarch64").withCpuCapability("default"),
                with(pt, "engineVersion", "2.8.0", "nativeLibrary", "libtorch 2.8.0 cpu"),
                with(pt, "djlVersion", "0.37.0-SNAPSHOT"),
                ort.withCpuCapability("mlas-avx2"), ort.withCpuCapability("mlas-avx"), ort.withCpuCapability("mlas-sse"),
                ort.withCpuCapability("mlas-x86_64-unknown"),
                with(ort, "arch", "aarch64").withCpuCapability("mlas-aarch64"),
                with(ort, "os", "Mac OS X", "arch", "x86_64").withCpuCapability("mlas-x86_64-unknown"),
                with(ort, "os", "Windows 10", "arch", "amd64").withCpuCapability("mlas-x86_64-unknown"),
                with(ort, "nativeLibrary", "onnxruntime 1.22.0 cpu"))) {
            assertEquals(Optional.empty(), p.implausibility(), p.toString());
        }
    }

    @Test
    void aFieldNoRealRunCanHaveIsNamed() {
        DeterminismProfile pt = TestModels.pytorchProfile();
        DeterminismProfile ort = TestModels.onnxProfile();
        Object[][] cases = {
            {with(pt, "os", pt.os() + " "), "os"},
            {with(pt, "os", " " + pt.os()), "os"},
            {with(pt, "os", pt.os() + "\u0000"), "os"},
            {with(pt, "os", "Lin\u200bux"), "os"},
            {with(pt, "os", "linux"), "os"},
            {with(pt, "os", "Linux\tx"), "os"},
            {with(pt, "os", "Windows"), "os"},
            {with(pt, "os", "FreeBSD"), "os"},
            {with(pt, "arch", "x86_64"), "arch"},
            {with(pt, "arch", "amd64 "), "arch"},
            {with(with(pt, "os", "Mac OS X"), "arch", "amd64").withCpuCapability("default"), "arch"},
            {with(pt, "engine", "PyTorch "), "engine"},
            {with(pt, "engine", "pytorch"), "engine"},
            {with(pt, "engine", "Synthetic"), "engine"},
            {with(pt, "engineVersion", "2.7.1 "), "engineVersion"},
            {with(pt, "engineVersion", "v2.7.1"), "engineVersion"},
            {with(pt, "engineVersion", "0.0.1"), "nativeLibrary"},
            {with(pt, "djlVersion", "0.36"), "djlVersion"},
            {with(pt, "djlVersion", "0.036.0"), "djlVersion"},
            {with(pt, "engineVersion", "2.7.1.3", "nativeLibrary", "libtorch 2.7.1.3 cpu"), "engineVersion"},
            {with(pt, "djlVersion", "0.36.0\n"), "djlVersion"},
            {with(pt, "nativeLibrary", "libtorch 2.7.1 gpu"), "nativeLibrary"},
            {with(ort, "nativeLibrary", "onnxruntime 1.21.1  cpu"), "nativeLibrary"},
            {pt.withCpuCapability("AVX2"), "cpuCapability"},
            {pt.withCpuCapability("neon"), "cpuCapability"},
            {pt.withCpuCapability("mlas-avx2"), "cpuCapability"},
            {with(pt, "os", "Mac OS X", "arch", "aarch64").withCpuCapability("avx2"), "cpuCapability"},
            {ort.withCpuCapability("avx2"), "cpuCapability"},
            {with(ort, "os", "Windows 11").withCpuCapability("mlas-avx2"), "cpuCapability"},
            {with(ort, "arch", "aarch64"), "cpuCapability"},
            {with(pt, "graphOptimizer", true), "graphOptimizer"},
            {with(pt, "deterministicAlgorithms", true), "deterministicAlgorithms"},
            {with(ort, "deterministicAlgorithms", false), "deterministicAlgorithms"},
            {with(pt, "dtype", DType.FLOAT16), "dtype"},
        };
        for (Object[] c : cases) {
            DeterminismProfile p = (DeterminismProfile) c[0];
            Optional<String> why = p.implausibility();
            assertTrue(why.isPresent(), "accepted as plausible: " + p);
            if (c[1] != null) {
                assertTrue(why.get().startsWith("profile field " + c[1] + " "), why.get());
            }
            assertTrue(why.get().contains("no run recorded by opg has it"), why.get());
        }
        // the message shows a control character visibly
        assertTrue(with(pt, "os", "Linux\u0000").implausibility().orElseThrow().contains("\\u0000"));
    }
}
