package dev.opg.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.InclusionProof;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiPredicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.types.DataType;

/**
 * Reading a job's files: row receipts, and one row exported for the {@code opg} command.
 *
 * <p><b>One row out of HDFS.</b> {@code opg check-anchor} reads local files: a row's transcript
 * ({@code NAME.json}) and its receipt beside it ({@code NAME.json.anchor.json}). A partition file
 * holds many rows in binary form, so a row is exported rather than copied:
 * {@link #exportRow(String, Configuration, String, Path)} reads the job directory where it is
 * ({@code hdfs://}, {@code s3a://}, a local path) and writes the two files locally, e.g.
 * {@code JobFiles.exportRow("hdfs://nn:8020/jobs/42", new Configuration(), "4242", Path.of("row"))}
 * writes {@code row/row-4242.json} and {@code row/row-4242.json.anchor.json}
 * ({@link ProvenJob#exportRow} does the same for the job at hand). Without a Hadoop client in the
 * JVM, copy the job directory out first, {@code hdfs dfs -get hdfs://nn:8020/jobs/42 job-42}
 * (or only {@code parts/}'s receipts files and the {@code part-NNNNN.opgpart} that holds the row;
 * each receipt line names its row's key), and export from the local copy:
 * {@code exportRow("job-42", new Configuration(), "4242", Path.of("row"))}.
 */
public final class JobFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longest receipt line read (a receipt is a few hundred bytes plus at most 64 path digests and the key). */
    static final int MAX_RECEIPT_LINE = 1 << 20;

    private JobFiles() {}

    /** The receipts file of partition {@code p}. */
    public static Path receipts(Path partsDir, int p) {
        return partsDir.resolve(receiptsName(p));
    }

    /** The receipts file of partition {@code p}, on a Hadoop file system. */
    public static org.apache.hadoop.fs.Path receipts(org.apache.hadoop.fs.Path partsDir, int p) {
        return new org.apache.hadoop.fs.Path(partsDir, receiptsName(p));
    }

    static String receiptsName(int p) {
        return String.format("part-%05d.receipts.jsonl", p);
    }

    static boolean isReceiptsName(String n) {
        return n.matches("part-\\d{5,}\\.receipts\\.jsonl");
    }

    /**
     * Reads a receipts file line by line (UTF-8, lines ended by {@code \n}), refusing a line of
     * more than {@link #MAX_RECEIPT_LINE} bytes before it is held in memory.
     */
    static final class Lines implements AutoCloseable {
        private final InputStream in;
        private final String name;
        private long line;

        Lines(InputStream in, String name) {
            this.in = new BufferedInputStream(in, 1 << 16);
            this.name = name;
        }

        /** The next line, or null at the end. @throws LimitExceededException for a line above the cap */
        String next() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                if (b.size() >= MAX_RECEIPT_LINE) {
                    throw new LimitExceededException("receipts file " + name + ": line " + (line + 1) + " is longer than "
                            + MAX_RECEIPT_LINE + " bytes; a receipt line is at most that");
                }
                b.write(c);
            }
            if (c == -1 && b.size() == 0) {
                return null;
            }
            line++;
            return b.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** One row's receipt as read from a receipts line: what the verifier checks, from bytes it does not trust. */
    public record RowReceipt(byte[] keyBytes, Digest root, Digest jobRoot, InclusionProof proof, String json) {
        /** Parses one line. @throws MalformedInputException for anything but a well-formed receipt */
        public static RowReceipt parse(String line) {
            if (line.length() > MAX_RECEIPT_LINE) {
                throw new MalformedInputException("a receipt line of " + line.length() + " characters exceeds the cap of " + MAX_RECEIPT_LINE);
            }
            try {
                JsonNode o = JSON.readTree(line);
                if (o == null || !"opg-anchor-receipt".equals(o.path("format").asText())) {
                    throw new MalformedInputException("not an opg anchor receipt: " + abbreviate(line));
                }
                List<Digest> path = new ArrayList<>();
                o.path("path").forEach(n -> path.add(Digest.fromHex(n.asText())));
                if (path.size() > 64) {
                    throw new MalformedInputException("a receipt's inclusion proof has " + path.size() + " digests; at most 64");
                }
                return new RowReceipt(Hex.decode(o.path("keyBytes").asText()), Digest.fromHex(o.path("root").asText()),
                        Digest.fromHex(o.path("batchRoot").asText()),
                        new InclusionProof(o.path("leafIndex").asLong(-1), o.path("treeSize").asLong(-1), path), line);
            } catch (IOException | RuntimeException e) {
                if (e instanceof MalformedInputException m) {
                    throw m;
                }
                throw new MalformedInputException("a malformed receipt line (" + e.getMessage() + "): " + abbreviate(line), e);
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }

    /**
     * Writes the transcript and the anchor receipt of one row of the job in {@code jobDir} to
     * {@code outDir/row-KEY.json} and {@code outDir/row-KEY.json.anchor.json}, where
     * {@code opg check-anchor outDir/row-KEY.json} finds them; returns the transcript's path.
     * Reads the job's receipts files and one partition file, wherever the directory is.
     *
     * @param jobDir the job directory: a URI ({@code hdfs://nn:8020/jobs/42}, {@code file:/jobs/42}) or a
     *     path, resolved against {@code conf}'s {@code fs.defaultFS}
     * @param conf the Hadoop configuration that reaches it ({@code new Configuration()} reads {@code core-site.xml}
     *     and {@code hdfs-site.xml} from the class path)
     * @param key the row's key as the receipts print it (the {@code key} field: the string, the number, or hex for a binary key)
     * @throws MalformedInputException if no receipt names that key (or the job was not anchored), or the row's partition
     *     file is missing or does not hold the row the receipt names
     */
    public static Path exportRow(String jobDir, Configuration conf, String key, Path outDir) throws IOException {
        return export(JobDir.of(jobDir, conf), (rc, o) -> key.equals(o.path("key").asText(null)), key, outDir);
    }

    /** Writes the transcript and receipt of the row with key bytes {@code key}; see {@link ProvenJob#exportRow}. */
    static Path exportRow(JobDir dir, byte[] key, DataType keyType, Path outDir) throws IOException {
        return export(dir, (rc, o) -> Arrays.equals(rc.keyBytes(), key), KeyBytes.display(key, keyType), outDir);
    }

    private static Path export(JobDir dir, BiPredicate<RowReceipt, JsonNode> match, String display, Path outDir) throws IOException {
        FileSystem fs = dir.fs();
        List<FileStatus> receiptFiles = dir.list(dir.parts(), JobFiles::isReceiptsName);
        if (receiptFiles.isEmpty()) {
            throw new MalformedInputException("no receipts in " + dir.parts() + " (part-NNNNN.receipts.jsonl); anchor the job first");
        }
        for (FileStatus rf : receiptFiles) {
            String name = rf.getPath().getName();
            int p = Integer.parseInt(name.substring(5, name.indexOf('.')));
            int index = 0;
            String found = null;
            RowReceipt receipt = null;
            try (Lines r = new Lines(fs.open(rf.getPath()), rf.getPath().toString())) {
                String line;
                while ((line = r.next()) != null) {
                    RowReceipt rc = RowReceipt.parse(line);
                    if (match.test(rc, JSON.readTree(line))) {
                        found = line;
                        receipt = rc;
                        break;
                    }
                    index++;
                }
            }
            if (found == null) {
                continue;
            }
            org.apache.hadoop.fs.Path pf = PartitionFile.name(dir.parts(), p);
            PartitionFile.Row row = null;
            try (PartitionFile.Reader r = new PartitionFile.Reader(fs, pf)) {
                for (int i = 0; i <= index; i++) {
                    row = r.next();
                }
            } catch (FileNotFoundException e) {
                throw new MalformedInputException("the row with key " + display + " is row " + index + " of partition " + p + ", but its file "
                        + pf + " is missing (copy it beside " + name + ")", e);
            }
            if (row == null || !Arrays.equals(row.key(), receipt.keyBytes())) {
                throw new MalformedInputException("partition " + p + ": receipt line " + index + " names key " + display
                        + " but the partition file's row there does not");
            }
            String fileName = "row-" + display.replaceAll("[^A-Za-z0-9._-]", "_");
            Files.createDirectories(outDir);
            Path t = outDir.resolve(fileName + ".json");
            Files.write(t, TranscriptBytes.toJson(row.transcript())); // the canonical JSON opg verify reads
            Files.writeString(outDir.resolve(fileName + ".json.anchor.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(found)) + "\n");
            return t;
        }
        throw new MalformedInputException("no row of the job in " + dir + " has the key " + display);
    }
}
