package dev.opg.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.MalformedInputException;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.PyTorchProfiles;
import dev.opg.core.witness.Witness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionFileTest {
    static PartitionFile.Row row(int i, byte[] witness) {
        return new PartitionFile.Row(KeyBytes.ofLong(i), new byte[32], List.of(new byte[32]), ("{\"t\":" + i + "}").getBytes(),
                List.of(new byte[] {1, 2, 3}), witness);
    }

    static PartitionFile.Trailer trailer(long rows) {
        return new PartitionFile.Trailer(3, rows, "s", "m", "long", "id", "{}", "1", "h");
    }

    @Test
    void roundTripsAndRefusesEveryDamage(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("part-00003.opgpart");
        try (PartitionFile.Writer w = new PartitionFile.Writer(f)) {
            w.write(row(1, null));
            w.write(row(2, new byte[] {9}));
            w.finish(trailer(2));
        }
        PartitionFile.Contents c = PartitionFile.read(f);
        assertEquals(2, c.rows().size());
        assertArrayEquals(KeyBytes.ofLong(2), c.rows().get(1).key());
        assertNull(c.rows().get(0).witness());
        assertArrayEquals(new byte[] {9}, c.rows().get(1).witness());
        assertEquals(trailer(2), c.trailer());
        assertEquals(3, PartitionFile.Reader.partitionOf(f));

        byte[] good = Files.readAllBytes(f);
        for (int cut : new int[] {0, 5, 20, good.length / 2, good.length - 1}) {
            Files.write(f, java.util.Arrays.copyOf(good, cut));
            assertThrows(MalformedInputException.class, () -> PartitionFile.read(f), "truncated at " + cut);
            assertNull(PartitionFile.validTrailer(f));
        }
        for (int at : new int[] {16, 30, good.length / 2, good.length - 40, good.length - 1}) {
            byte[] bad = good.clone();
            bad[at] ^= 0x10;
            Files.write(f, bad);
            assertThrows(MalformedInputException.class, () -> PartitionFile.read(f), "flipped byte " + at);
        }
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 1);
        Files.write(f, longer);
        assertThrows(MalformedInputException.class, () -> PartitionFile.read(f));
        // an absurd length is refused before anything is allocated
        byte[] huge = good.clone();
        huge[16] = 0x7f; // first row's key length
        Files.write(f, huge);
        var e = assertThrows(MalformedInputException.class, () -> PartitionFile.read(f));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
    }

    /**
     * Rows above the writer's one-buffer size are written field by field, with the same bytes;
     * the writer's length and hash identify the file it finished, and nothing else.
     */
    @Test
    void largeRowsAreTheSameBytesAndTheWrittenFileIsKnownByItsLengthAndHash(@TempDir Path dir) throws Exception {
        byte[] big = new byte[3 << 20];
        new java.util.Random(5).nextBytes(big);
        List<PartitionFile.Row> rows = List.of(row(1, null), row(2, big), row(3, new byte[] {7}),
                new PartitionFile.Row(KeyBytes.ofLong(4), new byte[32], List.of(), new byte[0], List.of(big, new byte[0]), null));
        Path f = dir.resolve("part-00003.opgpart");
        long length;
        byte[] hash;
        try (PartitionFile.Writer w = new PartitionFile.Writer(f)) {
            for (PartitionFile.Row r : rows) {
                w.write(r);
            }
            assertThrows(IllegalStateException.class, w::hash);
            w.finish(trailer(rows.size()));
            length = w.length();
            hash = w.hash();
        }
        byte[] bytes = Files.readAllBytes(f);
        assertEquals(bytes.length, length);
        assertArrayEquals(java.util.Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length), hash);
        assertArrayEquals(PartitionFile.sha256().digest(java.util.Arrays.copyOf(bytes, bytes.length - 32)), hash);
        PartitionFile.Contents c = PartitionFile.read(f);
        assertEquals(rows.size(), c.rows().size());
        for (int i = 0; i < rows.size(); i++) {
            assertArrayEquals(rows.get(i).key(), c.rows().get(i).key());
            assertArrayEquals(rows.get(i).transcript(), c.rows().get(i).transcript());
            assertArrayEquals(rows.get(i).witness(), c.rows().get(i).witness());
            assertEquals(rows.get(i).outputs().size(), c.rows().get(i).outputs().size());
            for (int k = 0; k < rows.get(i).outputs().size(); k++) {
                assertArrayEquals(rows.get(i).outputs().get(k), c.rows().get(i).outputs().get(k));
            }
        }

        org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.getLocal(new org.apache.hadoop.conf.Configuration()).getRawFileSystem();
        org.apache.hadoop.fs.Path hf = new org.apache.hadoop.fs.Path(f.toUri());
        assertTrue(PartitionFile.isCommitted(fs, hf, length, hash));
        byte[] otherHash = hash.clone();
        otherHash[31] ^= 1;
        assertFalse(PartitionFile.isCommitted(fs, hf, length, otherHash));
        assertFalse(PartitionFile.isCommitted(fs, hf, length - 1, hash));
        Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 1));
        assertFalse(PartitionFile.isCommitted(fs, hf, length, hash), "truncated");
        byte[] tail = bytes.clone();
        tail[tail.length - 1] ^= 1;
        Files.write(f, tail);
        assertFalse(PartitionFile.isCommitted(fs, hf, length, hash), "another last byte");
    }

    @Test
    void witnessBytesAreTheSingleFileForm(@TempDir Path dir) throws Exception {
        Path modelDir = Fixtures.mlp(dir.resolve("mlp"));
        DeterminismProfile profile = PyTorchProfiles.apply(1, 1, 0);
        try (Model model = LoadedModel.load(modelDir);
                VerifiableModel vm = VerifiableModel.wrap(model, profile, RecordingOptions.full().withWitness());
                NDManager m = model.getNDManager().newSubManager()) {
            Prediction<NDList> p = vm.predict(new NDList(m.ones(new Shape(1, Fixtures.PIXELS))));
            Witness w = p.witness().orElseThrow();
            Path file = dir.resolve("w.bin");
            w.writeFile(file);
            byte[] bytes = WitnessBytes.encode(w);
            assertArrayEquals(Files.readAllBytes(file), bytes);
            Witness back = WitnessBytes.decode(bytes);
            back.checkAgainst(p.transcript());
        }
    }
}
