package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.io.ZipBomb;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code opg} run as a user runs it, in its own JVM with a small heap, on crafted inputs: a deflate
 * bomb ends with exit 2 and a one-line message in bounded memory, never an OutOfMemoryError and
 * never exit 1; a JVM Error that does happen ends with exit 3 and one line. The honest control is
 * the same command on an honest input in the same small heap, which proves (exit 0).
 */
class BoundedInputTest {
    /** The child's heap: far below what any bomb here would inflate to. */
    static final String HEAP = "-Xmx96m";

    @TempDir
    static Path tmp;
    static Path model;
    static Path honest;

    @BeforeAll
    static void fixtures() throws IOException {
        model = TestFixtures.saveModel(tmp.resolve("mlp"), "mlp", 7);
        honest = TestFixtures.saveInput(tmp.resolve("x.npz"), "mlp", 11);
    }

    /** What a child run gave: exit code, stderr, and the largest resident set seen (bytes; 0 if unknown). */
    record Child(int code, String out, String err, long peakRss) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.startsWith("WARNING")).toList();
        }

        @Override
        public String toString() {
            return "exit " + code + ", peak RSS " + (peakRss >> 20) + " MiB\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Child opg(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add(HEAP);
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Opg.class.getName());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        Path status = Path.of("/proc", Long.toString(p.pid()), "status");
        long peak = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline) {
            peak = Math.max(peak, vmHwm(status));
            p.waitFor(20, TimeUnit.MILLISECONDS);
        }
        if (p.isAlive()) {
            p.destroyForcibly();
            throw new AssertionError("opg " + String.join(" ", args) + " did not end within 120 s");
        }
        return new Child(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8), peak);
    }

    /** VmHWM (the peak resident set) from /proc, or 0 where there is none. */
    static long vmHwm(Path status) {
        try {
            for (String l : Files.readAllLines(status)) {
                if (l.startsWith("VmHWM:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process has just ended, or this is no Linux
        }
        return 0;
    }

    static void assertBoundedRefusal(Child c, String expected) {
        assertEquals(ExitCodes.USAGE, c.code(), c.toString());
        assertEquals(1, c.errLines().size(), "one line on stderr: " + c);
        assertTrue(c.errLines().get(0).startsWith("opg: error: ") && c.err().contains(expected), c.toString());
        // A JVM of this heap that had inflated the bomb would hold hundreds of MiB.
        assertTrue(c.peakRss() < 400L << 20, "bounded memory: " + c);
    }

    static byte[] npy(String descr, long n) {
        byte[] h = ZipBomb.npyHeader(descr, n);
        return java.util.Arrays.copyOf(h, (int) (h.length + n * 4));
    }

    @Test
    void honestInputProvesInTheSameSmallHeap() throws Exception {
        Child c = opg("prove", "--model", model.toString(), "--input", honest.toString(), "--out", tmp.resolve("t.json").toString());
        assertEquals(ExitCodes.OK, c.code(), c.toString());
        System.out.println("honest prove under " + HEAP + ": peak RSS " + (c.peakRss() >> 20) + " MiB");
    }

    @Test
    void deflateBombThatLiesAboutItsSizeIsRefusedWithExit2() throws Exception {
        // 1 MiB of zip that declares a 784-float array and inflates to 1 GiB beyond it.
        byte[] array = npy("<f4", 784);
        Path bomb = tmp.resolve("lying.npz");
        Files.write(bomb, ZipBomb.zip(ZipBomb.list(ZipBomb.Member.of("arr_0.npy", array).withZeros(1L << 30).declaring(array.length))));
        System.out.println("lying bomb: " + Files.size(bomb) + " bytes on disk, inflates to " + ((1L << 30) + array.length));
        Child c = opg("prove", "--model", model.toString(), "--input", bomb.toString(), "--out", tmp.resolve("b.json").toString());
        assertBoundedRefusal(c, "inflates past its declared size");
        System.out.println("lying bomb: exit " + c.code() + ", peak RSS " + (c.peakRss() >> 20) + " MiB");
    }

    @Test
    void deflateBombThatDeclaresItsSizeHonestlyIsRefusedBeforeAllocating() throws Exception {
        // Consistent headers: 256 Mi float32 zeros (1 GiB, at the per-array cap) in about 1 MiB of zip.
        long n = dev.opg.core.io.Npy.MAX_ARRAY_BYTES / 4;
        byte[] header = ZipBomb.npyHeader("<f4", n);
        Path bomb = tmp.resolve("honest-bomb.npz");
        Files.write(bomb, ZipBomb.zip(ZipBomb.list(ZipBomb.Member.of("arr_0.npy", header).withZeros(n * 4))));
        // verify reads the transcript first: an honest one, so that the input is what is refused.
        Path t = tmp.resolve("t0.json");
        assertEquals(ExitCodes.OK, Cli.run("prove", "--model", model.toString(), "--input", honest.toString(), "--out", t.toString()).code());
        Child c = opg("verify", t.toString(), "--model", model.toString(), "--input", bomb.toString());
        assertBoundedRefusal(c, "raise -Xmx");
        System.out.println("declared bomb (" + Files.size(bomb) + " bytes, declares " + n * 4 + "): exit " + c.code()
                + ", peak RSS " + (c.peakRss() >> 20) + " MiB");
    }

    @Test
    void arrayAboveTheCapIsRefusedFromItsHeader() throws Exception {
        Path big = tmp.resolve("big.npy");
        Files.write(big, ZipBomb.npyHeader("<f8", 1L << 40)); // 8 TiB declared, 128 bytes on disk
        Child c = opg("prove", "--model", model.toString(), "--input", big.toString(), "--out", tmp.resolve("c.json").toString());
        assertBoundedRefusal(c, "the cap is " + dev.opg.core.io.Npy.MAX_ARRAY_BYTES);
    }

    @Test
    void aJvmErrorEndsWithExit3AndOneLine() throws Exception {
        // A transcript file under the 256 MiB cap but larger than the child's heap: reading it runs
        // out of memory for real. Exit 3 with one line, not exit 1 (INVALID) and a stack trace.
        Path t = tmp.resolve("huge.json");
        try (RandomAccessFile f = new RandomAccessFile(t.toFile(), "rw")) {
            f.setLength(200L << 20); // sparse: no disk is written
        }
        Child c = opg("inspect", t.toString());
        assertEquals(ExitCodes.ENVIRONMENT, c.code(), c.toString());
        assertEquals(1, c.errLines().size(), "one line on stderr: " + c);
        assertTrue(c.errLines().get(0).startsWith("opg: error: the JVM ran out of memory (OutOfMemoryError"), c.toString());
    }
}
