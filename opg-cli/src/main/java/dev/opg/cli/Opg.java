package dev.opg.cli;

import dev.opg.chain.ChainException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The {@code opg} command line. {@link #main} is the only place in opg that calls
 * {@code System.exit}; {@link #run} runs a command line in-process and returns its exit code
 * ({@link ExitCodes}).
 *
 * <p>Errors are one line on standard error ({@code opg: error: ...}); {@code --verbose} adds the
 * stack trace and raises the log level. Exit {@value ExitCodes#INVALID} comes only from a command
 * that ran its check and got the answer no; every exception maps to
 * {@value ExitCodes#USAGE} or {@value ExitCodes#ENVIRONMENT} ({@link #exitCodeOf}), and a JVM
 * {@link Error} (out of memory, stack overflow, a class that cannot be linked) thrown anywhere in a
 * command, which picocli does not catch, ends it with {@value ExitCodes#ENVIRONMENT} and one line.
 */
@Command(name = "opg", mixinStandardHelpOptions = true, versionProvider = Opg.Version.class,
        description = "Verifiable machine-learning inference: prove, verify, inspect, bisect and anchor execution transcripts.",
        subcommands = {ProveCommand.class, GenerateCommand.class, VerifyCommand.class, InspectCommand.class, BisectCommand.class,
                AnchorCommand.class, CheckAnchorCommand.class, DeployCommand.class, DemoCommand.class,
                ModelCommand.class, DeployRegistryCommand.class, RegisterCommand.class, ModelsCommand.class, RevokeCommand.class,
                AttestCommand.class, CheckAttestationCommand.class,
                CommandLine.HelpCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  success / VALID", "  1  INVALID (or divergent, not anchored, an altered stored artifact, a rejected attestation)",
                "  2  bad usage or unreadable input", "  3  environment, chain or internal error (also a JVM error such as OutOfMemoryError)"})
public final class Opg implements java.util.concurrent.Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** {@code opg} without a command: the usage on standard error, and exit 2 (bad usage); {@code opg --help} exits 0. */
    @Override
    public Integer call() {
        spec.commandLine().getErr().println("opg: no command given");
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    /**
     * Room given back when a JVM {@link Error} is caught, so that its one line can still be
     * printed when the heap is exhausted.
     */
    private static volatile byte[] reserve = new byte[256 * 1024];

    /** Runs {@code opg} with the process's streams and exits with its code. */
    public static void main(String[] args) {
        configureLogging(args);
        // A VirtualMachineError in any other thread (an engine's, a stream copier's) leaves this JVM
        // unfit to give a verdict: end it as exit 3 with one line, never as a hang or exit 1.
        Thread.setDefaultUncaughtExceptionHandler((thread, t) -> {
            if (t instanceof VirtualMachineError) {
                reserve = null;
                System.err.println("opg: error: " + errorMessage(t));
                System.err.flush();
                Runtime.getRuntime().halt(ExitCodes.ENVIRONMENT);
            }
            System.err.println("opg: error in thread " + thread.getName() + ": " + messageOf(t));
        });
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int code = run(out, err, args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs a command line in-process, writing to the given streams; returns the exit code. */
    public static int run(PrintStream out, PrintStream err, String... args) {
        PrintWriter o = new PrintWriter(out, true, StandardCharsets.UTF_8);
        PrintWriter e = new PrintWriter(err, true, StandardCharsets.UTF_8);
        int code = run(o, e, args);
        o.flush();
        e.flush();
        return code;
    }

    /** Runs a command line in-process, writing to the given writers; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return execute(commandLine(out, err), err, args);
    }

    /**
     * Executes {@code cl}; picocli hands exceptions to the handler {@link #commandLine} sets but
     * lets an {@link Error} through, which would end the JVM with exit 1, the code for INVALID.
     * Here any {@link Throwable} that escapes becomes exit {@value ExitCodes#ENVIRONMENT} and one line.
     */
    static int execute(CommandLine cl, PrintWriter err, String... args) {
        try {
            return cl.execute(args);
        } catch (Throwable t) { // an Error, or an exception thrown by a handler itself
            reserve = null; // give the heap back before printing
            boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
            try {
                err.println("opg: error: " + (t instanceof Error ? errorMessage(t) : messageOf(t)));
                if (verbose) {
                    err.print(stackTrace(t));
                }
                err.flush();
            } catch (Throwable ignored) {
                // Nothing more can be said; the exit code still says it.
            }
            return ExitCodes.ENVIRONMENT;
        }
    }

    /** One line for a JVM error: what ran out and what a user can do. */
    static String errorMessage(Throwable t) {
        String m = t.getMessage() == null ? "" : ": " + firstLine(t.getMessage());
        if (t instanceof OutOfMemoryError) {
            return "the JVM ran out of memory (OutOfMemoryError" + m + "); raise -Xmx (bin/opg reads OPG_JAVA_OPTS) or give smaller inputs";
        }
        if (t instanceof StackOverflowError) {
            return "the JVM's stack overflowed (StackOverflowError); raise -Xss or give less deeply nested inputs";
        }
        return "internal JVM error (" + t.getClass().getName() + m + ")";
    }

    private static String firstLine(String m) {
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** The configured command line: streams, exit codes and one-line error handling. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Opg());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("opg: error: " + ex.getMessage());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            boolean verbose = verbose(parseResult);
            int code = exitCodeOf(ex);
            c.getErr().println("opg: error: " + messageOf(ex));
            if (verbose) {
                c.getErr().print(stackTrace(ex));
            } else if (code == ExitCodes.ENVIRONMENT && !(ex instanceof CliException) && !(ex instanceof OpgException)) {
                c.getErr().println("(run again with --verbose for the stack trace)");
            }
            c.getErr().flush();
            return code;
        });
        return cl;
    }

    /** The exit code an exception ends a command with. */
    static int exitCodeOf(Throwable ex) {
        if (ex instanceof Error) {
            return ExitCodes.ENVIRONMENT;
        }
        if (ex instanceof CliException c) {
            return c.exitCode();
        }
        if (ex instanceof ChainException) {
            return ExitCodes.ENVIRONMENT;
        }
        if (ex instanceof MalformedInputException) {
            return ExitCodes.USAGE;
        }
        if (ex instanceof NoSuchFileException || ex instanceof FileNotFoundException
                || ex instanceof AccessDeniedException) {
            return ExitCodes.USAGE;
        }
        if (ex instanceof UncheckedIOException u) {
            return exitCodeOf(u.getCause());
        }
        if (ex instanceof IOException) {
            return ExitCodes.USAGE;
        }
        if (ex instanceof OpgException) {
            return ExitCodes.ENVIRONMENT;
        }
        return ExitCodes.ENVIRONMENT;
    }

    /** A one-line message for an exception: what a user can act on, not a class name. */
    static String messageOf(Throwable ex) {
        if (ex instanceof NoSuchFileException n) {
            return "no such file: " + n.getFile();
        }
        if (ex instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        if (ex instanceof UncheckedIOException u && u.getCause() != null) {
            return messageOf(u.getCause());
        }
        String m = ex.getMessage();
        if (m == null || m.isBlank()) {
            m = ex.getClass().getSimpleName();
        } else if (!(ex instanceof CliException) && !(ex instanceof OpgException) && !(ex instanceof IOException)) {
            m = ex.getClass().getSimpleName() + ": " + m;
        }
        // One line: the first line of a multi-line message.
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static boolean verbose(ParseResult pr) {
        for (ParseResult p = pr; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    private static void configureLogging(String[] args) {
        boolean verbose = false;
        for (String a : args) {
            verbose |= a.equals("--verbose");
        }
        // slf4j-simple reads these once, when the first logger is made.
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "warn");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        // DJL warns that a model path is a plain file, which is how opg loads .pt and .onnx files.
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl.repository.SimpleRepository", verbose ? "debug" : "error");
        // ONNX Runtime warns on every CPU-only machine that it found no CUDA provider.
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl.onnxruntime.engine.OrtEngine", verbose ? "debug" : "error");
        // DJL warns on every machine without a usable CUDA driver that it could not count GPUs.
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", verbose ? "debug" : "error");
        setIfAbsent("ai.djl.offline", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** The version from the jar's manifest (or "dev" when run from classes). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Opg.class.getPackage().getImplementationVersion();
            return new String[] {"opg " + (v == null ? "dev" : v), "Java " + Runtime.version()};
        }
    }

    /** The stack trace of {@code t} and its causes, as the JVM would print it, for {@code --verbose}. */
    static String stackTrace(Throwable t) {
        StringBuilder sb = new StringBuilder();
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Throwable e = t; e != null && seen.add(e); e = e.getCause()) {
            sb.append(e == t ? "" : "Caused by: ").append(e).append(System.lineSeparator());
            for (StackTraceElement frame : e.getStackTrace()) {
                sb.append("\tat ").append(frame).append(System.lineSeparator());
            }
        }
        return sb.toString();
    }
}
