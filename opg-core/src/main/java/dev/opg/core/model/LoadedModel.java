package dev.opg.core.model;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.translate.NoopTranslator;
import dev.opg.core.MalformedInputException;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A model the {@code opg} command loaded from a path, wrapped for recording. The path is one of
 * (the node steps of each; the recording options' granularity groups them into blocks):
 * <ul>
 *   <li>an {@code .onnx} file (ONNX Runtime engine, one node step per graph node);</li>
 *   <li>a TorchScript {@code .pt} file (PyTorch engine, one node step);</li>
 *   <li>a DJL model directory: {@value BlockSpec#FILE} (the architecture) with the DJL parameter
 *       file {@code NAME-NNNN.params} (one node step per layer; exactly one {@code .params} file), or a
 *       directory holding exactly one {@code .onnx}, {@code .pt}, {@code .pth} or
 *       {@code .torchscript} file and no {@code .params} file. Any other mix is refused, naming
 *       the files found, so the committed file is the one the engine loads.</li>
 * </ul>
 * The determinism profile is applied before the engine loads (see {@link dev.opg.core.engine.EngineSupport#apply}).
 */
public final class LoadedModel implements AutoCloseable {
    /** How the path was interpreted. */
    public enum Kind {
        /** A DJL block tree described by {@value BlockSpec#FILE}. */
        DJL_BLOCK,
        /** A TorchScript archive. */
        TORCHSCRIPT,
        /** An ONNX graph. */
        ONNX
    }

    /** File name endings an engine loads as a model. */
    private static final String[] ENGINE_FILES = {".onnx", ".pt", ".pth", ".torchscript"};

    /** A block factory that makes none: the engine loads the model file itself (see {@link #loadFile}). */
    static final ai.djl.nn.BlockFactory NO_BLOCK = new ai.djl.nn.BlockFactory() {
        private static final long serialVersionUID = 1L;

        @Override
        public Block newBlock(Model model, Path modelPath, java.util.Map<String, ?> arguments) {
            return null;
        }
    };

    private final Kind kind;
    private final Model model;
    private final VerifiableModel verifiable;

    private LoadedModel(Kind kind, Model model, VerifiableModel verifiable) {
        this.kind = kind;
        this.model = model;
        this.verifiable = verifiable;
    }

    /** What kind of model {@code path} holds, without loading it. */
    public static Kind kindOf(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new MalformedInputException("model " + path + " does not exist");
        }
        if (Files.isDirectory(path)) {
            // every file an engine could take for the model: exactly one reading must remain, or the
            // commitment could cover one file while the engine runs another
            List<Path> engineFiles = files(path, ENGINE_FILES);
            List<Path> params = files(path, ".params");
            boolean spec = Files.isRegularFile(path.resolve(BlockSpec.FILE));
            if (spec && engineFiles.isEmpty() && params.size() == 1) {
                return Kind.DJL_BLOCK;
            }
            if (!spec && engineFiles.size() == 1 && params.isEmpty()) {
                return kindOf(engineFiles.get(0));
            }
            List<String> found = new java.util.ArrayList<>();
            if (spec) {
                found.add(BlockSpec.FILE);
            }
            engineFiles.forEach(f -> found.add(f.getFileName().toString()));
            params.forEach(f -> found.add(f.getFileName().toString()));
            throw new MalformedInputException("model directory " + path + " is ambiguous or incomplete: it must hold either "
                    + BlockSpec.FILE + " with exactly one .params file, or exactly one .onnx, .pt, .pth or .torchscript file "
                    + "and nothing else of these kinds; found " + (found.isEmpty() ? "none" : String.join(", ", found)));
        }
        refuseSiblings(path);
        String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".onnx")) {
            return Kind.ONNX;
        }
        if (n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".torchscript")) {
            return Kind.TORCHSCRIPT;
        }
        throw new MalformedInputException("model " + path + " is not a DJL model directory, an .onnx file or a TorchScript .pt file");
    }

    /** The DJL engine a model kind runs on. */
    public static String engineOf(Kind kind) {
        return kind == Kind.ONNX ? dev.opg.core.onnx.OnnxProfiles.ENGINE : dev.opg.core.engine.PyTorchSupport.ENGINE;
    }

    /**
     * Loads the model at {@code path} and wraps it; {@code profile} must already be applied
     * (see {@link dev.opg.core.engine.EngineSupport#apply}) for the model's engine.
     */
    public static LoadedModel open(Path path, DeterminismProfile profile, RecordingOptions options) throws IOException {
        Kind kind = kindOf(path);
        Model model = load(path);
        try {
            return new LoadedModel(kind, model, VerifiableModel.wrap(model, profile, options));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Loads the model at {@code path} without wrapping it (the caller closes it). */
    public static Model load(Path path) throws IOException {
        Kind kind = kindOf(path);
        return switch (kind) {
            case DJL_BLOCK -> loadBlock(path);
            case TORCHSCRIPT, ONNX -> loadFile(Files.isDirectory(path) ? files(path, ENGINE_FILES).get(0) : path, engineOf(kind));
        };
    }

    private static Model loadBlock(Path dir) throws IOException {
        BlockSpec spec = BlockSpec.read(dir);
        Model model = Model.newInstance(spec.name(), spec.engine());
        try {
            Block block = spec.build();
            model.setBlock(block);
            block.initialize(model.getNDManager(), DataType.FLOAT32, spec.shape());
            model.load(dir, spec.name());
            return model;
        } catch (MalformedModelException | IllegalArgumentException | IllegalStateException e) {
            model.close();
            throw new MalformedInputException("cannot load the parameters of " + dir + " (" + spec.name()
                    + "-NNNN.params) into the architecture of " + BlockSpec.FILE + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static Model loadFile(Path file, String engine) throws IOException {
        Criteria<NDList, NDList> c = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(file)
                .optEngine(engine)
                .optTranslator(new NoopTranslator())
                // Without a factory given, DJL searches the model's directory (its classes/ folder and
                // its .jar files) for a BlockFactory and runs it: code from whoever wrote that
                // directory, run by the verifier. This one makes no block, so the file is loaded as it is.
                .optArgument("blockFactory", NO_BLOCK)
                .build();
        try {
            return c.loadModel();
        } catch (ModelNotFoundException | MalformedModelException e) {
            throw new MalformedInputException("cannot load " + engine + " model " + file + ": " + e.getMessage(), e);
        } catch (ai.djl.engine.EngineException e) {
            throw new MalformedInputException("the " + engine + " engine cannot load " + file + ": " + firstLine(e.getMessage()), e);
        }
    }

    /** The input shapes the model declares, as "; it declares x (1, 784)" (-1: any size), or "" where it declares none. */
    private String declared() {
        if (kind == Kind.TORCHSCRIPT) {
            return ""; // a TorchScript module declares no input shapes (DJL reports those of its last call)
        }
        ai.djl.util.PairList<String, ai.djl.ndarray.types.Shape> in;
        try {
            in = model.describeInput();
        } catch (RuntimeException e) {
            return "";
        }
        if (in == null || in.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < in.size(); i++) {
            if (in.get(i).getValue() == null) {
                return ""; // shapes DJL does not know (ONNX Runtime's own message names what it expected)
            }
            String name = in.get(i).getKey();
            sb.append(i == 0 ? "" : ", ").append(name == null || name.isEmpty() ? "input " + i : name).append(' ')
                    .append(in.get(i).getValue());
        }
        return "; it declares " + sb;
    }

    /**
     * The engine's reason in one line: for a TorchScript traceback, its last "SomethingError: ..."
     * line (what went wrong, e.g. the shape the operation expected), else the first line.
     */
    static String reason(String message) {
        if (message == null) {
            return "";
        }
        String found = null;
        for (String line : message.split("\n")) {
            if (line.matches("^[A-Za-z.]*Error: .*")) {
                found = line.strip();
            }
        }
        return found != null ? found : firstLine(message);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * DJL loads a model file by directory and name ({@code m.pt}, {@code m.pth}, {@code m}, ...) and
     * opg commits the file it finds the same way, so another file with the same stem beside the
     * given one could be loaded or committed instead: refused, naming both.
     */
    private static void refuseSiblings(Path file) throws IOException {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot < 0 ? name : name.substring(0, dot);
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null) {
            return;
        }
        List<String> others = new java.util.ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> !p.getFileName().toString().equals(name)).forEach(p -> {
                String n = p.getFileName().toString();
                if (n.equals(stem)) {
                    others.add(n);
                }
                for (String e : ENGINE_FILES) {
                    if (n.equalsIgnoreCase(stem + e)) {
                        others.add(n);
                    }
                }
            });
        }
        if (!others.isEmpty()) {
            throw new MalformedInputException("model " + file + " is ambiguous: its directory also holds " + String.join(", ", others)
                    + ", which the engine could load under the same name; keep one model file per name");
        }
    }

    private static List<Path> files(Path dir, String... exts) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                for (String e : exts) {
                    if (n.endsWith(e)) {
                        return true;
                    }
                }
                return false;
            }).sorted().toList();
        }
    }

    public Kind kind() {
        return kind;
    }

    public Model model() {
        return model;
    }

    public VerifiableModel verifiable() {
        return verifiable;
    }

    /**
     * Runs and records one prediction; the outputs live in the inputs' manager.
     *
     * @throws MalformedInputException if the engine rejects the inputs (wrong shape, dtype or count)
     */
    public Prediction<NDList> predict(NDList inputs) {
        try {
            return verifiable.predict(inputs);
        } catch (ai.djl.engine.EngineException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw cannotRun(inputs, e);
        } catch (dev.opg.core.OpgException e) {
            if (e.getCause() instanceof ai.onnxruntime.OrtException o && o.getCode() == ai.onnxruntime.OrtException.OrtErrorCode.ORT_INVALID_ARGUMENT) {
                throw cannotRun(inputs, o); // ONNX Runtime refused the inputs (rank, shape, dtype): bad input, not a failed engine
            }
            throw e;
        }
    }

    private MalformedInputException cannotRun(NDList inputs, Exception e) {
        StringBuilder shapes = new StringBuilder();
        for (var a : inputs) {
            shapes.append(shapes.length() == 0 ? "" : ", ").append(a.getDataType().toString().toLowerCase(Locale.ROOT))
                    .append(a.getShape());
        }
        return new MalformedInputException("the model cannot run on the given input (" + shapes + ")" + declared() + ": "
                + reason(e.getMessage()), e);
    }

    @Override
    public void close() {
        try {
            verifiable.close();
        } finally {
            model.close();
        }
    }
}
