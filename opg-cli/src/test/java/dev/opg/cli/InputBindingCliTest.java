package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.cli.npy.NpyArray;
import dev.opg.cli.npy.Npz;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code opg prove}/{@code verify} pass .npz member names through to the ONNX binding: the same
 * two arrays under swapped names prove a transcript that does not verify against the unswapped
 * file (exit 1, the header's inputs named), beside the honest control (exit 0).
 */
class InputBindingCliTest {
    @TempDir
    Path tmp;

    private static Path npz(Path file, String first, String second) throws Exception {
        Map<String, NpyArray> in = new LinkedHashMap<>();
        in.put(first, NpyArray.ofFloat32(new float[] {3f, 1f}, 2));
        in.put(second, NpyArray.ofFloat32(new float[] {1f, 5f}, 2));
        Npz.write(in, file);
        return file;
    }

    @Test
    void aTranscriptOfSwappedMemberNamesDoesNotVerifyAgainstTheUnswappedFile() throws Exception {
        Path model = tmp.resolve("sub").resolve("sub.onnx");
        Files.createDirectories(model.getParent());
        Files.write(model, subModel());
        Path honestIn = npz(tmp.resolve("xy.npz"), "x", "y");
        Path swappedIn = npz(tmp.resolve("yx.npz"), "y", "x");
        Path honest = tmp.resolve("honest.json");
        Path swapped = tmp.resolve("swapped.json");
        Cli.Result p1 = Cli.run("prove", "--model", model.toString(), "--input", honestIn.toString(), "--out", honest.toString());
        assertEquals(0, p1.code(), p1.toString());
        Cli.Result p2 = Cli.run("prove", "--model", model.toString(), "--input", swappedIn.toString(), "--out", swapped.toString());
        assertEquals(0, p2.code(), p2.toString());
        assertTrue(Files.readString(swapped).contains("\"inputs\":[{\"name\":\"y\","), Files.readString(swapped));

        Cli.Result ok = Cli.run("verify", honest.toString(), "--model", model.toString(), "--input", honestIn.toString());
        assertEquals(0, ok.code(), ok.toString());
        Cli.Result bad = Cli.run("verify", swapped.toString(), "--model", model.toString(), "--input", honestIn.toString());
        assertEquals(1, bad.code(), bad.toString());
        assertTrue(bad.out().startsWith("INVALID"), bad.toString());
        assertTrue(bad.out().contains("y="), bad.toString());
        Cli.Result own = Cli.run("verify", swapped.toString(), "--model", model.toString(), "--input", swappedIn.toString());
        assertEquals(0, own.code(), own.toString());
    }

    /** out = x - y, x and y float32 [2]: a minimal ONNX ModelProto (ir 8, opset 13). */
    static byte[] subModel() {
        byte[] type = msg(1, cat(varint(1, 1), msg(2, msg(1, varint(1, 2)))));
        byte[] node = cat(str(1, "x"), str(1, "y"), str(2, "out"), str(3, "sub"), str(4, "Sub"));
        byte[] graph = cat(msg(1, node), str(2, "g"), msg(11, cat(str(1, "x"), msg(2, type))),
                msg(11, cat(str(1, "y"), msg(2, type))), msg(12, cat(str(1, "out"), msg(2, type))));
        return cat(varint(1, 8), str(2, "opg-test"), msg(7, graph), msg(8, cat(str(1, ""), varint(2, 13))));
    }

    private static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    private static byte[] vb(long v) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        while ((v & ~0x7fL) != 0) {
            o.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
        return o.toByteArray();
    }

    private static byte[] varint(int field, long v) {
        return cat(vb((long) field << 3), vb(v));
    }

    private static byte[] msg(int field, byte[] body) {
        return cat(vb(((long) field << 3) | 2), vb(body.length), body);
    }

    private static byte[] str(int field, String s) {
        return msg(field, s.getBytes(StandardCharsets.UTF_8));
    }
}
