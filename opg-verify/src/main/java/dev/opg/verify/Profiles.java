package dev.opg.verify;

import dev.opg.core.profile.DeterminismProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Field-level differences between determinism profiles, and which of them a process can bridge. */
final class Profiles {
    private Profiles() {}

    /** Names of the profile fields in which {@code a} and {@code b} differ, in record order. */
    static List<String> differingFields(DeterminismProfile a, DeterminismProfile b) {
        List<String> out = new ArrayList<>();
        add(out, "engine", a.engine(), b.engine());
        add(out, "engineVersion", a.engineVersion(), b.engineVersion());
        add(out, "djlVersion", a.djlVersion(), b.djlVersion());
        add(out, "nativeLibrary", a.nativeLibrary(), b.nativeLibrary());
        add(out, "os", a.os(), b.os());
        add(out, "arch", a.arch(), b.arch());
        add(out, "cpuCapability", a.cpuCapability(), b.cpuCapability());
        add(out, "intraOpThreads", a.intraOpThreads(), b.intraOpThreads());
        add(out, "interOpThreads", a.interOpThreads(), b.interOpThreads());
        add(out, "graphOptimizer", a.graphOptimizer(), b.graphOptimizer());
        add(out, "deterministicAlgorithms", a.deterministicAlgorithms(), b.deterministicAlgorithms());
        add(out, "seed", a.seed(), b.seed());
        add(out, "dtype", a.dtype(), b.dtype());
        return out;
    }

    /** "field=value, ..." of the differing fields, taking values from {@code expected} or from {@code actual}. */
    static String describeDifference(DeterminismProfile expected, DeterminismProfile actual, boolean fromExpected) {
        List<String> fields = differingFields(expected, actual);
        if (fields.isEmpty()) {
            return (fromExpected ? expected : actual).digest().hex();
        }
        DeterminismProfile p = fromExpected ? expected : actual;
        List<String> parts = new ArrayList<>();
        for (String f : fields) {
            parts.add(f + "=" + value(p, f));
        }
        return String.join(", ", parts);
    }

    private static Object value(DeterminismProfile p, String field) {
        return switch (field) {
            case "engine" -> p.engine();
            case "engineVersion" -> p.engineVersion();
            case "djlVersion" -> p.djlVersion();
            case "nativeLibrary" -> p.nativeLibrary();
            case "os" -> p.os();
            case "arch" -> p.arch();
            case "cpuCapability" -> p.cpuCapability();
            case "intraOpThreads" -> p.intraOpThreads();
            case "interOpThreads" -> p.interOpThreads();
            case "graphOptimizer" -> p.graphOptimizer();
            case "deterministicAlgorithms" -> p.deterministicAlgorithms();
            case "seed" -> p.seed();
            default -> p.dtype();
        };
    }

    private static void add(List<String> out, String name, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            out.add(name);
        }
    }
}
