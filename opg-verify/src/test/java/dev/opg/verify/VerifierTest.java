package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.opg.core.MalformedInputException;
import dev.opg.core.UnsupportedVersionException;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.Witness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifierTest {
    private static DeterminismProfile profile;
    private static NDManager manager;
    private static Model mlp;
    private static Transcript full;
    private static Witness witness;
    private static Transcript sketch;

    @BeforeAll
    static void record() {
        profile = TestModels.pytorchProfile();
        manager = NDManager.newBaseManager("PyTorch");
        mlp = TestModels.mlp(1);
        try (VerifiableModel vm = VerifiableModel.wrap(mlp, profile, RecordingOptions.full().withWitness());
                VerifiableModel vs = VerifiableModel.wrap(mlp, profile, RecordingOptions.sketch(8))) {
            Prediction<ai.djl.ndarray.NDList> p = vm.predict(TestModels.input(manager, TestModels.MLP_INPUT, 7));
            full = p.transcript();
            witness = p.witness().orElseThrow();
            sketch = vs.predict(TestModels.input(manager, TestModels.MLP_INPUT, 7)).transcript();
        }
    }

    @AfterAll
    static void close() {
        mlp.close();
        manager.close();
    }

    private static Transcript underProfile(Transcript t, DeterminismProfile q) {
        TranscriptHeader h = t.header();
        return new Transcript(new TranscriptHeader(h.version(), h.mode(), h.sketchDimension(), h.modelId(), q.digest(), h.inputNames(), h.inputs(), h.outputs()),
                t.steps(), q);
    }

    @Test
    void reExecutionOfAnHonestTranscriptIsValidBitwise() {
        try (Verifier v = new Verifier(mlp, profile)) {
            VerificationReport r = v.verify(full, TestModels.input(manager, TestModels.MLP_INPUT, 7));
            assertEquals(Verdict.VALID, r.verdict(), r.summary());
            assertEquals(CheckKind.BITWISE, r.kind());
            assertEquals(full.steps().size(), r.stepsChecked());
            assertEquals(Verdict.VALID, v.verify(sketch, TestModels.input(manager, TestModels.MLP_INPUT, 7)).verdict());
        }
    }

    @Test
    void anUnreproducibleProfileIsInconclusiveBitwiseNeverValid() {
        Transcript other = underProfile(full, profile.withCpuCapability("default"));
        try (Verifier v = new Verifier(mlp, profile)) {
            VerificationReport r = v.verify(other, TestModels.input(manager, TestModels.MLP_INPUT, 7));
            assertEquals(Verdict.INCONCLUSIVE, r.verdict());
            assertTrue(r.notes().get(0).contains("cpuCapability"), r.notes().toString());
        }
    }

    @Test
    void anUnreproducibleProfileFallsBackToTheTolerantCheckAndSaysSo() {
        Transcript other = underProfile(full, profile.withCpuCapability("default"));
        try (Verifier v = new Verifier(mlp, profile)) {
            VerificationReport r = v.verify(other, TestModels.input(manager, TestModels.MLP_INPUT, 7), Tolerance.absRel(1e-5, 1e-4),
                    TensorSource.of(witness));
            assertEquals(Verdict.VALID, r.verdict(), r.summary());
            assertEquals(CheckKind.TOLERANT, r.kind());
            // one per step, then the header's outputs
            assertEquals(full.steps().size() + 1, r.stepErrors().size());
            assertEquals(StepError.HEADER_OUTPUTS, r.stepErrors().get(full.steps().size()).name());
            assertTrue(r.notes().get(0).contains("fell back to the tolerant check"), r.notes().toString());
            Transcript sk = underProfile(sketch, profile.withSeed(99));
            VerificationReport s = v.verify(sk, TestModels.input(manager, TestModels.MLP_INPUT, 7), Tolerance.ulps(4), null);
            assertEquals(Verdict.VALID, s.verdict(), s.summary());
            assertEquals(CheckKind.TOLERANT, s.kind());
        }
    }

    @Test
    void aProfileReproducerIsUsedWhenTheProcessCannotApplyTheProfile() {
        Transcript other = underProfile(full, profile.withSeed(43));
        try (Verifier v = new Verifier(mlp, profile, claimed -> underProfile(full, claimed.profile()))) {
            VerificationReport r = v.verify(other, TestModels.input(manager, TestModels.MLP_INPUT, 7));
            assertEquals(Verdict.VALID, r.verdict(), r.summary());
            assertTrue(r.notes().get(0).contains("another process"), r.notes().toString());
        }
    }

    @Test
    void theSignatureIsCheckedBeforeAnythingRuns() {
        SignedTranscript signed = new SignedTranscript(full, new byte[] {1, 2, 3});
        try (Verifier v = new Verifier(mlp, profile)) {
            VerificationReport bad = v.verify(signed, (root, sig) -> TranscriptSignatureVerifier.SignatureCheck.rejected("unknown key"),
                    TestModels.input(manager, TestModels.MLP_INPUT, 7));
            assertEquals("signature", bad.firstFinding().orElseThrow().location());
            assertEquals(CheckKind.NONE, bad.kind());
            VerificationReport thrown = v.verify(signed, (root, sig) -> { throw new IllegalStateException("boom"); },
                    TestModels.input(manager, TestModels.MLP_INPUT, 7));
            assertEquals(Verdict.INVALID, thrown.verdict());
            VerificationReport ok = v.verify(signed, (root, sig) -> root.equals(full.root()) && Arrays.equals(sig, new byte[] {1, 2, 3})
                    ? TranscriptSignatureVerifier.SignatureCheck.accepted("alice")
                    : TranscriptSignatureVerifier.SignatureCheck.rejected("no"), TestModels.input(manager, TestModels.MLP_INPUT, 7));
            assertEquals(Verdict.VALID, ok.verdict(), ok.summary());
        }
    }

    @Test
    void aTranscriptOfAnotherSpecVersionIsATypedError() {
        String json = TranscriptCodec.encodeToString(full).replaceFirst("\"version\":3", "\"version\":4");
        assertThrows(UnsupportedVersionException.class, () -> TranscriptCodec.decode(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aTruncatedWitnessIsATypedError(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("w.bin");
        witness.writeFile(f);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length - 100));
        assertThrows(MalformedInputException.class, () -> Witness.readFile(f));
    }

    /** The dataflow of the MLP on the input {@link #full} was recorded on. */
    private dev.opg.core.transcript.Dataflow flow(VerifiableModel vm) {
        try (NDManager m = mlp.getNDManager().newSubManager()) {
            return vm.dataflow(TestModels.input(m, TestModels.MLP_INPUT, 7));
        }
    }

    @Test
    void aStepMissingFromTheWitnessIsInvalidAtThatStep() {
        java.util.Map<dev.opg.core.Digest, dev.opg.core.witness.WitnessTensor> map = new java.util.HashMap<>();
        for (var s : full.steps()) {
            for (var d : s.inputs()) {
                map.put(d, witness.tensor(d));
            }
        }
        map.remove(full.steps().get(3).inputs().get(0));
        try (VerifiableModel vm = VerifiableModel.wrap(mlp, profile); SpotChecker c = new SpotChecker(new DjlStepExecutor(vm), 2)) {
            VerificationReport r = c.check(full, full.root(), flow(vm), TensorSource.of(map), List.of(1, 3, 4), Tolerance.bitwise());
            assertEquals("step[3].WITNESS", r.firstFinding().orElseThrow().location());
            VerificationReport root = c.checkRandom(full, TensorDigestUtil.label("anchored"), flow(vm), TensorSource.of(witness), 2, 1);
            assertEquals("header.ROOT", root.firstFinding().orElseThrow().location());
        }
    }

    @Test
    void aReportCannotSayValidForACheckNotDone() {
        assertThrows(IllegalArgumentException.class, () -> VerificationReport.valid(CheckKind.NONE, null, 0, List.of(), List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new VerificationReport(Verdict.INVALID, CheckKind.BITWISE, null, List.of(), List.of(), 0, List.of()));
        assertFalse(VerificationReport.inconclusive(null, "why").isValid());
    }
}
