package dev.opg.cli;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.chain.EthDsse;
import dev.opg.core.io.Inputs;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.MalformedInputException;
import dev.opg.core.attest.DsseEnvelope;
import dev.opg.core.attest.VerificationStatement;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.verify.Attester;
import dev.opg.verify.Tolerance;
import dev.opg.verify.VerificationFailedException;
import dev.opg.verify.VerificationReport;
import dev.opg.verify.Verifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.web3j.crypto.Credentials;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code opg attest TRANSCRIPT --model PATH --input FILE --key-file K}: verifies the transcript by
 * full bitwise re-execution (as {@code opg verify} without options does) and, only if it is VALID,
 * writes a signed attestation: an in-toto Statement v1 about the transcript's outputs in a DSSE
 * envelope signed with the verifier's Ethereum key (spec section 6). INVALID writes nothing and
 * exits 1; INCONCLUSIVE (a profile this machine cannot reproduce) writes nothing and exits 3.
 */
@Command(name = "attest", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:the transcript is VALID and the attestation is written", "1:INVALID (nothing written)", "2:bad usage or unreadable input (the message says which)", "3:INCONCLUSIVE or an environment error (nothing written)"},
        description = {"Verify a transcript by re-execution and, only if VALID, write a signed in-toto attestation (DSSE envelope)."})
public final class AttestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "TRANSCRIPT", description = "The transcript to verify and attest.")
    Path transcript;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "Model directory, .onnx or .pt file.")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "The .npy/.npz input the transcript claims.")
    Path input;

    @Option(names = "--key-file", paramLabel = "FILE", description = "File holding the verifier's private key (hex); else OPG_PRIVATE_KEY.")
    Path keyFile;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write the envelope (default: TRANSCRIPT.intoto.json).")
    Path outFile;

    @Option(names = "--no-child", description = "Never re-run in a child JVM for the transcript's CPU kernel set (see opg verify).")
    boolean noChild;

    /** Where the key comes from when there is no key file. */
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Credentials key = Chain.credentials(keyFile, env); // before any work: a bad key is bad usage
        Path target = outFile != null ? outFile : transcript.resolveSibling(transcript.getFileName() + ".intoto.json");
        if (!Files.isRegularFile(transcript)) {
            throw CliException.usage("transcript " + transcript + " does not exist or is not a file");
        }
        TranscriptCodec.ClaimedTranscript claim;
        try {
            claim = TranscriptCodec.readClaim(transcript);
        } catch (MalformedInputException e) {
            throw new CliException(ExitCodes.USAGE, "transcript " + transcript + " is not a valid opg transcript: " + e.getMessage(), e);
        }
        Inputs.read(input);
        Transcript t = claim.transcript();
        Transcripts.requireEngine(transcript, t, model);
        if (!claim.rootMatches()) {
            out.println("INVALID root: the file's root field " + claim.claimedRoot().hex() + " is not the transcript's root "
                    + t.root().hex() + "; no attestation written");
            out.flush();
            return ExitCodes.INVALID;
        }
        var impossible = t.profile().implausibility();
        if (impossible.isPresent()) {
            out.println("INVALID header.PROFILE: " + impossible.get() + "; no attestation written");
            out.flush();
            return ExitCodes.INVALID;
        }
        ChildJvm.Measured here = ChildJvm.measure(t.profile());
        ChildJvm.Plan plan = ChildJvm.plan(t.profile(), here, ChildJvm.cpuFlags(), noChild, ChildJvm.isChild());
        if (plan.fork()) {
            List<String> args = new ArrayList<>(List.of("attest", transcript.toAbsolutePath().toString(), "--model",
                    model.toAbsolutePath().toString(), "--input", input.toAbsolutePath().toString(), "--out",
                    target.toAbsolutePath().toString()));
            if (keyFile != null) {
                args.addAll(List.of("--key-file", keyFile.toAbsolutePath().toString()));
            }
            if (common.verbose) {
                args.add("--verbose");
            }
            out.flush();
            return ChildJvm.run(args, plan.capability(), plan.reason(), out, spec.commandLine().getErr());
        }
        VerificationReport report;
        if (here.profile() == null || !ChildJvm.differingFields(here.profile(), t.profile()).isEmpty()) {
            report = VerificationReport.inconclusive(t.root(), "this process cannot reproduce the transcript's profile"
                    + (plan.reason() == null ? "" : " (" + plan.reason() + ")") + "; no bitwise check was done");
        } else {
            try (Model m = LoadedModel.load(model);
                    Verifier verifier = new Verifier(m, here.profile());
                    NDManager manager = m.getNDManager().newSubManager()) {
                NDList x = Inputs.toNDList(manager, Inputs.read(input));
                try {
                    report = verifier.verify(t, x, Tolerance.bitwise(), null);
                } catch (ai.djl.engine.EngineException | IllegalArgumentException e) {
                    throw CliException.usage("the model cannot run on " + input + ": " + e.getMessage());
                }
            }
        }
        DsseEnvelope envelope;
        try {
            envelope = Attester.attest(t, report, VerificationStatement.RE_EXECUTION, EthDsse.signer(key.getEcKeyPair()));
        } catch (VerificationFailedException e) {
            VerificationReport r = e.report();
            boolean invalid = r.verdict() == dev.opg.verify.Verdict.INVALID;
            out.println((invalid ? "INVALID " + r.firstFinding().map(f -> f.location() + ": " + f.describe()).orElse(r.summary())
                    : "INCONCLUSIVE " + t.root().hex() + ": " + String.join("; ", r.notes())) + "; no attestation written");
            out.flush();
            return invalid ? ExitCodes.INVALID : ExitCodes.ENVIRONMENT;
        }
        write(target, envelope.toJson());
        out.println("VALID " + t.root().hex() + " (" + report.stepsChecked() + " steps re-executed, bitwise); attestation signed by "
                + envelope.signatures().get(0).keyid() + " written to " + target);
        out.flush();
        return ExitCodes.OK;
    }

    /** Writes through a temporary file and a rename, so a reader never sees half an envelope. */
    static void write(Path target, byte[] bytes) {
        try {
            Path dir = target.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
            try {
                Files.write(tmp, bytes);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw CliException.environment("cannot write the attestation " + target + ": " + e.getMessage(), e);
        }
    }
}
