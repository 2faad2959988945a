package dev.opg.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opg.core.Digest;
import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.InclusionProof;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.types.DataType;

/** Reading a job's files: row receipts, and one row exported for the {@code opg} command. */
public final class JobFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longest receipt line read (a receipt is a few hundred bytes plus at most 64 path digests and the key). */
    static final int MAX_RECEIPT_LINE = 1 << 20;

    private JobFiles() {}

    /** The receipts file of partition {@code p}. */
    public static Path receipts(Path partsDir, int p) {
        return partsDir.resolve(String.format("part-%05d.receipts.jsonl", p));
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

    /** Writes the transcript and receipt of the row with key bytes {@code key}; see {@link ProvenJob#exportRow}. */
    static Path exportRow(Path partsDir, int partitions, byte[] key, DataType keyType, Path dir) throws IOException {
        for (int p = 0; p < partitions; p++) {
            Path rf = receipts(partsDir, p);
            if (!Files.isRegularFile(rf)) {
                throw new MalformedInputException("no receipts for partition " + p + " (" + rf + "); anchor the job first");
            }
            int index = 0;
            String found = null;
            try (BufferedReader r = Files.newBufferedReader(rf, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (Arrays.equals(RowReceipt.parse(line).keyBytes(), key)) {
                        found = line;
                        break;
                    }
                    index++;
                }
            }
            if (found == null) {
                continue;
            }
            PartitionFile.Row row = null;
            try (PartitionFile.Reader r = new PartitionFile.Reader(PartitionFile.name(partsDir, p))) {
                for (int i = 0; i <= index; i++) {
                    row = r.next();
                }
            }
            if (row == null || !Arrays.equals(row.key(), key)) {
                throw new MalformedInputException("partition " + p + ": receipt line " + index + " names key "
                        + KeyBytes.display(key, keyType) + " but the partition file's row there does not");
            }
            String name = "row-" + KeyBytes.display(key, keyType).replaceAll("[^A-Za-z0-9._-]", "_");
            Files.createDirectories(dir);
            Path t = dir.resolve(name + ".json");
            Files.write(t, row.transcript());
            Files.writeString(dir.resolve(name + ".json.anchor.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(found)) + "\n");
            return t;
        }
        throw new MalformedInputException("no row of the job has the key " + KeyBytes.display(key, keyType));
    }
}
