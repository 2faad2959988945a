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

    static void write(Transcript t, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            TranscriptCodec.write(t, file);
        } catch (IOException e) {
            throw CliException.environment("cannot write transcript " + file + ": " + e.getMessage(), e);
        }
    }
}
