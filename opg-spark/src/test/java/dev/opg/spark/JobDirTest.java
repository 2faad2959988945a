package dev.opg.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files in a local job directory: created as Hadoop creates them (new only, parents made, synced on hsync), without Hadoop's chmod. */
class JobDirTest {
    /** The configuration a task receives has every property the driver's had, as set (not expanded). */
    @Test
    void theShippedConfigurationHasEveryPropertyAsSet() {
        Configuration c = new Configuration();
        c.set("opg.test.plain", "v");
        c.set("opg.test.empty", "");
        c.set("opg.test.unicode", "caf\u00e9 \u03b2 \ud83d\ude00");
        c.set("opg.test.expanded", "${opg.test.plain}/x");
        c.set("fs.defaultFS", "hdfs://nn:8020");
        byte[] bytes = JobDir.write(c);
        Configuration back = JobDir.read(bytes);
        java.util.Map<String, String> want = new java.util.TreeMap<>();
        c.forEach(e -> want.put(e.getKey(), e.getValue()));
        java.util.Map<String, String> got = new java.util.TreeMap<>();
        back.forEach(e -> got.put(e.getKey(), e.getValue()));
        assertEquals(want, got);
        assertTrue(want.size() > 100, "Hadoop's defaults travel too: " + want.size());
        assertEquals("v/x", back.get("opg.test.expanded"));
        assertEquals("caf\u00e9 \u03b2 \ud83d\ude00", back.get("opg.test.unicode"));
        assertEquals("hdfs://nn:8020", back.get("fs.defaultFS"));
        org.junit.jupiter.api.Assertions.assertArrayEquals(bytes, JobDir.write(back), "the same bytes again: executors share what they read");
        assertThrows(IllegalStateException.class, () -> JobDir.read(java.util.Arrays.copyOf(bytes, bytes.length + 1)));
    }

    @Test
    void aLocalFileIsCreatedNewWithItsParentsAndSynced(@TempDir Path tmp) throws Exception {
        JobDir d = JobDir.of(tmp.resolve("job").toUri().toString(), new Configuration());
        assertTrue(d.fs() instanceof RawLocalFileSystem, d.fs().getClass().getName());
        d.mkdirs(d.parts());
        d.mkdirs(d.parts()); // again: nothing to do
        assertTrue(Files.isDirectory(tmp.resolve("job/parts")));

        org.apache.hadoop.fs.Path f = d.part("deep/er/x.bin");
        byte[] bytes = new byte[100_000];
        new java.util.Random(3).nextBytes(bytes);
        try (FSDataOutputStream out = d.create(f)) {
            out.write(bytes, 0, 70_000);
            out.write(bytes[70_000]);
            out.write(bytes, 70_001, bytes.length - 70_001);
            out.hsync();
            assertEquals(bytes.length, Files.size(tmp.resolve("job/parts/deep/er/x.bin")), "on disk before close");
        }
        assertArrayEquals(bytes, Files.readAllBytes(tmp.resolve("job/parts/deep/er/x.bin")));
        assertTrue(d.isFile(f));
        assertThrows(IOException.class, () -> d.create(f), "an existing file is never overwritten by create");
        assertArrayEquals(bytes, Files.readAllBytes(tmp.resolve("job/parts/deep/er/x.bin")));

        // committed by rename as before, and no checksum side files
        org.apache.hadoop.fs.Path target = d.part("x.bin");
        d.commit(f, target);
        assertArrayEquals(bytes, Files.readAllBytes(tmp.resolve("job/parts/x.bin")));
        try (var s = Files.walk(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".crc")));
        }
    }
}
