package dev.opg.core.generate;

import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.core.profile.DeterminismProfile;
import java.nio.file.Files;
import java.nio.file.Path;

/** The committed example decoder (opg-examples/models/kjv-gpt, trained by train_gpt.py on Genesis, KJV). */
public final class KjvGpt {
    private KjvGpt() {}

    /** The model directory, found from the module or the repository root. */
    public static Path dir() {
        for (Path p : new Path[] {Path.of("../opg-examples/models/kjv-gpt"), Path.of("opg-examples/models/kjv-gpt")}) {
            if (Files.isDirectory(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("opg-examples/models/kjv-gpt not found from " + Path.of("").toAbsolutePath());
    }

    public static DeterminismProfile profile() {
        return OnnxProfiles.apply(1, 1, 0);
    }

    public static DecoderModel open() {
        return DecoderModel.open(dir(), profile());
    }
}
