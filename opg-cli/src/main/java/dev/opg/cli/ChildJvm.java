package dev.opg.cli;

import dev.opg.core.engine.EngineSupport;
import dev.opg.core.profile.CpuCapabilities;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.ProfileNotAppliedException;
import dev.opg.core.profile.PyTorchProfiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs an {@code opg} command again in a child JVM whose environment lets it reproduce a
 * transcript's PyTorch determinism profile where this process cannot.
 *
 * <p>libtorch reads {@code ATEN_CPU_CAPABILITY} once, when it loads, and its inter-op thread count
 * cannot change after that: a process that loaded libtorch with {@code avx2} kernels cannot
 * re-execute a transcript proved under {@code default} bit for bit. A fresh JVM can. The child is
 * this JVM again: the same {@code java} binary, classpath, heap and native-access options, the
 * system properties that configure DJL, opg and logging, and this environment with
 * {@code ATEN_CPU_CAPABILITY} set to the recorded value and {@value #MARKER_ENV}{@code =1}, so
 * that the child never starts another. Its standard output and error are copied to the parent's
 * as they come and its exit code is the command's.
 *
 * <p>A child is only started when every other field of the profile (engine and DJL versions,
 * native library, os and arch) already matches this process, and when this CPU can run the
 * recorded kernel set ({@link #canRun}); otherwise {@link #plan} says why not and the command
 * keeps its in-process behaviour (a tolerant fall-back if asked for, else INCONCLUSIVE).
 */
final class ChildJvm {
    /** Set to {@code 1} in a child's environment; a child never starts another. */
    static final String MARKER_ENV = "OPG_CHILD";
    /** Why the parent started the child, for the child's report. */
    static final String REASON_ENV = "OPG_CHILD_REASON";
    private static final String PYTORCH = "PyTorch";
    /** Profile fields a fresh JVM can set: the kernel set from its environment, threads and seed when libtorch loads. */
    private static final Set<String> FIXABLE = Set.of("cpuCapability", "intraOpThreads", "interOpThreads", "seed");
    /** System properties a child must not inherit: the child's profile sets them from the transcript. */
    private static final Set<String> NOT_INHERITED = Set.of("ai.djl.pytorch.num_threads",
            "ai.djl.pytorch.num_interop_threads", "ai.djl.pytorch.graph_optimizer");
    private static final List<String> INHERITED_PREFIXES = List.of("ai.djl.", "opg.", "org.slf4j.", "jna.", "onnxruntime.");

    private ChildJvm() {}

    /** Whether this process is a child started by {@link #run}. */
    static boolean isChild() {
        return "1".equals(System.getenv(MARKER_ENV));
    }

    /**
     * This process's profile for a transcript's profile: applied with the transcript's threads
     * and seed where that works, else measured as the engine runs; {@code profile} is null (and
     * {@code problem} says why) where nothing could be measured.
     */
    record Measured(DeterminismProfile profile, ProfileNotAppliedException problem) {
        /** Whether this process runs under exactly {@code expected}. */
        boolean matches(DeterminismProfile expected) {
            return problem == null && expected.equals(profile);
        }
    }

    /** Applies {@code expected}'s threads and seed for its engine and measures what this process runs under. */
    static Measured measure(DeterminismProfile expected) {
        try {
            return new Measured(EngineSupport.of(expected.engine()).apply(expected.intraOpThreads(), expected.interOpThreads(),
                    expected.seed()), null);
        } catch (ProfileNotAppliedException e) {
            String cap = System.getenv(PyTorchProfiles.CPU_CAPABILITY_ENV);
            if (!PYTORCH.equals(expected.engine()) || cap == null || cap.isBlank()) {
                return new Measured(null, e);
            }
            // libtorch was loaded earlier with other thread counts: measure it as it runs.
            try {
                return new Measured(EngineSupport.of(PYTORCH).asRunning(expected.seed()).orElseThrow(() -> e), e);
            } catch (RuntimeException again) {
                return new Measured(null, e);
            }
        }
    }

    /**
     * Whether to re-run in a child JVM, with the capability to give it; {@code reason} says why
     * (for {@code fork}) or why not (null when nothing differs or nothing needs saying).
     */
    record Plan(boolean fork, String capability, String reason) {
        static Plan inProcess(String why) {
            return new Plan(false, null, why);
        }
    }

    /**
     * Decides whether a child JVM can reproduce {@code expected} where this process cannot.
     *
     * @param here this process as measured ({@link #measure})
     * @param cpuFlags the CPU's feature flags ({@link #cpuFlags})
     * @param noChild the user asked for no child ({@code --no-child})
     * @param inChild this process is already a child
     */
    static Plan plan(DeterminismProfile expected, Measured here, Set<String> cpuFlags, boolean noChild, boolean inChild) {
        if (here.matches(expected) || !PYTORCH.equals(expected.engine())) {
            return Plan.inProcess(null);
        }
        String differs;
        if (here.profile() == null) {
            differs = "this process cannot apply the profile (" + firstLine(here.problem().getMessage()) + ")";
        } else {
            List<String> fields = differingFields(here.profile(), expected);
            List<String> unfixable = fields.stream().filter(f -> !FIXABLE.contains(f)).toList();
            if (!unfixable.isEmpty()) {
                return Plan.inProcess("no child JVM was started: a fresh process cannot change " + unfixable
                        + " (this process: " + describe(here.profile(), unfixable) + "; the transcript: " + describe(expected, unfixable) + ")");
            }
            differs = "this process runs under " + describe(here.profile(), fields) + ", the transcript's profile has "
                    + describe(expected, fields);
        }
        if (inChild) {
            return Plan.inProcess("already in a child JVM (" + MARKER_ENV + "=1), so no other was started: " + differs);
        }
        if (noChild) {
            return Plan.inProcess("--no-child: no child JVM was started although " + differs);
        }
        String cap = expected.cpuCapability();
        if (!canRun(cap, cpuFlags)) {
            return Plan.inProcess("no child JVM was started: this CPU cannot run libtorch's '" + cap + "' kernels"
                    + (CpuCapabilities.requiredFlags(cap) == null ? " (not a kernel set opg knows)"
                            : " (it lacks " + CpuCapabilities.missing(cap, cpuFlags) + ")")
                    + "; " + differs);
        }
        return new Plan(true, cap, differs);
    }

    /** Whether libtorch's {@code capability} kernels run on a CPU with {@code cpuFlags} ({@code /proc/cpuinfo} names). */
    static boolean canRun(String capability, Set<String> cpuFlags) {
        return CpuCapabilities.canRun(capability, cpuFlags);
    }

    /** This CPU's feature flags from {@code /proc/cpuinfo}; empty where there is none. */
    static Set<String> cpuFlags() {
        return CpuCapabilities.cpuFlags();
    }

    /**
     * Runs {@code opg opgArgs...} in a child JVM with {@code ATEN_CPU_CAPABILITY=capability},
     * copying its output to {@code out} and {@code err} as it comes; returns its exit code.
     *
     * @throws IOException if the child could not be started
     */
    static int run(List<String> opgArgs, String capability, String reason, PrintWriter out, PrintWriter err) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(opgArgs));
        pb.directory(Path.of(System.getProperty("user.dir")).toFile());
        Map<String, String> env = pb.environment();
        env.putAll(environment(capability, reason));
        Process p = pb.start();
        p.getOutputStream().close();
        Thread errPump = Thread.ofPlatform().daemon().name("opg-child-stderr").start(() -> pump(p.getErrorStream(), err));
        try {
            pump(p.getInputStream(), out);
            int code = p.waitFor();
            errPump.join();
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the child JVM", e);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    /** The variables {@link #run} adds to this process's environment for the child. */
    static Map<String, String> environment(String capability, String reason) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(PyTorchProfiles.CPU_CAPABILITY_ENV, Objects.requireNonNull(capability, "capability"));
        env.put(MARKER_ENV, "1");
        env.put(REASON_ENV, reason == null ? "" : reason);
        return env;
    }

    /** The child's command line: this JVM's java binary and options, its classpath, {@link Opg} and {@code opgArgs}. */
    static List<String> command(List<String> opgArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions());
        for (String key : new TreeSet<>(System.getProperties().stringPropertyNames())) {
            if (!NOT_INHERITED.contains(key) && INHERITED_PREFIXES.stream().anyMatch(key::startsWith)) {
                cmd.add("-D" + key + "=" + System.getProperty(key));
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Opg.class.getName());
        cmd.addAll(opgArgs);
        return cmd;
    }

    /** The options this JVM was started with that the child needs too (heap, stack, native access, module flags). */
    private static List<String> jvmOptions() {
        List<String> kept = new ArrayList<>();
        List<String> args;
        try {
            args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        } catch (RuntimeException | LinkageError e) {
            args = List.of();
        }
        Set<String> twoTokens = Set.of("--add-opens", "--add-exports", "--add-modules", "--enable-native-access");
        for (Iterator<String> it = args.iterator(); it.hasNext(); ) {
            String a = it.next();
            if (twoTokens.contains(a) && it.hasNext()) {
                kept.add(a);
                kept.add(it.next());
            } else if ((a.startsWith("-X") && !a.startsWith("-Xdebug") && !a.startsWith("-Xrunjdwp"))
                    || twoTokens.stream().anyMatch(t -> a.startsWith(t + "="))
                    || a.startsWith("-Dfile.encoding=") || a.startsWith("-Dstdout.encoding=") || a.startsWith("-Dstderr.encoding=")) {
                kept.add(a);
            }
        }
        if (kept.stream().noneMatch(a -> a.startsWith("--enable-native-access"))) {
            kept.add("--enable-native-access=ALL-UNNAMED");
        }
        return kept;
    }

    /** The note a child adds to its report. */
    static String childNote() {
        String reason = System.getenv(REASON_ENV);
        return "ran in a child JVM started with " + PyTorchProfiles.CPU_CAPABILITY_ENV + "="
                + System.getenv(PyTorchProfiles.CPU_CAPABILITY_ENV) + " and " + MARKER_ENV + "=1"
                + (reason == null || reason.isBlank() ? "" : ", because " + reason);
    }

    private static void pump(InputStream in, PrintWriter to) {
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            char[] buf = new char[8192];
            int n;
            while ((n = r.read(buf)) >= 0) {
                synchronized (to) {
                    to.write(buf, 0, n);
                    to.flush();
                }
            }
        } catch (IOException e) {
            // The child went away; its exit code says how.
        }
    }

    /** Names of the profile fields in which {@code a} and {@code b} differ, in record order. */
    static List<String> differingFields(DeterminismProfile a, DeterminismProfile b) {
        List<String> out = new ArrayList<>();
        for (var c : DeterminismProfile.class.getRecordComponents()) {
            if (!Objects.equals(value(a, c.getName()), value(b, c.getName()))) {
                out.add(c.getName());
            }
        }
        return out;
    }

    private static String describe(DeterminismProfile p, List<String> fields) {
        List<String> parts = new ArrayList<>();
        for (String f : fields) {
            parts.add(f + "=" + value(p, f));
        }
        return String.join(", ", parts);
    }

    private static Object value(DeterminismProfile p, String field) {
        try {
            return DeterminismProfile.class.getMethod(field).invoke(p);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DeterminismProfile has no component " + field, e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
