package dev.opg.cli;

import dev.opg.chain.EthDsse;
import dev.opg.chain.ModelRegistryClient;
import dev.opg.chain.RegistryEntry;
import dev.opg.chain.TransactionSender;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.attest.AttestationChecker;
import dev.opg.core.attest.AttestationRejectedException;
import dev.opg.core.attest.DsseEnvelope;
import dev.opg.core.attest.DsseSignature;
import dev.opg.core.attest.VerificationStatement;
import dev.opg.core.transcript.Transcript;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code opg check-attestation FILE}: checks a DSSE envelope written by {@code opg attest} (spec
 * section 6.4): each signature over the DSSE PAE, with the signer it names; the required signer
 * ({@code --signer}); the payload type; the in-toto statement. Optionally, that the statement is
 * about a given transcript ({@code --transcript}) or model ({@code --model-id}), and that the
 * registry contract's {@code ecrecover} recovers the same signer ({@code --rpc --registry}). Exit 0
 * if it checks, 1 if not (the first failed check is printed), 2 if the file is not an envelope.
 */
@Command(name = "check-attestation", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:the attestation checks", "1:it does not (signature, statement or on-chain signer)", "2:FILE is not a DSSE envelope, or bad usage", "3:chain or RPC error"},
        description = {"Check a signed attestation (DSSE envelope of an opg verification statement): signature, signer, statement.",
                "Without --signer anyone's signature is accepted and only named: pass the verifier you trust."})
public final class CheckAttestationCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "FILE", description = "The envelope (opg attest writes TRANSCRIPT.intoto.json).")
    Path file;

    @Option(names = "--signer", paramLabel = "ADDR", description = "Require a signature by this account (the verifier you trust).")
    String signer;

    @Option(names = "--transcript", paramLabel = "T.json", description = "Require the statement to be about this transcript (root, model, profile, inputs, outputs).")
    Path transcript;

    @Option(names = "--model-id", paramLabel = "ID", description = "Require the statement to be about this model id.")
    String modelId;

    @Option(names = "--rpc", paramLabel = "URL", description = "With --registry: also recover each signer on chain (ecrecover) and show the model's registrations.")
    String rpc;

    @Option(names = "--registry", paramLabel = "ADDR", description = "With --rpc: the ModelRegistry contract.")
    String registry;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        String required = signer == null ? null : Chain.address(signer, "--signer");
        Digest wantModel = modelId == null ? null : ModelIdOptions.digest(modelId, "--model-id");
        if ((rpc == null) != (registry == null)) {
            throw CliException.usage("--rpc and --registry go together");
        }
        Transcript t = transcript == null ? null : Transcripts.read(transcript);
        DsseEnvelope envelope;
        try {
            envelope = DsseEnvelope.parse(read(file));
        } catch (MalformedInputException e) {
            throw new CliException(ExitCodes.USAGE, file + " is not a DSSE envelope: " + e.getMessage(), e);
        }
        AttestationChecker.Checked checked;
        try {
            checked = AttestationChecker.check(envelope, EthDsse.recovery(), required);
        } catch (AttestationRejectedException e) {
            return invalid(out, e.getMessage());
        }
        VerificationStatement s = checked.statement();
        if (t != null) {
            List<String> d = s.differences(t);
            if (!d.isEmpty()) {
                return invalid(out, "the statement is not about " + transcript + ": " + String.join("; ", d));
            }
        }
        if (wantModel != null && !wantModel.equals(s.modelId())) {
            return invalid(out, "the statement is about model " + s.modelId().hex() + ", not " + wantModel.hex());
        }
        List<String> notes = new ArrayList<>();
        if (rpc != null) {
            try (TransactionSender sender = Chain.connect(rpc, Chain.readOnly())) {
                ModelRegistryClient c = RegistryOptions.at(sender, registry);
                for (int i = 0; i < envelope.signatures().size(); i++) {
                    DsseSignature sig = envelope.signatures().get(i);
                    Optional<String> onChain = c.recoverDsseSigner(envelope.payloadType(), envelope.payload(), sig.sig());
                    if (!onChain.equals(Optional.of(checked.signers().get(i)))) {
                        return invalid(out, "the registry contract at " + c.address() + " recovers signature " + i + " to "
                                + onChain.orElse("nobody") + ", not " + checked.signers().get(i));
                    }
                }
                notes.add("the contract at " + c.address() + " on chain " + c.chainId() + " recovers the same signer with ecrecover ("
                        + c.recoverDsseSignerGas(envelope.payloadType(), envelope.payload(), envelope.signatures().get(0).sig())
                        + " gas as a transaction)");
                List<RegistryEntry> regs = c.registrationsOf(s.modelId());
                notes.add(regs.isEmpty() ? "model " + s.modelId().hex() + " is not registered there"
                        : "model " + s.modelId().hex() + " is registered there as " + String.join(", ", regs.stream()
                                .map(e -> e.label() + " by " + e.publisher() + (e.revoked() ? " (REVOKED)" : "")).toList()));
            }
        }
        if (!checked.signerRequired()) {
            notes.add("no --signer was required: the signature is only as good as your trust in " + String.join(", ", checked.signers()));
        }
        out.println("VALID attestation by " + String.join(", ", checked.signers()) + ": transcript " + s.transcriptRoot().hex()
                + " of model " + s.modelId().hex() + " verified VALID (" + s.verificationMode() + ", " + s.comparison() + ", "
                + s.stepsChecked() + " of " + s.steps() + " steps; " + s.granularity() + " granularity, " + s.commitmentMode() + ")");
        for (int i = 0; i < s.outputs().size(); i++) {
            out.println("  subject output/" + i + " " + VerificationStatement.SUBJECT_DIGEST + ":" + s.outputs().get(i).hex());
        }
        for (String n : notes) {
            out.println("  note: " + n);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static int invalid(PrintWriter out, String why) {
        out.println("INVALID attestation: " + why);
        out.flush();
        return ExitCodes.INVALID;
    }

    /** The file's bytes, refused before reading if it is not a regular file or above the envelope cap. */
    private static byte[] read(Path f) throws IOException {
        if (!Files.isRegularFile(f)) {
            throw CliException.usage("attestation " + f + " does not exist or is not a file");
        }
        long size = Files.size(f);
        if (size > DsseEnvelope.MAX_ENVELOPE_BYTES) {
            throw CliException.usage("attestation " + f + " is " + size + " bytes; an envelope is at most " + DsseEnvelope.MAX_ENVELOPE_BYTES);
        }
        try (InputStream in = Files.newInputStream(f)) {
            return in.readNBytes(DsseEnvelope.MAX_ENVELOPE_BYTES + 1);
        }
    }
}
