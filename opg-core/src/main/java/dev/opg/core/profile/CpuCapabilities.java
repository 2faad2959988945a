package dev.opg.core.profile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * libtorch's CPU kernel sets ({@code ATEN_CPU_CAPABILITY}) and whether this CPU can run them.
 *
 * <p>libtorch compares the variable's value literally with {@code default}, {@code avx2} and
 * {@code avx512} and silently ignores anything else (including {@code AVX2}), then picks the best
 * set the CPU supports; it also falls back when the CPU lacks the requested instructions. A
 * profile that recorded such a value would describe kernels that did not run, so opg accepts only
 * the three literal values, on a CPU that has their instructions.
 */
public final class CpuCapabilities {
    private CpuCapabilities() {}

    /**
     * The {@code /proc/cpuinfo} flags libtorch's capability check needs for {@code capability},
     * or null for a value libtorch does not know.
     */
    public static List<String> requiredFlags(String capability) {
        return switch (capability == null ? "" : capability) {
            case "default" -> List.of();
            case "avx2" -> List.of("avx2", "fma");
            case "avx512" -> List.of("avx512f", "avx512bw", "avx512vl", "avx512dq", "fma");
            default -> null;
        };
    }

    /**
     * The kernel set libtorch selects by itself when {@code ATEN_CPU_CAPABILITY} is unset, on an
     * x86-64 CPU with {@code cpuFlags}: its dispatch rule ({@code compute_cpu_capability} in
     * {@code aten/src/ATen/native/DispatchStub.cpp}, PyTorch 2.x release builds) takes {@code avx512}
     * where the CPU has avx512vl, avx512bw, avx512dq and fma3, else {@code avx2} where it has avx2
     * and fma3, else {@code default}; null off x86-64, where the rule has other branches (SVE,
     * VSX, ZVECTOR) this code does not model.
     */
    public static String libtorchChoice(String osArch, Set<String> cpuFlags) {
        if (!"amd64".equals(osArch) && !"x86_64".equals(osArch)) {
            return null;
        }
        if (cpuFlags.containsAll(List.of("avx512vl", "avx512bw", "avx512dq", "fma"))) {
            return "avx512";
        }
        if (cpuFlags.containsAll(List.of("avx2", "fma"))) {
            return "avx2";
        }
        return "default";
    }

    /** Whether libtorch's {@code capability} kernels run on a CPU with {@code cpuFlags}. */
    public static boolean canRun(String capability, Set<String> cpuFlags) {
        List<String> need = requiredFlags(capability);
        return need != null && cpuFlags.containsAll(need);
    }

    /** The flags of {@code capability} that {@code cpuFlags} lacks (empty for an unknown value). */
    public static List<String> missing(String capability, Set<String> cpuFlags) {
        List<String> need = requiredFlags(capability);
        return need == null ? List.of() : need.stream().filter(f -> !cpuFlags.contains(f)).toList();
    }

    /** This CPU's feature flags from {@code /proc/cpuinfo}, lower case; empty where there is none (then only {@code default} is known to run). */
    public static Set<String> cpuFlags() {
        Set<String> flags = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("flags")) {
                    int colon = line.indexOf(':');
                    for (String f : line.substring(colon + 1).trim().split("\\s+")) {
                        flags.add(f.toLowerCase(Locale.ROOT));
                    }
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Collections.emptySet();
        }
        return flags;
    }
}
