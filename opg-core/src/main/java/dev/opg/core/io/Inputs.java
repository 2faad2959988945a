package dev.opg.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.opg.core.witness.WitnessTensor;
import dev.opg.core.MalformedInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.SequencedMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Model inputs and outputs as NumPy files: a {@code .npy} is one tensor, a {@code .npz} holds
 * named tensors in the model's input order. Arrays named by {@code numpy.savez}'s positional
 * scheme ({@code arr_0}, ...) are passed by position; other names are set on the engine arrays,
 * so an engine that matches inputs by name (ONNX Runtime) can do so.
 */
public final class Inputs {
    private static final Pattern POSITIONAL = Pattern.compile("arr_\\d+");

    private Inputs() {}

    /** Reads a .npy or .npz file into named arrays, in file order. */
    public static SequencedMap<String, WitnessTensor> read(Path file) throws IOException {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!Files.isRegularFile(file)) {
            throw new MalformedInputException("input " + file + " does not exist or is not a file");
        }
        if (n.endsWith(".npz")) {
            return Npz.read(file);
        }
        if (n.endsWith(".npy")) {
            SequencedMap<String, WitnessTensor> m = new LinkedHashMap<>();
            m.put("arr_0", Npy.read(file));
            return m;
        }
        throw new MalformedInputException("input " + file + " is neither a .npy nor a .npz file");
    }

    /** The .npy and .npz files in a directory, sorted by name (for {@code prove --input DIR}). */
    public static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = new ArrayList<>(s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".npy") || n.endsWith(".npz");
            }).sorted().toList());
            if (files.isEmpty()) {
                throw new MalformedInputException("input directory " + dir + " holds no .npy or .npz files");
            }
            return files;
        }
    }

    /** The arrays as engine arrays in {@code manager}, in order. */
    public static NDList toNDList(NDManager manager, SequencedMap<String, WitnessTensor> arrays) {
        NDList list = new NDList(arrays.size());
        for (var e : arrays.entrySet()) {
            WitnessTensor a = e.getValue();
            ByteBuffer data = a.buffer(); // a view: no copy of the array before the one into the engine
            ByteBuffer buf = manager.allocateDirect(data.remaining());
            buf.order(ByteOrder.LITTLE_ENDIAN).put(data).rewind();
            NDArray nd = manager.create(buf, new Shape(a.shape()), a.dtype().toDjl());
            if (!POSITIONAL.matcher(e.getKey()).matches()) {
                nd.setName(e.getKey());
            }
            list.add(nd);
        }
        return list;
    }

    /** Engine arrays as NumPy arrays, named by their engine names or {@code output_i}. */
    public static SequencedMap<String, WitnessTensor> fromNDList(NDList list) {
        SequencedMap<String, WitnessTensor> out = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            NDArray a = list.get(i);
            WitnessTensor t = WitnessTensor.of(a);
            String name = a.getName();
            if (name == null || name.isBlank() || out.containsKey(name) || !name.matches("[A-Za-z0-9_.:-]+")) {
                name = "output_" + i;
            }
            out.put(name, new WitnessTensor(t.dtype(), t.shape(), t.data()));
        }
        return out;
    }
}
