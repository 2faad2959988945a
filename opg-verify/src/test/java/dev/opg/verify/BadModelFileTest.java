package dev.opg.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.djl.TorchScriptRunner;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.onnx.OnnxRunner;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.testmodels.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bad input: files that are not models (random bytes named {@code .onnx}, truncated copies of
 * Silero VAD, a text file named {@code .pt}). DJL's loaders refuse them with their own typed
 * exceptions; opg's entry points that read a model file ({@link OnnxRunner#open},
 * {@link TorchScriptRunner#commit}, {@link VerifiableModel#wrap} on a model whose file changed
 * on disk) throw {@link MalformedInputException} naming the file. Nothing crashes, hangs or is
 * accepted silently.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BadModelFileTest {
    private static final Logger LOG = LoggerFactory.getLogger(BadModelFileTest.class);
    private static final long SEED = 20240602L;

    private static Path write(Path dir, String sub, String name, byte[] bytes) throws Exception {
        Path f = dir.resolve(sub).resolve(name);
        Files.createDirectories(f.getParent());
        Files.write(f, bytes);
        return f;
    }

    private static void assertNamesFile(MalformedInputException e, Path f) {
        assertTrue(e.getMessage().contains(f.toString()), "the message names the file: " + e.getMessage());
    }

    @Test
    void randomBytesAndTruncatedSileroNamedOnnxAreRefusedWithTypedExceptions(@TempDir Path dir) throws Exception {
        DeterminismProfile profile = TestModels.onnxProfile();
        Random r = new Random(SEED);
        byte[] silero = Files.readAllBytes(TestModels.sileroVadV5());
        int k = 0;
        for (int len : new int[] {4096, 1, 100_000}) {
            byte[] junk = new byte[len];
            r.nextBytes(junk);
            Path f = write(dir, "random" + k++, "silero_vad_v5.onnx", junk);
            assertThrows(MalformedModelException.class, () -> TestModels.loadOnnx(f), "DJL refuses random bytes");
            assertNamesFile(assertThrows(MalformedInputException.class, () -> OnnxRunner.open(f, profile)), f);
        }
        for (int len : new int[] {0, 1, 10, 1000, silero.length / 2, silero.length - 1}) {
            Path f = write(dir, "truncated" + len, "silero_vad_v5.onnx", Arrays.copyOf(silero, len));
            assertThrows(MalformedModelException.class, () -> TestModels.loadOnnx(f), "DJL refuses Silero cut to " + len + " bytes");
            MalformedInputException e = assertThrows(MalformedInputException.class, () -> OnnxRunner.open(f, profile), "cut to " + len);
            assertNamesFile(e, f);
        }
    }

    @Test
    void aSileroFileCutOrChangedAnywhereIsRefusedOrGetsAnotherModelId(@TempDir Path dir) throws Exception {
        DeterminismProfile profile = TestModels.onnxProfile();
        byte[] silero = Files.readAllBytes(TestModels.sileroVadV5());
        Digest id;
        try (OnnxRunner honest = OnnxRunner.open(TestModels.sileroVadV5(), profile)) {
            id = honest.commitment().modelId();
        }
        Random r = new Random(SEED + 1);
        int refused = 0;
        int reidentified = 0;
        Path f = dir.resolve("silero_vad_v5.onnx");
        for (int iter = 0; iter < 90; iter++) {
            byte[] bad;
            if (iter % 3 == 0) {
                bad = Arrays.copyOf(silero, r.nextInt(silero.length));
            } else {
                bad = silero.clone();
                int at = iter % 3 == 1 ? r.nextInt(Math.min(4096, bad.length)) : r.nextInt(bad.length);
                bad[at] ^= (byte) (1 + r.nextInt(255));
            }
            Files.write(f, bad);
            try (OnnxRunner o = OnnxRunner.open(f, profile)) {
                assertNotEquals(id, o.commitment().modelId(), "a changed file keeps the model id (iteration " + iter + ")");
                reidentified++;
            } catch (MalformedInputException e) {
                assertNamesFile(e, f);
                refused++;
            } catch (OpgException e) {
                refused++; // typed (e.g. an unsupported dtype code); never a raw exception
            }
        }
        assertEquals(90, refused + reidentified);
        assertTrue(refused > 0 && reidentified > 0, refused + " refused, " + reidentified + " re-identified");
        LOG.info("90 cut or changed Silero files: {} refused (MalformedInputException naming the file), {} opened with another model id",
                refused, reidentified);
    }

    @Test
    void aTextFileNamedPtIsRefusedWithTypedExceptions(@TempDir Path dir) throws Exception {
        Path text = write(dir, "text", "tiny_convnet.pt", "this is not a TorchScript model\n".getBytes(StandardCharsets.UTF_8));
        // DJL's own loader: libtorch's refusal surfaces as DJL's EngineException
        assertThrows(EngineException.class, () -> Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(text)
                .optEngine("PyTorch").build().loadModel());
        try (Model m = Model.newInstance("tiny_convnet", "PyTorch")) {
            assertThrows(EngineException.class, () -> m.load(text.getParent()));
        }
        // opg's own reading of the archive
        try (ZooModel<NDList, NDList> ts = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(TestModels.torchScriptFixture()).optEngine("PyTorch").build().loadModel()) {
            assertNamesFile(assertThrows(MalformedInputException.class, () -> TorchScriptRunner.commit(ts.getBlock(), text)), text);
        }
    }

    @Test
    void wrappingAModelWhoseFileIsNoLongerAModelIsAMalformedInputNamingTheFile(@TempDir Path dir) throws Exception {
        byte[] junk = new byte[2048];
        new Random(SEED + 2).nextBytes(junk);
        Path onnx = write(dir, "onnx", "silero_vad_v5.onnx", Files.readAllBytes(TestModels.sileroVadV5()));
        try (Model m = TestModels.loadOnnx(onnx)) {
            Files.write(onnx, junk);
            assertNamesFile(assertThrows(MalformedInputException.class, () -> VerifiableModel.wrap(m, TestModels.onnxProfile())), onnx);
        }
        Path pt = write(dir, "pt", "tiny_convnet.pt", Files.readAllBytes(TestModels.torchScriptFixture()));
        try (ZooModel<NDList, NDList> m = Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(pt)
                .optEngine("PyTorch").build().loadModel()) {
            Files.writeString(pt, "not a model any more\n");
            assertNamesFile(assertThrows(MalformedInputException.class, () -> VerifiableModel.wrap(m, TestModels.pytorchProfile())), pt);
        }
    }

    /** The fixture's entries in archive order, each renamed or dropped by {@code rename} (null drops it), plus {@code extra}. */
    private static byte[] rezip(UnaryOperator<String> rename, Map<String, byte[]> extra, boolean extraFirst) throws Exception {
        List<Map.Entry<String, byte[]>> entries = new ArrayList<>();
        try (ZipFile z = new ZipFile(TestModels.torchScriptFixture().toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                String n = rename.apply(e.getName());
                if (n != null) {
                    entries.add(Map.entry(n, z.getInputStream(e).readAllBytes()));
                }
            }
        }
        List<Map.Entry<String, byte[]>> all = new ArrayList<>(extraFirst ? extra.entrySet() : List.of());
        all.addAll(entries);
        if (!extraFirst) {
            all.addAll(extra.entrySet());
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (var e : all) {
                out.putNextEntry(new ZipEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static Digest tsId(ZooModel<NDList, NDList> ts, Path archive) {
        return TorchScriptRunner.commit(ts.getBlock(), archive).modelId();
    }

    private static ZooModel<NDList, NDList> fixture() throws Exception {
        return Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(TestModels.torchScriptFixture())
                .optEngine("PyTorch").build().loadModel();
    }

    @Test
    void aTorchScriptArchiveWithTwoTopFoldersDuplicatesOrOddPathsIsRefused(@TempDir Path dir) throws Exception {
        TestModels.pytorchProfile();
        try (ZooModel<NDList, NDList> ts = fixture()) {
            // honest control: the fixture, and the same entries re-zipped, have one id
            Digest honest = tsId(ts, TestModels.torchScriptFixture());
            assertEquals(honest, tsId(ts, write(dir, "rezip", "m.pt", rezip(n -> n, Map.of(), false))));
            // a second top folder holding other weights, after or before the committed one
            for (boolean first : new boolean[] {false, true}) {
                byte[] other = new byte[64];
                Path f = write(dir, "two" + first, "m.pt", rezip(n -> n, Map.of("evil/data/0", other, "evil/data.pkl", other), first));
                MalformedInputException e = assertThrows(MalformedInputException.class, () -> tsId(ts, f));
                assertTrue(e.getMessage().contains("more than one top folder") && e.getMessage().contains(f.toString()), e.getMessage());
            }
            // duplicate names: written under a same-length placeholder, then the name bytes patched
            // in both the local header and the central directory (ZipOutputStream refuses duplicates)
            byte[] dup = rezip(n -> n, Map.of("tiny_convnet/data/Z", new byte[16]), false);
            String bytes = new String(dup, StandardCharsets.ISO_8859_1).replace("tiny_convnet/data/Z", "tiny_convnet/data/0");
            Path d = write(dir, "dup", "m.pt", bytes.getBytes(StandardCharsets.ISO_8859_1));
            assertTrue(assertThrows(MalformedInputException.class, () -> tsId(ts, d)).getMessage().contains("twice"));
            // paths that are not canonical, or files opg does not know, or no top folder at all
            int k = 0;
            for (String bad : List.of("tiny_convnet/../tiny_convnet/data/9", "tiny_convnet//code/x.py", "tiny_convnet/./data.pkl",
                    "tiny_convnet\\code\\x.py", "tiny_convnet/code/x.py\n", "tiny_convnet/evil.bin", "stray.pkl")) {
                Path f = write(dir, "bad" + k++, "m.pt", rezip(n -> n, Map.of(bad, new byte[8]), false));
                MalformedInputException e = assertThrows(MalformedInputException.class, () -> tsId(ts, f), bad);
                assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
            }
            // the files that change what libtorch computes are committed: version, byteorder
            Path v = write(dir, "version", "m.pt", rezip(n -> n, Map.of("tiny_convnet/byteorder", "little".getBytes(StandardCharsets.US_ASCII)), false));
            assertNotEquals(honest, tsId(ts, v));
            // tensor-constant storages are committed, not refused and not ignored
            Path c = write(dir, "constants", "m.pt", rezip(n -> n, Map.of("tiny_convnet/constants/0", new byte[4]), false));
            assertNotEquals(honest, tsId(ts, c));
        }
    }
}
