package dev.opg.verify.generate;

import dev.opg.core.generate.DecoderModel;
import dev.opg.core.onnx.OnnxProfiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The committed decoders (opg-examples/models), and copies of them with one weight changed. */
final class Decoders {
    private Decoders() {}

    /** The example decoder, kjv-gpt. */
    static Path dir() {
        return dir("kjv-gpt");
    }

    /** The committed decoder {@code name} under opg-examples/models. */
    static Path dir(String name) {
        for (Path p : new Path[] {Path.of("../opg-examples/models", name), Path.of("opg-examples/models", name)}) {
            if (Files.isDirectory(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("opg-examples/models/" + name + " not found");
    }

    static DecoderModel open() {
        return DecoderModel.open(dir(), OnnxProfiles.apply(1, 1, 0));
    }

    /** A float32 initializer with raw data: its name, where its data starts in the file and how many floats it holds. */
    record Weight(String name, int offset, int count) {}

    /** Every float32 initializer with raw data in the top-level graph of {@code model}. */
    static List<Weight> weights(byte[] model) {
        List<Weight> out = new ArrayList<>();
        int[] graph = field(model, 0, model.length, 7);
        if (graph == null) {
            throw new IllegalStateException("no graph");
        }
        int p = graph[0];
        while (p < graph[1]) {
            long[] key = varint(model, p);
            p = (int) key[1];
            int wire = (int) (key[0] & 7);
            int number = (int) (key[0] >>> 3);
            if (wire == 2) {
                long[] len = varint(model, p);
                int start = (int) len[1];
                int end = start + (int) len[0];
                if (number == 5) {
                    int[] name = field(model, start, end, 8);
                    int[] raw = field(model, start, end, 9);
                    int[] type = varintField(model, start, end, 2);
                    if (name != null && raw != null && type != null && type[0] == 1) {
                        out.add(new Weight(new String(model, name[0], name[1] - name[0], StandardCharsets.UTF_8), raw[0], (raw[1] - raw[0]) / 4));
                    }
                }
                p = end;
            } else if (wire == 0) {
                p = (int) varint(model, p)[1];
            } else if (wire == 5) {
                p += 4;
            } else if (wire == 1) {
                p += 8;
            } else {
                throw new IllegalStateException("wire type " + wire);
            }
        }
        return out;
    }

    /** A copy of the example model directory whose weight {@code w} element {@code index} has {@code delta} added. */
    static Path tampered(Path tmp, Weight w, int index, float delta) throws IOException {
        return tampered(dir(), tmp, w, index, delta);
    }

    /** A copy of model directory {@code src} whose weight {@code w} element {@code index} has {@code delta} added. */
    static Path tampered(Path src, Path tmp, Weight w, int index, float delta) throws IOException {
        Path d = Files.createDirectories(tmp.resolve(w.name().replaceAll("[^A-Za-z0-9.]", "_") + "-" + index + "-" + delta));
        for (String f : List.of("tokenizer.json", "generation.json")) {
            Files.copy(src.resolve(f), d.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        byte[] m = Files.readAllBytes(src.resolve("model.onnx"));
        ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
        int at = w.offset() + 4 * index;
        b.putFloat(at, b.getFloat(at) + delta);
        Files.write(d.resolve("model.onnx"), m);
        return d;
    }

    static byte[] model() throws IOException {
        return Files.readAllBytes(dir().resolve("model.onnx"));
    }

    private static long[] varint(byte[] b, int p) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int x = b[p++] & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return new long[] {v, p};
            }
        }
        throw new IllegalStateException("varint too long");
    }

    /** [start, end) of the last length-delimited field {@code number} in b[from, to). */
    private static int[] field(byte[] b, int from, int to, int number) {
        int[] found = null;
        int p = from;
        while (p < to) {
            long[] key = varint(b, p);
            p = (int) key[1];
            int wire = (int) (key[0] & 7);
            if (wire == 2) {
                long[] len = varint(b, p);
                int start = (int) len[1];
                int end = start + (int) len[0];
                if ((key[0] >>> 3) == number) {
                    found = new int[] {start, end};
                }
                p = end;
            } else if (wire == 0) {
                p = (int) varint(b, p)[1];
            } else if (wire == 5) {
                p += 4;
            } else if (wire == 1) {
                p += 8;
            } else {
                throw new IllegalStateException("wire type " + wire);
            }
        }
        return found;
    }

    private static int[] varintField(byte[] b, int from, int to, int number) {
        int p = from;
        int[] found = null;
        while (p < to) {
            long[] key = varint(b, p);
            p = (int) key[1];
            int wire = (int) (key[0] & 7);
            if (wire == 0) {
                long[] v = varint(b, p);
                if ((key[0] >>> 3) == number) {
                    found = new int[] {(int) v[0]};
                }
                p = (int) v[1];
            } else if (wire == 2) {
                long[] len = varint(b, p);
                p = (int) len[1] + (int) len[0];
            } else if (wire == 5) {
                p += 4;
            } else if (wire == 1) {
                p += 8;
            } else {
                throw new IllegalStateException("wire type " + wire);
            }
        }
        return found;
    }
}
