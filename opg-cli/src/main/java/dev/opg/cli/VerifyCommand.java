package dev.opg.cli;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.cli.model.EngineProfiles;
import dev.opg.cli.model.Inputs;
import dev.opg.cli.model.LoadedModel;
import dev.opg.core.MalformedInputException;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.ProfileNotAppliedException;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptHeader;
import ai.djl.Model;
import dev.opg.core.witness.Witness;
import dev.opg.verify.CheckKind;
import dev.opg.verify.DjlStepExecutor;
import dev.opg.verify.HeaderField;
import dev.opg.verify.HeaderMismatch;
import dev.opg.verify.SpotChecker;
import dev.opg.verify.TensorSource;
import dev.opg.verify.Tolerance;
import dev.opg.verify.Verifier;
import dev.opg.verify.VerificationReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code opg verify}: re-executes the model on the input under the transcript's own profile and
 * compares the result leaf by leaf. Exit 0 VALID, 1 INVALID (the first divergent step or field is
 * printed), 2 bad usage or unreadable input, 3 when the process cannot run under the profile.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Re-execute a transcript's model on its input and compare every step.",
                "Exit 0 if VALID, 1 if INVALID (printing the first divergent step or field), 2 for bad usage or unreadable input."})
public final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "TRANSCRIPT", description = "The transcript to check.")
    Path transcript;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "Model directory, .onnx or .pt file.")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "The .npy/.npz input the transcript claims.")
    Path input;

    @Option(names = "--witness", paramLabel = "DIR", description = "Witness directory: with --spot, check steps alone from it.")
    Path witness;

    @Option(names = "--spot", paramLabel = "K", description = "Spot-check K random steps from the witness instead of re-running everything.")
    Integer spot;

    @Option(names = "--tolerance", paramLabel = "SPEC",
            description = "Compare sketch values with a tolerance: bitwise (default), abs=A[,rel=R], rel=R, ulps=N. "
                    + "Also allows a profile other than the transcript's (other hardware).")
    String tolerance;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Tolerance tol = parseTolerance(tolerance);
        Claim claim = readClaim(transcript);
        Inputs.read(input);
        Verification v = verify(claim, model, input, tol, witness, spot);
        out.println(v.line());
        for (String n : v.notes()) {
            out.println("  note: " + n);
        }
        out.flush();
        return v.code();
    }

    /** A transcript under test: strictly decoded, or (if only its root field is off) leniently. */
    record Claim(Transcript transcript, String problem) {}

    static Claim readClaim(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw CliException.usage("transcript " + file + " does not exist or is not a file");
        }
        TranscriptCodec.ClaimedTranscript claim;
        try {
            claim = TranscriptCodec.readClaim(file);
        } catch (MalformedInputException e) {
            throw new CliException(ExitCodes.USAGE, "transcript " + file + " is not a valid opg transcript: " + e.getMessage(), e);
        }
        // A file whose root field no longer matches its content is still compared step by step
        // with the re-execution, so that the altered step is named; its verdict is never VALID.
        String problem = claim.rootMatches() ? null : "the root field " + claim.claimedRoot().hex()
                + " is not the transcript's root " + claim.transcript().root().hex()
                + "; the transcript was altered or its root miscomputed";
        return new Claim(claim.transcript(), problem);
    }

    /** The outcome of one verification. */
    record Verification(int code, String line, List<String> notes, VerificationReport report) {}

    static Verification verify(Claim claim, Path model, Path input, Tolerance tol, Path witness, Integer spot) throws IOException {
        Transcript claimed = claim.transcript();
        DeterminismProfile expected = claimed.profile();
        DeterminismProfile profile;
        try {
            profile = EngineProfiles.apply(expected.engine(), expected.intraOpThreads(), expected.interOpThreads(), expected.seed());
        } catch (ProfileNotAppliedException e) {
            throw new CliException(ExitCodes.ENVIRONMENT, "cannot apply the transcript's profile in this process: " + e.getMessage(), e);
        }
        TensorSource witnessSource = witness == null ? null : TensorSource.of(Witness.readDirectory(witness));
        VerificationReport r;
        if (spot != null) {
            if (witnessSource == null) {
                throw CliException.usage("--spot needs --witness DIR (the prover's step tensors)");
            }
            if (spot < 1 || spot > claimed.steps().size()) {
                throw CliException.usage("--spot must be 1.." + claimed.steps().size() + " for this transcript");
            }
            TranscriptHeader h = claimed.header();
            RecordingOptions options = h.mode() == CommitmentMode.FULL ? RecordingOptions.full() : RecordingOptions.sketch(h.sketchDimension());
            try (LoadedModel m = LoadedModel.open(model, profile, options);
                    SpotChecker checker = new SpotChecker(new DjlStepExecutor(m.verifiable()), 1)) {
                if (!m.verifiable().modelId().equals(h.modelId())) {
                    r = VerificationReport.invalid(CheckKind.NONE, claimed.root(),
                            new HeaderMismatch(HeaderField.MODEL_ID, m.verifiable().modelId().hex(), h.modelId().hex()), 0, List.of(), List.of());
                } else {
                    List<Integer> chosen = SpotChecker.choose(claimed.steps().size(), spot, System.nanoTime());
                    r = checker.check(claimed, claimed.root(), witnessSource, chosen, tol == null ? Tolerance.bitwise() : tol);
                }
            }
        } else {
            try (Model m = LoadedModel.load(model);
                    Verifier verifier = new Verifier(m, profile);
                    NDManager manager = m.getNDManager().newSubManager()) {
                NDList x = Inputs.toNDList(manager, Inputs.read(input));
                try {
                    r = verifier.verify(claimed, x, tol == null ? Tolerance.bitwise() : tol, witnessSource);
                } catch (ai.djl.engine.EngineException | IllegalArgumentException e) {
                    throw CliException.usage("the model cannot run on " + input + ": " + e.getMessage());
                }
            }
        }
        List<String> notes = new ArrayList<>(r.notes());
        String how = spot != null ? r.stepsChecked() + " of " + claimed.steps().size() + " steps spot-checked from the witness"
                : r.stepsChecked() + " steps re-executed";
        if (claim.problem() != null) {
            notes.add(0, "the file is not a well-formed transcript: " + claim.problem());
            String where = r.firstFinding().map(f -> f.location() + ": " + f.describe())
                    .orElse("the content matches a re-execution but the file's root field was altered");
            return new Verification(ExitCodes.INVALID, "INVALID " + where, notes, r);
        }
        return switch (r.verdict()) {
            case VALID -> new Verification(ExitCodes.OK, "VALID " + claimed.root().hex() + " (" + how + ", "
                    + r.kind().toString().toLowerCase(Locale.ROOT) + ")", notes, r);
            case INVALID -> new Verification(ExitCodes.INVALID, "INVALID " + r.firstFinding().map(f -> f.location() + ": " + f.describe())
                    .orElse(r.summary()), notes, r);
            case INCONCLUSIVE -> new Verification(ExitCodes.ENVIRONMENT, "INCONCLUSIVE " + claimed.root().hex()
                    + ": this process cannot reproduce the transcript's profile; pass --tolerance to compare approximately", notes, r);
        };
    }

    static Tolerance parseTolerance(String s) {
        if (s == null) {
            return null;
        }
        try {
            if (s.equals("bitwise")) {
                return Tolerance.bitwise();
            }
            double abs = 0;
            double rel = 0;
            Long ulps = null;
            for (String part : s.split(",")) {
                String[] kv = part.split("=", 2);
                if (kv.length != 2) {
                    throw CliException.usage("--tolerance: '" + part + "' is not key=value; expected bitwise, abs=A, rel=R or ulps=N");
                }
                switch (kv[0].strip()) {
                    case "abs" -> abs = Double.parseDouble(kv[1]);
                    case "rel" -> rel = Double.parseDouble(kv[1]);
                    case "ulps" -> ulps = Long.parseLong(kv[1]);
                    default -> throw CliException.usage("--tolerance: unknown key '" + kv[0] + "'; expected abs, rel or ulps");
                }
            }
            return ulps != null ? Tolerance.ulps(ulps) : Tolerance.absRel(abs, rel);
        } catch (NumberFormatException e) {
            throw CliException.usage("--tolerance: not a number in '" + s + "'");
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--tolerance: " + e.getMessage());
        }
    }
}
