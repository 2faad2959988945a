package dev.opg.core.engine;

import ai.djl.Model;
import dev.opg.core.djl.UnsupportedModelException;
import java.nio.file.Path;

/** Finds the file a DJL model was loaded from, so its commitment is computed over the bytes the engine runs. */
public final class ModelFiles {
    private ModelFiles() {}

    private static final java.util.regex.Pattern MODEL_FILE = java.util.regex.Pattern.compile(".*\\.(pt|pth|torchscript|onnx|ort|zip)");

    /**
     * The model file DJL loads for {@code model}: its model path where that is a file, else
     * {@code NAME.ext} in its directory, else the directory's one model file with that extension.
     *
     * @throws UnsupportedModelException where there is none, or several candidates (the engine
     *     could load one while the model id commits to another)
     */
    public static Path find(Model model, String ext) {
        Path p = model.getModelPath();
        if (p == null) {
            throw new UnsupportedModelException("model '" + model.getName() + "' has no model path to read its " + ext + " file from");
        }
        if (java.nio.file.Files.isRegularFile(p)) {
            return p;
        }
        Path named = p.resolve(model.getName() + ext);
        if (java.nio.file.Files.isRegularFile(named)) {
            return named; // the file DJL loads for this model name
        }
        // Without NAME.ext the engine searches by its own rules: accept only a directory whose one
        // model file is unambiguous, so the engine cannot load one while the model id commits to another.
        try (var s = java.nio.file.Files.list(p)) {
            var found = s.filter(f -> MODEL_FILE.matcher(f.getFileName().toString().toLowerCase(java.util.Locale.ROOT)).matches())
                    .map(f -> f.getFileName().toString()).sorted().toList();
            if (found.size() == 1 && found.get(0).endsWith(ext)) {
                return p.resolve(found.get(0));
            }
            throw new UnsupportedModelException("expected exactly one model file (" + ext + ") in " + p + "; found " + found
                    + ": with several, the engine could load one while the model id commits to another");
        } catch (java.io.IOException e) {
            throw new UnsupportedModelException("cannot list " + p + ": " + e.getMessage(), e);
        }
    }
}
