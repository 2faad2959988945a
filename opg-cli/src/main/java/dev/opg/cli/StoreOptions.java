package dev.opg.cli;

import dev.opg.core.store.ModelStore;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the local model store is. */
public final class StoreOptions {
    @Option(names = "--store", paramLabel = "DIR",
            description = "The local model store (default: $OPG_MODEL_STORE, else ~/.opg/models).")
    Path store;

    public StoreOptions() {}

    StoreOptions(Path store) {
        this.store = store;
    }

    /** Opens (creating if needed) the store. */
    ModelStore open() {
        Path root = store != null ? store : ModelStore.defaultRoot();
        try {
            return ModelStore.open(root);
        } catch (IOException e) {
            throw new CliException(ExitCodes.ENVIRONMENT, "cannot open the model store " + root + ": " + e.getMessage(), e);
        }
    }
}
