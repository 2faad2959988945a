package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.UnsupportedVersionException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Exit 1 means INVALID and nothing else: every failure maps to 2 or 3, and a JVM Error thrown by a
 * command (which picocli does not catch) becomes exit 3 with one line on stderr.
 */
class ExitCodeMappingTest {
    /** A command that ends by throwing what it is given, as a real command's failure would. */
    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @CommandLine.Mixin
        CommonOptions common;
        final Supplier<Throwable> what;

        Boom(Supplier<Throwable> what) {
            this.what = what;
        }

        @Override
        public Integer call() throws Exception {
            Throwable t = what.get();
            if (t == null) {
                return ExitCodes.INVALID;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw (Exception) t;
        }
    }

    record Run(int code, String err) {}

    static Run run(Supplier<Throwable> what, String... extra) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        PrintWriter e = new PrintWriter(err, true);
        CommandLine cl = Opg.commandLine(new PrintWriter(out, true), e);
        cl.addSubcommand("boom", new Boom(what));
        cl.setErr(e); // reaches the subcommand added after the command line was configured
        String[] args = new String[extra.length + 1];
        args[0] = "boom";
        System.arraycopy(extra, 0, args, 1, extra.length);
        return new Run(Opg.execute(cl, e, args), err.toString());
    }

    @Test
    void noCommandIsBadUsageAndHelpIsNot() {
        Cli.Result none = Cli.run();
        assertEquals(ExitCodes.USAGE, none.code(), none.toString());
        assertTrue(none.err().contains("opg: no command given") && none.err().contains("Usage: opg"), none.toString());
        assertEquals(ExitCodes.OK, Cli.run("--help").code());
    }

    @Test
    void jvmErrorsEndWithExit3AndOneLine() {
        for (Supplier<Throwable> t : List.<Supplier<Throwable>>of(() -> new OutOfMemoryError("Java heap space"),
                StackOverflowError::new, () -> new NoClassDefFoundError("ai/djl/Foo"), () -> new AssertionError("x"))) {
            Run r = run(t);
            assertEquals(ExitCodes.ENVIRONMENT, r.code(), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("opg: error: "), r.err());
        }
        assertTrue(run(() -> new OutOfMemoryError("Java heap space")).err().contains("raise -Xmx"));
        assertTrue(run(StackOverflowError::new).err().contains("StackOverflowError"));
    }

    @Test
    void verboseAddsTheStackTraceOfAnError() {
        Run r = run(StackOverflowError::new, "--verbose");
        assertEquals(ExitCodes.ENVIRONMENT, r.code());
        assertTrue(r.err().lines().count() > 1 && r.err().contains("\tat "), r.err());
    }

    @Test
    void badInputEndsWithExit2() {
        for (Supplier<Throwable> t : List.<Supplier<Throwable>>of(() -> new MalformedInputException("bad"),
                () -> new LimitExceededException("too big"), () -> new UnsupportedVersionException("v9"),
                () -> new NoSuchFileException("/x"), () -> new UncheckedIOException(new NoSuchFileException("/x")),
                () -> CliException.usage("usage"))) {
            Run r = run(t);
            assertEquals(ExitCodes.USAGE, r.code(), t.get() + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        }
    }

    @Test
    void noFailureEndsWithExit1() {
        // Exit 1 is returned by a command that ran its check; no exception of any kind maps to it.
        for (Throwable t : List.of(new RuntimeException("x"), new IllegalStateException(), new NullPointerException(),
                new OpgException("x"), new IOException("x"), new UncheckedIOException(new IOException("x")),
                new OutOfMemoryError(), new StackOverflowError(), new LinkageError(), new InternalError(),
                new MalformedInputException("x"), new LimitExceededException("x"))) {
            assertNotEquals(ExitCodes.INVALID, Opg.exitCodeOf(t), t.toString());
            Run r = run(() -> t);
            assertNotEquals(ExitCodes.INVALID, r.code(), t + ": " + r.err());
        }
    }

    @Test
    void anHonestCommandStillExitsWithItsOwnCode() {
        StringWriter err = new StringWriter();
        PrintWriter e = new PrintWriter(err, true);
        CommandLine cl = Opg.commandLine(new PrintWriter(new StringWriter(), true), e);
        cl.addSubcommand("no", new Boom(() -> null));
        cl.setErr(e);
        assertEquals(ExitCodes.INVALID, Opg.execute(cl, e, "no"));
        assertEquals("", err.toString());
    }
}
