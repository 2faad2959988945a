package dev.opg.cli;

import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading and writing transcript files with one-line errors that name the file. */
final class Transcripts {
    private Transcripts() {}

    static Transcript read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw CliException.usage("transcript " + file + " does not exist or is not a file");
        }
        try {
            return TranscriptCodec.read(file);
        } catch (NoSuchFileException e) {
            throw CliException.usage("transcript " + file + " does not exist");
        } catch (IOException e) {
            throw CliException.usage("cannot read transcript " + file + ": " + e.getMessage());
        } catch (MalformedInputException e) {
            throw new CliException(ExitCodes.USAGE, "transcript " + file + " is not a valid opg transcript: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses, as bad usage, a model file that cannot be the transcript's: one that runs on another
     * engine than the transcript's profile names (an ONNX file for a transcript proven with PyTorch,
     * or the reverse). Said in the command's terms, before any engine loads.
     */
    static void requireEngine(Path transcriptFile, Transcript t, Path model) throws IOException {
        if (model == null) {
            return;
        }
        String engine = dev.opg.core.model.LoadedModel.engineOf(dev.opg.core.model.LoadedModel.kindOf(model));
        String proven = t.profile().engine();
        if (!engine.equals(proven)) {
            throw CliException.usage(transcriptFile + " was proven on " + proven + ", but --model " + model + " is "
                    + describe(engine) + "; pass the model the transcript was proven with (" + describe(proven) + ")");
        }
    }

    private static String describe(String engine) {
        return switch (engine) {
            case "PyTorch" -> "a DJL model directory or a TorchScript file, which runs on PyTorch";
            case "OnnxRuntime" -> "an ONNX model, which runs on OnnxRuntime";
            default -> "a model that runs on " + engine;
        };
    }

    /**
     * Refuses, as bad usage and before any work, an output path whose directory does not exist:
     * {@code opg} writes into directories the user made, it never creates them (a typo in a path
     * would otherwise scatter results where nobody looks).
     *
     * @param option the option that named {@code file}, for the message
     */
    static void requireParent(Path file, String option) {
        if (file == null) {
            return;
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw CliException.usage(option + " " + file + ": directory " + parent + " does not exist; create it first");
        }
    }

    static void write(Transcript t, Path file) {
        try {
            TranscriptCodec.write(t, file);
        } catch (IOException e) {
            throw CliException.environment("cannot write transcript " + file + ": " + e.getMessage(), e);
        }
    }
}
