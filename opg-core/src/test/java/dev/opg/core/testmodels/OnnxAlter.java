package dev.opg.core.testmodels;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a copy of an ONNX file with one weight changed, in place (the same bytes but for one
 * float32 element, so no length prefix moves): how a forger makes an altered model that still
 * runs. A minimal protobuf walk over ModelProto, GraphProto, NodeProto, AttributeProto and
 * TensorProto; only what the dispute tests (opg-verify, opg-cli) need.
 */
public final class OnnxAlter {
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int NODE_INPUT = 1;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;
    private static final int NODE_ATTRIBUTE = 5;
    private static final int ATTR_T = 5;
    private static final int ATTR_G = 6;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int FLOAT = 1;

    private OnnxAlter() {}

    /** One field of a message: its number, and its payload range (length-delimited) or value (varint). */
    private record Field(int number, int wire, int start, int end, long value) {
        String string(byte[] d) {
            return new String(d, start, end - start, StandardCharsets.UTF_8);
        }
    }

    private static List<Field> fields(byte[] d, int a, int b) {
        List<Field> out = new ArrayList<>();
        int[] p = {a};
        while (p[0] < b) {
            long key = varint(d, p);
            int number = (int) (key >>> 3);
            int wire = (int) (key & 7);
            switch (wire) {
                case 0 -> out.add(new Field(number, wire, p[0], p[0], varint(d, p)));
                case 1 -> {
                    out.add(new Field(number, wire, p[0], p[0] + 8, 0));
                    p[0] += 8;
                }
                case 2 -> {
                    int len = (int) varint(d, p);
                    out.add(new Field(number, wire, p[0], p[0] + len, 0));
                    p[0] += len;
                }
                case 5 -> {
                    out.add(new Field(number, wire, p[0], p[0] + 4, 0));
                    p[0] += 4;
                }
                default -> throw new IllegalArgumentException("wire type " + wire + " at " + p[0]);
            }
        }
        return out;
    }

    private static long varint(byte[] d, int[] p) {
        long r = 0;
        for (int s = 0;; s += 7) {
            byte b = d[p[0]++];
            r |= (long) (b & 0x7f) << s;
            if (b >= 0) {
                return r;
            }
        }
    }

    private static void addToFloat(byte[] d, int at, float delta) {
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        b.putFloat(at, b.getFloat(at) + delta);
    }

    /** The float32 raw data range of a TensorProto, or null. */
    private static int[] rawFloats(byte[] d, Field tensor) {
        long type = -1;
        int[] raw = null;
        for (Field f : fields(d, tensor.start(), tensor.end())) {
            if (f.number() == TENSOR_DATA_TYPE && f.wire() == 0) {
                type = f.value();
            } else if (f.number() == TENSOR_RAW_DATA && f.wire() == 2) {
                raw = new int[] {f.start(), f.end()};
            }
        }
        return type == FLOAT ? raw : null;
    }

    /**
     * Copies {@code src} to {@code dst} with element {@code element} of the float32 initializer
     * {@code name} of the main graph (stored as raw data) increased by {@code delta}.
     *
     * @return the names of the main graph's nodes that read that initializer
     */
    public static List<String> initializer(Path src, Path dst, String name, int element, float delta) throws IOException {
        byte[] d = Files.readAllBytes(src);
        List<String> readers = new ArrayList<>();
        boolean changed = false;
        for (Field g : fields(d, 0, d.length)) {
            if (g.number() != MODEL_GRAPH) {
                continue;
            }
            for (Field f : fields(d, g.start(), g.end())) {
                if (f.number() == GRAPH_INITIALIZER) {
                    String n = fields(d, f.start(), f.end()).stream().filter(x -> x.number() == TENSOR_NAME).findFirst()
                            .map(x -> x.string(d)).orElse("");
                    int[] raw = rawFloats(d, f);
                    if (n.equals(name) && raw != null && raw[0] + 4 * element + 4 <= raw[1]) {
                        addToFloat(d, raw[0] + 4 * element, delta);
                        changed = true;
                    }
                } else if (f.number() == GRAPH_NODE) {
                    List<Field> nf = fields(d, f.start(), f.end());
                    boolean reads = nf.stream().anyMatch(x -> x.number() == NODE_INPUT && x.string(d).equals(name));
                    if (reads) {
                        readers.add(nf.stream().filter(x -> x.number() == NODE_NAME).findFirst().map(x -> x.string(d)).orElse(""));
                    }
                }
            }
        }
        if (!changed) {
            throw new IllegalArgumentException("no float32 raw-data initializer '" + name + "' with an element " + element + " in " + src);
        }
        Files.createDirectories(dst.getParent());
        Files.write(dst, d);
        return readers;
    }

    /**
     * Copies {@code src} to {@code dst} with the middle element of the value of a {@code Constant}
     * node increased by {@code delta}: in every graph (the main graph and every subgraph, at any depth)
     * that has more than {@code which} Constant nodes whose float32 value holds at least
     * {@code minBytes} bytes of raw data, the {@code which}-th of them.
     *
     * @return the step-name suffix of each Constant changed: its name, or {@code Constant#<index in its graph>} where it has none
     */
    public static List<String> constant(Path src, Path dst, int minBytes, int which, float delta) throws IOException {
        byte[] d = Files.readAllBytes(src);
        List<String> changed = new ArrayList<>();
        for (Field g : fields(d, 0, d.length)) {
            if (g.number() == MODEL_GRAPH) {
                constants(d, g, minBytes, which, delta, changed);
            }
        }
        if (changed.isEmpty()) {
            throw new IllegalArgumentException("no graph of " + src + " has " + (which + 1) + " Constants of " + minBytes + " bytes");
        }
        Files.createDirectories(dst.getParent());
        Files.write(dst, d);
        return changed;
    }

    private static void constants(byte[] d, Field graph, int minBytes, int which, float delta, List<String> changed) {
        int node = 0;
        int found = 0;
        for (Field f : fields(d, graph.start(), graph.end())) {
            if (f.number() != GRAPH_NODE) {
                continue;
            }
            int index = node++;
            List<Field> nf = fields(d, f.start(), f.end());
            String op = nf.stream().filter(x -> x.number() == NODE_OP_TYPE).findFirst().map(x -> x.string(d)).orElse("");
            String name = nf.stream().filter(x -> x.number() == NODE_NAME).findFirst().map(x -> x.string(d)).orElse("");
            for (Field a : nf) {
                if (a.number() != NODE_ATTRIBUTE) {
                    continue;
                }
                for (Field af : fields(d, a.start(), a.end())) {
                    if (af.number() == ATTR_G && af.wire() == 2) {
                        constants(d, af, minBytes, which, delta, changed);
                    } else if (af.number() == ATTR_T && af.wire() == 2 && op.equals("Constant")) {
                        int[] raw = rawFloats(d, af);
                        if (raw != null && raw[1] - raw[0] >= minBytes && found++ == which) {
                            int n = (raw[1] - raw[0]) / 4;
                            addToFloat(d, raw[0] + 4 * (n / 2), delta);
                            changed.add(name.isEmpty() ? "Constant#" + index : name);
                        }
                    }
                }
            }
        }
    }
}
