package dev.opg.cli;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.io.Inputs;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.MalformedInputException;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.PyTorchProfiles;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptHeader;
import ai.djl.Model;
import dev.opg.core.witness.Witness;
import dev.opg.verify.CheckPolicy;
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
 * {@code opg verify}: re-executes the model on the input under the transcript's own profile, at the
 * granularity and with the block cuts its header records, and compares the result leaf by leaf
 * ({@code --spot}: the model wrapped the same way, so chosen blocks are re-run whole). A recorded
 * partition the model cannot have on the input, or a dispute's descent sub-transcript, is INVALID. Exit 0 VALID, 1 INVALID (the first divergent step or field is
 * printed), 2 bad usage or unreadable input, 3 when the process cannot run under the profile.
 *
 * <p>When this process differs from the transcript's PyTorch profile only in what a fresh JVM can
 * set (the kernel set, threads), the verification runs again in a {@link ChildJvm} started with
 * the recorded environment, unless {@code --no-child}; otherwise bits computed under another
 * profile are never compared: the answer is a tolerant fall-back (with {@code --tolerance}) or
 * INCONCLUSIVE, and a note says why. A profile no run recorded by opg can have
 * ({@code DeterminismProfile.implausibility()}) is INVALID (exit 1) before anything is measured or
 * run. Spot-checked steps are chosen by {@code --seed}, by default
 * a fresh random seed the prover cannot predict (printed, so the same check can be repeated).
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:VALID", "1:INVALID (the first divergent step or field is printed)", "2:bad usage or unreadable input (the message says which)", "3:INCONCLUSIVE (this machine cannot reproduce the profile and nothing else settles it; the reason is printed), or an environment error"},
        description = {"Re-execute a transcript's model on its input and compare every step."})
public final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;
    @Mixin
    ModelIdOptions byId;

    @Parameters(index = "0", paramLabel = "TRANSCRIPT", description = "The transcript to check.")
    Path transcript;

    @Option(names = "--model", paramLabel = "PATH", description = "Model directory, .onnx or .pt file (or --model-id).")
    Path model;

    @Option(names = "--input", paramLabel = "FILE", description = "The .npy/.npz input the transcript claims (not for generation transcripts).")
    Path input;

    @Option(names = "--fast", description = "Generation transcripts: one teacher-forced prefill pass compared within a tolerance.")
    boolean fast;

    @Option(names = "--witness", paramLabel = "DIR", description = "Witness directory: with --spot, check steps alone from it.")
    Path witness;

    @Option(names = "--spot", paramLabel = "K", description = "Spot-check K steps, chosen by --seed, from the witness instead of re-running everything.")
    Integer spot;

    @Option(names = "--seed", paramLabel = "N",
            description = "Seed that chooses the --spot steps (default: a fresh random seed the prover cannot predict; "
                    + "it is printed, and --seed with it repeats the same check).")
    Long seed;

    @Option(names = "--tolerance", paramLabel = "SPEC",
            description = "Compare every committed value with this machine's own re-execution within a tolerance: bitwise "
                    + "(default), abs=A[,rel=R], rel=R, ulps=N; the bound is A + R*|this machine's value|, infinities and NaN "
                    + "match only themselves, integers must be equal. Values that differ bit for bit are taken from --witness "
                    + "(the prover's tensors, hashed against the transcript); without them the answer is not VALID. Also "
                    + "allows a transcript recorded under another possible profile (other hardware).")
    String tolerance;

    @Option(names = "--no-child",
            description = "Never re-run in a child JVM. By default, when only the CPU kernel set (ATEN_CPU_CAPABILITY) or the "
                    + "engine's threads keep this process from the transcript's PyTorch profile, the verification re-runs in a "
                    + "child JVM started with the recorded environment.")
    boolean noChild;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        model = byId.resolve(model, transcript, spec.commandLine().getErr());
        if (GenerationCli.isGeneration(transcript)) {
            return GenerationCli.verify(out, transcript, model, fast, spot, witness, seed);
        }
        if (input == null || fast) {
            throw CliException.usage(input == null ? "--input FILE is required for a model transcript" : "--fast is for generation transcripts");
        }
        Tolerance tol = parseTolerance(tolerance);
        Claim claim = readClaim(transcript);
        Inputs.read(input);
        Transcript claimed = claim.transcript();
        Transcripts.requireEngine(transcript, claimed, model);
        Long spotSeed = null;
        if (spot != null) {
            if (witness == null) {
                throw CliException.usage("--spot needs --witness DIR (the prover's step tensors)");
            }
            if (spot < 1) {
                throw CliException.usage("--spot must be at least 1");
            }
            // K above the claimed step count checks every claimed step (see verify); the dataflow
            // check then decides whether the step count itself is the model's: a short forgery is INVALID, not bad usage.
            spotSeed = seed != null ? seed : randomSeed();
        } else if (seed != null) {
            throw CliException.usage("--seed chooses the steps of --spot K; pass --spot too");
        }
        java.util.Optional<String> impossible = claimed.profile().implausibility();
        if (impossible.isPresent()) {
            // Before measuring or forking: no run has this profile, so there is nothing to reproduce and nothing to tolerate.
            out.println("INVALID header.PROFILE: " + impossible.get());
            out.flush();
            return ExitCodes.INVALID;
        }
        ChildJvm.Measured here = ChildJvm.measure(claimed.profile());
        ChildJvm.Plan plan = ChildJvm.plan(claimed.profile(), here, ChildJvm.cpuFlags(), noChild, ChildJvm.isChild());
        if (plan.fork()) {
            return inChild(plan, claimed, out);
        }
        if (here.profile() == null) {
            throw new CliException(ExitCodes.ENVIRONMENT, "cannot apply the transcript's profile in this process: "
                    + here.problem().getMessage() + (plan.reason() == null ? "" : " (" + plan.reason() + ")"), here.problem());
        }
        // Where the engine already runs with other thread counts (here.problem() != null), this
        // process verifies as under any other profile: tolerant if asked for, else INCONCLUSIVE.
        List<String> extra = new ArrayList<>();
        if (plan.reason() != null) {
            extra.add(plan.reason());
        }
        if (ChildJvm.isChild()) {
            extra.add(ChildJvm.childNote());
        }
        Verification v = verify(claim, model, input, tol, witness, spot, spotSeed, here.profile(), seed == null, extra);
        out.println(v.line());
        for (String n : v.notes()) {
            out.println("  note: " + n);
        }
        out.flush();
        return v.code();
    }

    /** Re-runs this verification in a child JVM started with the recorded kernel set; its exit code is the answer. */
    private int inChild(ChildJvm.Plan plan, Transcript claimed, PrintWriter out) {
        List<String> args = new ArrayList<>(List.of("verify", transcript.toAbsolutePath().toString(),
                "--model", model.toAbsolutePath().toString(), "--input", input.toAbsolutePath().toString()));
        if (witness != null) {
            args.addAll(List.of("--witness", witness.toAbsolutePath().toString()));
        }
        if (spot != null) {
            args.addAll(List.of("--spot", spot.toString()));
            if (seed != null) {
                args.addAll(List.of("--seed", seed.toString()));
            }
        }
        if (tolerance != null) {
            args.addAll(List.of("--tolerance", tolerance));
        }
        if (common.verbose) {
            args.add("--verbose");
        }
        PrintWriter err = spec.commandLine().getErr();
        out.flush();
        int code;
        try {
            code = ChildJvm.run(args, plan.capability(), plan.reason(), out, err);
        } catch (IOException e) {
            out.println("INCONCLUSIVE " + claimed.root().hex() + ": the child JVM for " + PyTorchProfiles.CPU_CAPABILITY_ENV + "="
                    + plan.capability() + " could not be started (" + e.getMessage() + "); no bitwise check was done");
            out.println("  note: " + plan.reason());
            out.flush();
            return ExitCodes.ENVIRONMENT;
        }
        if (code < ExitCodes.OK || code > ExitCodes.ENVIRONMENT) {
            out.println("INCONCLUSIVE " + claimed.root().hex() + ": the child JVM started with " + PyTorchProfiles.CPU_CAPABILITY_ENV
                    + "=" + plan.capability() + " ended with exit code " + code + " without an answer; no bitwise check was done");
            out.flush();
            return ExitCodes.ENVIRONMENT;
        }
        return code;
    }

    /**
     * The default spot-check seed: fresh and unpredictable. A seed derived from the transcript
     * (its root, say) would let a cheating prover re-roll harmless fields until the checked steps
     * miss the step it falsified.
     */
    static long randomSeed() {
        return RANDOM.nextLong() & Long.MAX_VALUE;
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

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

    /**
     * Verifies in this process, which runs under {@code profile} (applied and measured).
     *
     * @param spotSeed the seed that chooses the spot-checked steps (with {@code spot})
     * @param seedDerived whether the seed was drawn at random rather than given (for the note)
     * @param extraNotes notes to add to the report (why no child JVM was started, that this is one)
     */
    static Verification verify(Claim claim, Path model, Path input, Tolerance tol, Path witness, Integer spot, Long spotSeed,
            DeterminismProfile profile, boolean seedDerived, List<String> extraNotes) throws IOException {
        Transcript claimed = claim.transcript();
        TensorSource witnessSource = witness == null ? null : TensorSource.of(Witness.readDirectory(witness));
        VerificationReport r;
        if (spot != null) {
            TranscriptHeader h = claimed.header();
            List<String> spotNotes = new ArrayList<>();
            spotNotes.add("spot-check seed " + spotSeed + (seedDerived ? " (random)" : " (--seed)")
                    + "; --seed " + spotSeed + " chooses the same steps");
            if (h.granularity() != Granularity.NODE) {
                spotNotes.add("at " + h.granularity().specName() + " granularity each step is a block of node steps: a chosen "
                        + "block is re-run whole from its committed inputs and its committed outputs compared");
            }
            // One policy with the library (CheckPolicy): the header's model id and inputs, a scope, the recorded
            // partition, then the dataflow from the model and this input, then the chosen steps (blocks) re-run.
            try (Model m = LoadedModel.load(model); NDManager manager = m.getNDManager().newSubManager()) {
                NDList x = Inputs.toNDList(manager, Inputs.read(input));
                try {
                    r = CheckPolicy.check(m, profile, null, new CheckPolicy.Request(claimed, x, tol, witnessSource, spot, spotSeed));
                } catch (ai.djl.engine.EngineException | IllegalArgumentException e) {
                    throw CliException.usage("the model cannot run on " + input + ": " + e.getMessage());
                }
            }
            r = withNotes(r, spotNotes);
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
        notes.addAll(extraNotes);
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
                    + ": not verified, " + (r.notes().isEmpty() ? "see the notes" : firstClause(r.notes().get(0))), notes, r);
        };
    }

    /**
     * The dataflow of a node-granularity transcript of the loaded model on {@code x}; a usage error
     * carrying {@code cause}'s message when even that cannot be derived (the input does not fit).
     */
    /** The part of a note before its first semicolon: what kept the check from an answer. */
    private static String firstClause(String note) {
        int semi = note.indexOf(';');
        return semi < 0 ? note : note.substring(0, semi);
    }

    private static VerificationReport withNotes(VerificationReport r, List<String> more) {
        List<String> notes = new ArrayList<>(r.notes());
        notes.addAll(more);
        return new VerificationReport(r.verdict(), r.kind(), r.root(), r.findings(), r.stepErrors(), r.stepsChecked(), notes);
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
