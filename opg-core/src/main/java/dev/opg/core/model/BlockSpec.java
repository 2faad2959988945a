package dev.opg.core.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opg.core.MalformedInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import ai.djl.util.Pair;

/**
 * The architecture of a DJL model directory, as data: {@value #FILE} beside the DJL parameter
 * file ({@code NAME-0000.params}, what {@code Model.save} writes). DJL's parameter files hold
 * weights but not the block structure, so a directory needs this to be loadable by the
 * {@code opg} command without the Java code that built the block.
 *
 * <pre>{@code
 * {"format":"opg-block","version":1,"name":"mnist-mlp","engine":"PyTorch","inputShape":[1,784],
 *  "layers":[{"type":"linear","units":128},{"type":"relu"},{"type":"linear","units":10}]}
 * }</pre>
 *
 * Layer types: {@code linear} (units, bias), {@code relu}, {@code sigmoid}, {@code tanh},
 * {@code softmax} (last axis), {@code flatten}, {@code conv2d} (filters, kernel, stride,
 * padding), {@code batchNorm}, {@code maxPool2d} / {@code avgPool2d} (kernel, stride),
 * {@code dropout} (rate; identity at inference) and {@code sequential} (layers).
 *
 * @param name the model name (and the parameter file prefix)
 * @param engine the DJL engine ({@code PyTorch})
 * @param inputShape the input shape the block is initialized with
 * @param layers the layer list, as JSON objects
 */
public record BlockSpec(String name, String engine, long[] inputShape, List<JsonNode> layers) {
    /** File name of the architecture description in a model directory. */
    public static final String FILE = "opg-block.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public BlockSpec {
        inputShape = inputShape.clone();
        layers = List.copyOf(layers);
    }

    @Override
    public long[] inputShape() {
        return inputShape.clone();
    }

    /** A spec from layer objects built with {@link #layer}. */
    public static BlockSpec of(String name, long[] inputShape, JsonNode... layers) {
        return new BlockSpec(name, "PyTorch", inputShape, List.of(layers));
    }

    /** One layer object: {@code layer("linear", "units", 64)}. */
    public static ObjectNode layer(String type, Object... keyValues) {
        ObjectNode o = JSON.createObjectNode().put("type", type);
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            o.set((String) keyValues[i], JSON.valueToTree(keyValues[i + 1]));
        }
        return o;
    }

    /** Reads {@value #FILE} from a model directory. */
    public static BlockSpec read(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        JsonNode o;
        try {
            o = JSON.readTree(f.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new MalformedInputException(f + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (o == null || !"opg-block".equals(o.path("format").asText()) || o.path("version").asInt() != 1) {
            throw new MalformedInputException(f + " is not an opg-block version 1 description");
        }
        List<JsonNode> layers = new ArrayList<>();
        o.path("layers").forEach(layers::add);
        long[] shape = longs(o.path("inputShape"), f + " inputShape");
        String name = o.path("name").asText("");
        if (name.isEmpty() || layers.isEmpty() || shape.length == 0) {
            throw new MalformedInputException(f + " needs a name, an inputShape and at least one layer");
        }
        return new BlockSpec(name, o.path("engine").asText("PyTorch"), shape, layers);
    }

    /** Writes {@value #FILE} into {@code dir}. */
    public void write(Path dir) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", "opg-block");
        o.put("version", 1);
        o.put("name", name);
        o.put("engine", engine);
        ArrayNode s = o.putArray("inputShape");
        for (long d : inputShape) {
            s.add(d);
        }
        o.putArray("layers").addAll(layers);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
    }

    /**
     * Saves this architecture as a model directory with untrained weights: each parameter's values
     * drawn in order from a {@link SplittableRandom} of {@code seed}, uniform in [-0.1, 0.1). The
     * DJL parameter file ({@code NAME-0000.params}) and {@value #FILE} are written into
     * {@code dir}; the same seed gives the same bytes. For demos and benchmarks, where proving costs
     * what it costs with trained weights. The engine's determinism profile must already be applied.
     *
     * @return {@code dir}
     */
    public Path saveWithSeededWeights(Path dir, long seed) throws IOException {
        try (Model m = Model.newInstance(name, engine)) {
            Block block = build();
            m.setBlock(block);
            block.initialize(m.getNDManager(), DataType.FLOAT32, shape());
            SplittableRandom rnd = new SplittableRandom(seed);
            for (Pair<String, Parameter> p : block.getParameters()) {
                NDArray a = p.getValue().getArray();
                float[] v = new float[(int) a.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) ((rnd.nextDouble() - 0.5) * 0.2);
                }
                a.set(v);
            }
            Files.createDirectories(dir);
            m.save(dir, name);
            write(dir);
        }
        return dir;
    }

    /** Builds the (uninitialized) block. */
    public Block build() {
        return sequential(layers, "layers");
    }

    /** The input shape as a DJL shape. */
    public Shape shape() {
        return new Shape(inputShape);
    }

    private static SequentialBlock sequential(List<JsonNode> layers, String where) {
        SequentialBlock b = new SequentialBlock();
        for (int i = 0; i < layers.size(); i++) {
            b.add(layer(layers.get(i), where + "[" + i + "]"));
        }
        return b;
    }

    private static Block layer(JsonNode l, String where) {
        String type = l.path("type").asText("");
        return switch (type) {
            case "linear" -> Linear.builder().setUnits(positive(l, "units", where)).optBias(l.path("bias").asBoolean(true)).build();
            case "relu" -> Activation.reluBlock();
            case "sigmoid" -> Activation.sigmoidBlock();
            case "tanh" -> Activation.tanhBlock();
            case "softmax" -> new LambdaBlock(x -> new NDList(x.singletonOrThrow().softmax(-1)), "softmax");
            case "flatten" -> Blocks.batchFlattenBlock();
            case "dropout" -> Dropout.builder().optRate((float) l.path("rate").asDouble(0.5)).build();
            case "batchNorm" -> BatchNorm.builder().build();
            case "conv2d" -> {
                Conv2d.Builder c = Conv2d.builder().setFilters((int) positive(l, "filters", where))
                        .setKernelShape(new Shape(longs(l.path("kernel"), where + ".kernel")));
                if (l.has("stride")) {
                    c.optStride(new Shape(longs(l.path("stride"), where + ".stride")));
                }
                if (l.has("padding")) {
                    c.optPadding(new Shape(longs(l.path("padding"), where + ".padding")));
                }
                yield c.build();
            }
            case "maxPool2d", "avgPool2d" -> {
                Shape k = new Shape(longs(l.path("kernel"), where + ".kernel"));
                Shape s = l.has("stride") ? new Shape(longs(l.path("stride"), where + ".stride")) : k;
                yield type.equals("maxPool2d") ? Pool.maxPool2dBlock(k, s) : Pool.avgPool2dBlock(k, s);
            }
            case "sequential" -> {
                List<JsonNode> inner = new ArrayList<>();
                l.path("layers").forEach(inner::add);
                yield sequential(inner, where + ".layers");
            }
            default -> throw new MalformedInputException(where + ": unknown layer type '" + type + "'; expected linear, relu, "
                    + "sigmoid, tanh, softmax, flatten, dropout, batchNorm, conv2d, maxPool2d, avgPool2d or sequential");
        };
    }

    private static long positive(JsonNode l, String key, String where) {
        long v = l.path(key).asLong(0);
        if (v <= 0) {
            throw new MalformedInputException(where + ": '" + key + "' must be a positive integer");
        }
        return v;
    }

    private static long[] longs(JsonNode a, String where) {
        if (!a.isArray()) {
            throw new MalformedInputException(where + " must be an array of integers");
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).canConvertToLong() || a.get(i).asLong() < 0) {
                throw new MalformedInputException(where + "[" + i + "] must be a non-negative integer");
            }
            out[i] = a.get(i).asLong();
        }
        return out;
    }
}
