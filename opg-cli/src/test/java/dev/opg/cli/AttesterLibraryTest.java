package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.chain.EthDsse;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.MalformedInputException;
import dev.opg.core.attest.AttestationChecker;
import dev.opg.core.attest.AttestationRejectedException;
import dev.opg.core.attest.Dsse;
import dev.opg.core.attest.DsseEnvelope;
import dev.opg.core.attest.DsseSignature;
import dev.opg.core.attest.EnvelopeSigner;
import dev.opg.core.attest.VerificationStatement;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.verify.Attester;
import dev.opg.verify.CheckKind;
import dev.opg.verify.HeaderField;
import dev.opg.verify.HeaderMismatch;
import dev.opg.verify.VerificationFailedException;
import dev.opg.verify.VerificationReport;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;

/**
 * The library side of attestations: {@link Attester} signs only a VALID report about the very
 * transcript it is given, and {@link AttestationChecker} with Ethereum keys handles several
 * signatures, hostile keyids, other payload types and signed payloads that are not statements.
 */
class AttesterLibraryTest {
    static final Credentials A = Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(0));
    static final Credentials B = Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(1));
    static final EnvelopeSigner SIGNER = EthDsse.signer(A.getEcKeyPair());

    static Transcript vector(int i) throws Exception {
        var v = new ObjectMapper().readTree(TestModels.repoRoot().resolve("spec/vectors/transcript.json").toFile());
        return TranscriptCodec.decode(v.get("cases").get(i).get("transcript").asText());
    }

    @Test
    void onlyAValidReportAboutThisTranscriptIsSigned() throws Exception {
        Transcript t = vector(0);
        VerificationReport valid = VerificationReport.valid(CheckKind.BITWISE, t.root(), t.steps().size(), List.of(), List.of());
        DsseEnvelope e = Attester.attest(t, valid, VerificationStatement.RE_EXECUTION, SIGNER);
        AttestationChecker.Checked c = AttestationChecker.check(e, EthDsse.recovery(), A.getAddress());
        assertEquals(t.root(), c.statement().transcriptRoot());
        assertEquals(List.of(), c.statement().differences(t));

        VerificationReport invalid = VerificationReport.invalid(CheckKind.BITWISE, t.root(),
                new HeaderMismatch(HeaderField.MODEL_ID, "aa", "bb"), 0, List.of(), List.of());
        assertThrows(VerificationFailedException.class, () -> Attester.attest(t, invalid, VerificationStatement.RE_EXECUTION, SIGNER));
        VerificationReport inconclusive = VerificationReport.inconclusive(t.root(), "profile mismatch");
        assertThrows(VerificationFailedException.class, () -> Attester.attest(t, inconclusive, VerificationStatement.RE_EXECUTION, SIGNER));
        Transcript other = vector(1);
        VerificationReport aboutOther = VerificationReport.valid(CheckKind.BITWISE, other.root(), 1, List.of(), List.of());
        MalformedInputException m = assertThrows(MalformedInputException.class,
                () -> Attester.attest(t, aboutOther, VerificationStatement.RE_EXECUTION, SIGNER));
        assertTrue(m.getMessage().contains("is about transcript " + other.root().hex()), m.getMessage());
    }

    @Test
    void severalSignaturesHostileKeyidsAndPayloadsThatAreNotStatements() throws Exception {
        Transcript t = vector(0);
        DsseEnvelope e = Attester.attest(t, VerificationReport.valid(CheckKind.BITWISE, t.root(), 3, List.of(), List.of()),
                VerificationStatement.RE_EXECUTION, SIGNER);
        byte[] pae = e.pae();
        DsseSignature a = e.signatures().get(0);
        DsseSignature b = new DsseSignature(B.getAddress(), EthDsse.sign(pae, B.getEcKeyPair()));
        DsseEnvelope both = new DsseEnvelope(e.payloadType(), e.payload(), List.of(a, b));
        assertEquals(List.of(A.getAddress(), B.getAddress()), AttestationChecker.check(both, EthDsse.recovery(), B.getAddress()).signers());
        assertEquals(List.of(A.getAddress(), B.getAddress()), AttestationChecker.check(both, EthDsse.recovery(), null).signers());

        // An extra signature that does not verify spoils the envelope (fail closed), with or without a required signer.
        DsseEnvelope junk = new DsseEnvelope(e.payloadType(), e.payload(), List.of(a, new DsseSignature("", new byte[65])));
        assertThrows(AttestationRejectedException.class, () -> AttestationChecker.check(junk, EthDsse.recovery(), A.getAddress()));

        // A keyid with terminal control characters is escaped in the message.
        DsseEnvelope hostile = new DsseEnvelope(e.payloadType(), e.payload(), List.of(new DsseSignature("\u001b[2J0xabc\n", a.sig())));
        AttestationRejectedException ex = assertThrows(AttestationRejectedException.class,
                () -> AttestationChecker.check(hostile, EthDsse.recovery(), A.getAddress()));
        assertTrue(ex.getMessage().contains("\\u001b[2J0xabc\\u000a") && !ex.getMessage().contains("\u001b"), ex.getMessage());

        // No keyid and no required signer: nothing to check the signature against.
        DsseEnvelope anonymous = new DsseEnvelope(e.payloadType(), e.payload(), List.of(new DsseSignature("", a.sig())));
        ex = assertThrows(AttestationRejectedException.class, () -> AttestationChecker.check(anonymous, EthDsse.recovery(), null));
        assertTrue(ex.getMessage().contains("nothing to check it against"), ex.getMessage());
        assertEquals(List.of(A.getAddress()), AttestationChecker.check(anonymous, EthDsse.recovery(), A.getAddress()).signers());

        // Validly signed, but another payload type, or a payload that is not a statement: refused.
        DsseEnvelope otherType = DsseEnvelope.sign("application/json", e.payload(), SIGNER);
        ex = assertThrows(AttestationRejectedException.class, () -> AttestationChecker.check(otherType, EthDsse.recovery(), A.getAddress()));
        assertTrue(ex.getMessage().contains("payload type"), ex.getMessage());
        DsseEnvelope notAStatement = DsseEnvelope.sign(Dsse.INTOTO_PAYLOAD_TYPE,
                "{\"_type\":\"https://in-toto.io/Statement/v1\"}".getBytes(StandardCharsets.UTF_8), SIGNER);
        ex = assertThrows(AttestationRejectedException.class,
                () -> AttestationChecker.check(notAStatement, EthDsse.recovery(), A.getAddress()));
        assertTrue(ex.getMessage().contains("not an opg verification statement"), ex.getMessage());
    }
}
