package dev.opg.cli;

import dev.opg.core.model.ModelIds;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.store.ArtifactMismatchException;
import dev.opg.core.store.ModelStore;
import dev.opg.core.store.StoredModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code opg model}: the local content-addressed model store (spec section 5.2). {@code add} copies
 * model files or directories in, keyed by artifact digest and model id (computed from the copy by
 * loading it); {@code list} shows what is stored; {@code check} recomputes an entry's digest and
 * model id.
 */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = {"The local model store: artifacts kept by file digest and model id.",
                "Subcommands: add FILE|DIR..., list, check ID."},
        subcommands = {ModelCommand.Add.class, ModelCommand.ListCommand.class, ModelCommand.Check.class})
public final class ModelCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("opg model: no subcommand given (add, list or check)");
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    static String line(StoredModel m) {
        return m.modelId().hex() + "  " + m.digest() + "  " + m.kind() + "  " + m.artifact();
    }

    /** {@code opg model add FILE|DIR...}. */
    @Command(name = "add", mixinStandardHelpOptions = true,
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:stored (one line per artifact)", "2:bad usage or unreadable input (the message says which)", "3:a file that cannot be written"},
            description = {"Copy model artifacts into the store, keyed by their file digest (sha256 of a file, dirHash of a "
                    + "directory) and their model id, both computed from the stored copy.",
                    "Prints, per artifact: model id, digest, kind, stored path."})
    static final class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CommonOptions common;
        @Mixin
        StoreOptions store;

        @Parameters(arity = "1..*", paramLabel = "FILE|DIR",
                description = "A DJL model directory, an .onnx or TorchScript file, or a directory holding one.")
        List<Path> artifacts;

        @Override
        public Integer call() throws IOException {
            ModelStore s = store.open();
            PrintWriter out = spec.commandLine().getOut();
            for (Path a : artifacts) {
                StoredModel m = s.add(a, ModelIds.defaults());
                out.println(line(m));
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    /** {@code opg model list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:listed", "2:bad usage or unreadable input (the message says which)"},
            description = {"List the store's entries as recorded (model id, digest, kind, path); opg model check recomputes them."})
    static final class ListCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CommonOptions common;
        @Mixin
        StoreOptions store;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            for (StoredModel m : store.open().list()) {
                out.println(line(m));
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    /** {@code opg model check ID}. */
    @Command(name = "check", mixinStandardHelpOptions = true,
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:every stored artifact checks", "1:one was altered (it is named)", "2:the store holds none, or bad usage"},
            description = {"Recompute the digest and the model id of every stored artifact of model ID (or with this artifact digest)."})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CommonOptions common;
        @Mixin
        StoreOptions store;

        @Parameters(index = "0", paramLabel = "ID", description = "A model id or an artifact digest (64 hex digits).")
        String id;

        @Override
        public Integer call() throws IOException {
            Digest d = ModelIdOptions.digest(id, "ID");
            ModelStore s = store.open();
            List<StoredModel> entries = s.withModelId(d);
            if (entries.isEmpty()) {
                try {
                    entries = s.get(d).map(List::of).orElse(List.of());
                } catch (ArtifactMismatchException e) {
                    spec.commandLine().getOut().println("ALTERED " + e.getMessage());
                    return ExitCodes.INVALID;
                }
            }
            if (entries.isEmpty()) {
                throw CliException.usage("the store " + s.root() + " holds no model or artifact " + d.hex());
            }
            PrintWriter out = spec.commandLine().getOut();
            int code = ExitCodes.OK;
            for (StoredModel m : entries) {
                try {
                    s.check(m, null, ModelIds.defaults());
                    out.println("OK " + line(m));
                } catch (ArtifactMismatchException e) {
                    out.println("ALTERED " + e.getMessage());
                    code = ExitCodes.INVALID;
                } catch (MalformedInputException e) {
                    out.println("ALTERED " + m.artifact() + " no longer loads as a model: " + e.getMessage());
                    code = ExitCodes.INVALID;
                }
            }
            out.flush();
            return code;
        }
    }
}
