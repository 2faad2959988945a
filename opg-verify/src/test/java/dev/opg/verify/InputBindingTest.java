package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.OnnxBytes;
import dev.opg.core.testmodels.TestModels;
import dev.opg.core.transcript.Transcript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 class 5: an ONNX model binds its inputs by name, so the same two tensors under swapped
 * names are another input. Model: {@code out = x - y}, x and y float32 [2]. A prover who feeds the
 * verifier's tensors under swapped names gets a transcript with the same input digests in the
 * same order and the negated output; it must not verify against the unswapped input.
 */
class InputBindingTest {

    private static NDList named(NDManager m, String first, String second) {
        NDArray a = m.create(new float[] {3f, 1f}, new Shape(2));
        NDArray b = m.create(new float[] {1f, 5f}, new Shape(2));
        a.setName(first);
        b.setName(second);
        return new NDList(a, b);
    }

    @Test
    void swappedInputNamesDoNotVerifyAgainstTheUnswappedInput(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("sub").resolve("sub.onnx");
        Files.createDirectories(f.getParent());
        Files.write(f, OnnxBytes.subModel());
        DeterminismProfile profile = TestModels.onnxProfile();
        try (Model model = TestModels.loadOnnx(f); NDManager m = NDManager.newBaseManager("OnnxRuntime");
                VerifiableModel vm = VerifiableModel.wrap(model, profile); Verifier v = new Verifier(model, profile)) {
            Transcript honest = vm.predict(named(m, "x", "y")).transcript();
            Transcript swapped = vm.predict(named(m, "y", "x")).transcript();
            // same digests, in the same order; opposite outputs; only the binding tells them apart
            assertEquals(honest.header().inputs(), swapped.header().inputs());
            assertNotEquals(honest.header().outputs(), swapped.header().outputs());
            assertEquals(List.of("x", "y"), honest.header().inputNames());
            assertEquals(List.of("y", "x"), swapped.header().inputNames());

            VerificationReport ok = v.verify(honest, named(m, "x", "y"));
            assertEquals(Verdict.VALID, ok.verdict(), ok.summary());
            VerificationReport bad = v.verify(swapped, named(m, "x", "y"));
            assertEquals(Verdict.INVALID, bad.verdict(), bad.summary());
            assertEquals(HeaderField.INPUTS, bad.headerMismatch().orElseThrow().field(), bad.summary());
            assertEquals(0, bad.stepsChecked(), "rejected before anything ran");
            assertTrue(bad.headerMismatch().get().actual().contains("y="), bad.summary());
            // the swapped transcript is honest for the swapped input: it verifies against that one
            VerificationReport own = v.verify(swapped, named(m, "y", "x"));
            assertEquals(Verdict.VALID, own.verdict(), own.summary());
            // unnamed arrays bind by position, as the runner feeds them: the same as x, y
            NDList unnamed = named(m, null, null);
            VerificationReport positional = v.verify(honest, unnamed);
            assertEquals(Verdict.VALID, positional.verdict(), positional.summary());
        }
    }
}
