package dev.opg.cli;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.engine.EngineSupport;
import dev.opg.core.io.Inputs;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.witness.WitnessTensor;
import dev.opg.core.io.Npz;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.PartitionException;
import dev.opg.core.transcript.Transcript;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SequencedMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code opg prove}: runs a model on an input under a pinned determinism profile, writes the
 * transcript and prints its root. With {@code --input DIR} every .npy/.npz file in the directory
 * is proven ({@code --out} is then a directory) behind a progress bar. {@code --granularity} and
 * {@code --partition} choose how finely the steps commit (recorded in the header; a verifier
 * re-records the same way).
 */
@Command(name = "prove", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:proven (the root is printed, the transcript written)", "2:bad usage or unreadable input (the message says which)", "3:engine error or a file that cannot be written"},
        description = {"Run a model on an input, record the execution transcript, and print its Merkle root.",
                "--model takes a DJL model directory (opg-block.json + .params), an .onnx file or a TorchScript .pt file;",
                "--input a .npy (one tensor) or .npz (named tensors, in the model's input order), or a directory of them."})
public final class ProveCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "Model directory, .onnx or .pt file.")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "FILE|DIR", description = ".npy/.npz input, or a directory of them.")
    Path input;

    @Option(names = "--out", required = true, paramLabel = "TRANSCRIPT", description = "Transcript file to write (a directory when --input is one).")
    Path out;

    @Option(names = "--witness", paramLabel = "DIR", description = "Also write the witness (every step tensor) to DIR.")
    Path witness;

    @Option(names = "--mode", defaultValue = "full", paramLabel = "full|sketch",
            description = "Commitment mode: full (bit-exact digests, default) or sketch (projections for tolerant checks).")
    String mode;

    @Option(names = "--sketch-dim", paramLabel = "K", description = "Values per sketch in sketch mode (default ${DEFAULT-VALUE}).", defaultValue = "16")
    int sketchDim;

    @Option(names = "--output-file", paramLabel = "FILE", description = "Write the model outputs as .npz (a directory when --input is one).")
    Path outputFile;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "Engine threads (intra-op and inter-op), recorded in the profile (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "Engine random seed, recorded in the profile (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--granularity", defaultValue = "block", paramLabel = "node|block|output",
            description = {"What each step commits to (recorded in the header): node (every operator output hashed), block "
                    + "(default: the values crossing block boundaries; blocks from the model by the spec's default rule, or --partition) "
                    + "or output (the model's inputs and outputs only, one step)."})
    String granularity;

    @Option(names = "--partition", paramLabel = "CUT[,CUT...]",
            description = "Block granularity only: the node step names where blocks 2, 3, ... start, in execution order "
                    + "(default: the model's own partition). `opg prove --granularity node` and `opg inspect --all` list the node steps.")
    String partition;

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        RecordingOptions options = switch (mode.toLowerCase(java.util.Locale.ROOT)) {
            case "full" -> RecordingOptions.full();
            case "sketch" -> RecordingOptions.sketch(sketchDim);
            default -> throw CliException.usage("--mode must be full or sketch; got " + mode);
        };
        if (witness != null) {
            options = options.withWitness();
        }
        options = Partitions.apply(options, granularity, partition);
        if (threads < 1) {
            throw CliException.usage("--threads must be >= 1");
        }
        Transcripts.requireParent(out, "--out");
        Transcripts.requireParent(witness, "--witness");
        Transcripts.requireParent(outputFile, "--output-file");
        boolean batch = Files.isDirectory(input);
        List<Path> inputs = batch ? Inputs.list(input) : List.of(input);
        if (batch) { // a directory of inputs: --out (and --output-file) name directories, made inside existing ones
            Files.createDirectories(out);
            if (outputFile != null) {
                Files.createDirectories(outputFile);
            }
        }
        if (!batch) {
            Inputs.read(input); // unreadable input is a usage error before any engine loads
        }
        DeterminismProfile profile = EngineSupport.of(LoadedModel.engineOf(LoadedModel.kindOf(model))).apply(threads, threads, seed);
        try (LoadedModel m = LoadedModel.open(model, profile, options);
                ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "proving", inputs.size(),
                        batch && ProgressBar.isTerminal())) {
            for (Path in : inputs) {
                String stem = stem(in);
                Path tOut = batch ? out.resolve(stem + ".json") : out;
                Path wOut = witness == null ? null : batch ? witness.resolve(stem) : witness;
                Path oOut = outputFile == null ? null : batch ? outputFile.resolve(stem + ".npz") : outputFile;
                Transcript t = proveOne(m, in, tOut, wOut, oOut);
                if (batch) {
                    o.println(t.root().hex() + "  " + tOut);
                } else {
                    o.println(t.root().hex());
                }
                bar.step();
            }
        }
        o.flush();
        return ExitCodes.OK;
    }

    static Transcript proveOne(LoadedModel m, Path in, Path tOut, Path wOut, Path oOut) throws IOException {
        SequencedMap<String, WitnessTensor> arrays = Inputs.read(in);
        try (NDManager manager = m.model().getNDManager().newSubManager()) {
            NDList x = Inputs.toNDList(manager, arrays);
            Prediction<NDList> p;
            try {
                p = m.predict(x);
            } catch (PartitionException e) {
                // An explicit partition the model does not have on this input: say which cut, and what the model has.
                throw Partitions.explain(m, x, in, e);
            }
            Transcripts.write(p.transcript(), tOut);
            if (wOut != null) {
                if (p.witness().isEmpty()) {
                    throw CliException.environment("the recorder kept no witness", null);
                }
                p.witness().get().writeDirectory(wOut);
            }
            if (oOut != null) {
                Npz.write(Inputs.fromNDList(p.output()), oOut);
            }
            return p.transcript();
        }
    }

    static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** The commitment mode option as an enum (for other commands). */
    static CommitmentMode modeOf(String s) {
        return CommitmentMode.fromSpecName(s.toLowerCase(java.util.Locale.ROOT));
    }
}
