package dev.opg.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.UnsupportedVersionException;
import dev.opg.core.transcript.TranscriptLimits;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Syncable;

/**
 * The file one partition of a proving job writes: every row's key, transcript root, model input
 * digests, transcript (in its stored form, {@link TranscriptBytes}), output tensors and (when
 * recorded) witness, then a trailer
 * saying which partition, job settings, model, executor and profile produced them, then the
 * SHA-256 of every byte before it. Written to a temporary name and renamed into place only when
 * complete, so a file under its final name is either whole or detectably damaged.
 *
 * <p>Layout (integers big-endian): {@code "OPG-SPARK-PART"}, u8 version 2; per row u8 1, u32 key
 * length, key bytes (spec section 3.15), 32-byte transcript root, u32 n, n 32-byte input digests,
 * u32 length, the transcript's stored form ({@link TranscriptBytes}: its profile and Merkle leaf
 * data; version 1 files held canonical JSON here), u32 n, n times (u32 length, tensor file form),
 * i32 length (-1: no witness), witness single-file form; then u8 0, u64 row count, u32 length,
 * trailer JSON (UTF-8), and 32 bytes SHA-256 over everything before them. The format is opg-spark's
 * own, not part of the transcript spec: a transcript leaves a job directory as canonical JSON
 * ({@link TranscriptBytes#toJson}, {@link JobFiles#exportRow}).
 *
 * <p>Reading is bounded and fails closed: a length above its cap or beyond the end of the file
 * ({@link LimitExceededException}), a truncated file, bytes after the hash, or a hash that does
 * not match give {@link MalformedInputException}. Nothing is allocated for a length the file
 * cannot hold, so a hostile file costs at most its own size in memory; a lean reader (what a
 * verifier reads with) holds no output tensor or witness at all, only a transcript at a time
 * (at most {@link TranscriptLimits#MAX_JSON_BYTES}), however large the file.
 *
 * <p>Files are read and written through {@code java.nio} (a local path) or a Hadoop
 * {@link FileSystem} ({@code hdfs://}, {@code s3a://}, ...); the bytes are the same.
 */
public final class PartitionFile {
    static final byte[] MAGIC = "OPG-SPARK-PART".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 2;
    /** Largest key, in bytes. */
    public static final int MAX_KEY_BYTES = 1 << 16;
    /** Largest output tensor (file form) or witness, in bytes. */
    public static final int MAX_BLOB_BYTES = Integer.MAX_VALUE - 64;
    private static final int MAX_TRAILER_BYTES = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private PartitionFile() {}

    /** One proven row as stored; {@code transcript} in its stored form ({@link TranscriptBytes#decode} reads it). */
    public record Row(byte[] key, byte[] root, List<byte[]> inputDigests, byte[] transcript, List<byte[]> outputs, byte[] witness) {
        public Row {
            inputDigests = List.copyOf(inputDigests);
            outputs = List.copyOf(outputs);
        }

        /** Whether the stored row proves the same model input under the same key. */
        boolean sameInput(byte[] otherKey, List<byte[]> otherDigests) {
            if (!Arrays.equals(key, otherKey) || inputDigests.size() != otherDigests.size()) {
                return false;
            }
            for (int i = 0; i < inputDigests.size(); i++) {
                if (!Arrays.equals(inputDigests.get(i), otherDigests.get(i))) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * What produced a partition file.
     *
     * @param partition the input partition's index
     * @param rows the number of rows
     * @param settings the digest of the job settings ({@link ProveSettings#digest()})
     * @param modelFiles the digest of the model's files ({@link ModelSource#filesDigest()})
     * @param keyType the key column's Spark type name
     * @param modelId the model id (hex), null for a partition without rows
     * @param profile the determinism profile the executor ran under (canonical JSON), null without rows
     * @param executor the Spark executor id
     * @param host the executor's host name
     */
    public record Trailer(int partition, long rows, String settings, String modelFiles, String keyType, String modelId,
            String profile, String executor, String host) {
        byte[] toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("partition", partition);
            o.put("rows", rows);
            o.put("settings", settings);
            o.put("modelFiles", modelFiles);
            o.put("keyType", keyType);
            o.put("modelId", modelId);
            o.put("profile", profile);
            o.put("executor", executor);
            o.put("host", host);
            return o.toString().getBytes(StandardCharsets.UTF_8);
        }

        static Trailer fromJson(byte[] json) throws IOException {
            JsonNode o = JSON.readTree(json);
            if (o == null || !o.isObject()) {
                throw new MalformedInputException("a partition file's trailer is not a JSON object");
            }
            return new Trailer(o.path("partition").asInt(-1), o.path("rows").asLong(-1), o.path("settings").asText(null),
                    o.path("modelFiles").asText(null), o.path("keyType").asText(null), text(o, "modelId"), text(o, "profile"),
                    text(o, "executor"), text(o, "host"));
        }

        private static String text(JsonNode o, String f) {
            return o.hasNonNull(f) ? o.get(f).asText() : null;
        }
    }

    /** A partition file's rows and trailer. */
    public record Contents(List<Row> rows, Trailer trailer) {}

    /** The final name of partition {@code p}'s file in {@code dir}. */
    public static Path name(Path dir, int partition) {
        return dir.resolve(fileName(partition));
    }

    /** The final name of partition {@code p}'s file in {@code dir}, on a Hadoop file system. */
    public static org.apache.hadoop.fs.Path name(org.apache.hadoop.fs.Path dir, int partition) {
        return new org.apache.hadoop.fs.Path(dir, fileName(partition));
    }

    /** {@code part-NNNNN.opgpart}. */
    static String fileName(int partition) {
        return String.format("part-%05d.opgpart", partition);
    }

    /** Whether {@code name} is a partition file's final name. */
    static boolean isPartitionFileName(String name) {
        return name.matches("part-\\d{5,}\\.opgpart");
    }

    /** Writes a partition file. Not thread-safe. */
    static final class Writer implements AutoCloseable {
        private final OutputStream sink;
        private final OutputStream out;
        private final MessageDigest sha;
        private ByteBuffer scratch = ByteBuffer.allocate(16); // the longest fixed field run is 13 bytes
        private long rows;
        private long length;
        private byte[] hash;
        private boolean finished;
        private boolean closed;

        Writer(Path file) throws IOException {
            this(Files.newOutputStream(file));
        }

        /** Writes to {@code sink} (closed with the writer); a Hadoop stream is synced to disk by {@link #finish}. */
        Writer(OutputStream sink) throws IOException {
            this.sink = sink;
            this.sha = sha256();
            this.out = new BufferedOutputStream(sink, 1 << 16);
            ByteBuffer b = scratch(MAGIC.length + 1);
            b.put(MAGIC).put((byte) VERSION);
            emit(b);
        }

        void write(Row r) throws IOException {
            emit(scratch(5).put((byte) 1).putInt(r.key().length));
            emit(r.key());
            emit(r.root());
            emit(scratch(4).putInt(r.inputDigests().size()));
            for (byte[] d : r.inputDigests()) {
                emit(d);
            }
            emit(scratch(4).putInt(r.transcript().length));
            emit(r.transcript());
            emit(scratch(4).putInt(r.outputs().size()));
            for (byte[] o : r.outputs()) {
                emit(scratch(4).putInt(o.length));
                emit(o);
            }
            emit(scratch(4).putInt(r.witness() == null ? -1 : r.witness().length));
            if (r.witness() != null) {
                emit(r.witness());
            }
            rows++;
        }

        /** The scratch buffer, cleared, holding at least {@code n} bytes (big-endian). */
        private ByteBuffer scratch(int n) {
            if (scratch.capacity() < n) {
                scratch = ByteBuffer.allocate(Math.max(n, 2 * scratch.capacity()));
            }
            return scratch.clear();
        }

        /** Writes and hashes the bytes put into {@code b} since it was cleared. */
        private void emit(ByteBuffer b) throws IOException {
            emit(b.array(), b.position());
        }

        private void emit(byte[] b) throws IOException {
            emit(b, b.length);
        }

        private void emit(byte[] b, int n) throws IOException {
            sha.update(b, 0, n);
            out.write(b, 0, n);
            length += n;
        }

        long rows() {
            return rows;
        }

        /** Writes the trailer and the hash, flushes and syncs. */
        void finish(Trailer t) throws IOException {
            byte[] json = t.toJson();
            emit(scratch(13).put((byte) 0).putLong(rows).putInt(json.length));
            emit(json);
            hash = sha.digest();
            out.write(hash);
            length += hash.length;
            out.flush();
            if (sink instanceof Syncable s) {
                s.hsync(); // on HDFS: on the datanodes' disks before the rename makes it the committed file
            }
            finished = true;
        }

        boolean finished() {
            return finished;
        }

        /** The bytes written, hash included (after {@link #finish}). */
        long length() {
            return length;
        }

        /** The file's SHA-256, its last 32 bytes (after {@link #finish}). */
        byte[] hash() {
            if (hash == null) {
                throw new IllegalStateException("the partition file is not finished");
            }
            return hash.clone();
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                out.close();
            }
        }
    }

    /**
     * Whether {@code file} is the file a {@link Writer} finished: as long as it wrote, ending in the
     * hash it computed over everything before. Reads 32 bytes, not the file: the hash is over every
     * other byte, so a file under this name holding anything else (another attempt's rows, a
     * truncated copy) differs in its length or its last 32 bytes.
     */
    static boolean isCommitted(FileSystem fs, org.apache.hadoop.fs.Path file, long length, byte[] hash) throws IOException {
        if (length < Digest.SIZE || fs.getFileStatus(file).getLen() != length) {
            return false;
        }
        byte[] tail = new byte[Digest.SIZE];
        try (org.apache.hadoop.fs.FSDataInputStream in = fs.open(file)) {
            in.seek(length - Digest.SIZE);
            in.readFully(tail);
        }
        return MessageDigest.isEqual(tail, hash);
    }

    /** Receives rows as a file is read. */
    @FunctionalInterface
    public interface RowSink {
        void accept(Row row) throws IOException;
    }

    /**
     * Reads {@code file}, handing each row to {@code sink} as it goes, and returns the trailer once
     * the hash over the whole file matched. A caller must not act on the rows before this returns.
     *
     * @throws MalformedInputException for a damaged, truncated or altered file
     */
    public static Trailer scan(Path file, RowSink sink) throws IOException {
        try (Reader r = new Reader(file)) {
            return scan(r, sink);
        }
    }

    /** {@link #scan(Path, RowSink)} for a file on a Hadoop file system. */
    public static Trailer scan(FileSystem fs, org.apache.hadoop.fs.Path file, RowSink sink) throws IOException {
        try (Reader r = new Reader(fs, file)) {
            return scan(r, sink);
        }
    }

    /** {@code scan} of a file on a Hadoop file system with a lean reader ({@code Reader.lean}). */
    static Trailer scanLean(FileSystem fs, org.apache.hadoop.fs.Path file, RowSink sink) throws IOException {
        try (Reader r = Reader.lean(fs, file)) {
            return scan(r, sink);
        }
    }

    private static Trailer scan(Reader r, RowSink sink) throws IOException {
        Row row;
        while ((row = r.next()) != null) {
            sink.accept(row);
        }
        return r.trailer();
    }

    /**
     * Reads a file row by row: {@link #next()} until it returns null, then {@link #trailer()},
     * which is only returned once the hash over the whole file matched.
     */
    public static final class Reader implements AutoCloseable {
        private final String file;
        private final long length;
        private final MessageDigest sha = sha256();
        private final InputStream raw;
        private final Counting counted;
        private final DataInputStream in;
        private final boolean lean;
        private long count;
        private Trailer trailer;

        /** Reads a local file. */
        public Reader(Path file) throws IOException {
            this(Files.size(file), Files.newInputStream(file), file.toString()); // the size first: no stream left open if it fails
        }

        /** Reads a file on a Hadoop file system. */
        public Reader(FileSystem fs, org.apache.hadoop.fs.Path file) throws IOException {
            this(fs.getFileStatus(file).getLen(), fs.open(file), file.toString());
        }

        /**
         * Reads {@code length} bytes of {@code source} (closed with the reader), named {@code name}
         * in messages; a negative length when it is not known (lengths are then checked against their caps only).
         */
        Reader(long length, InputStream source, String name) throws IOException {
            this(length, source, name, false);
        }

        private Reader(long length, InputStream source, String name, boolean lean) throws IOException {
            this.file = name;
            this.length = length;
            this.lean = lean;
            this.raw = new BufferedInputStream(source, 1 << 16);
            this.counted = new Counting(new DigestInputStream(raw, sha));
            this.in = new DataInputStream(counted);
            try {
                byte[] magic = in.readNBytes(MAGIC.length);
                if (!Arrays.equals(magic, MAGIC)) {
                    throw new MalformedInputException(file + " is not an opg-spark partition file (no OPG-SPARK-PART tag)");
                }
                int version = in.readUnsignedByte();
                if (version != VERSION) {
                    throw new UnsupportedVersionException("partition file " + file + " has version " + version + "; this reads " + VERSION
                            + (version == 1 ? " (version 1 held transcripts as JSON; prove the job again with this version)" : ""));
                }
            } catch (IOException | RuntimeException e) {
                raw.close();
                throw truncated(e);
            }
        }

        /**
         * A reader that holds only what a verifier needs of each row, however large the file: the
         * key, root, input digests and transcript as stored; each output tensor as the SHA-256 of
         * its bytes (for a tensor's file form, its tensor digest) in place of the bytes; no witness
         * (null). Every byte is still read and hashed into the file's hash, a few kB at a time.
         */
        static Reader lean(FileSystem fs, org.apache.hadoop.fs.Path file) throws IOException {
            return new Reader(fs.getFileStatus(file).getLen(), fs.open(file), file.toString(), true);
        }

        private MalformedInputException truncated(Exception e) {
            if (e instanceof MalformedInputException m) {
                return m;
            }
            return new MalformedInputException("partition file " + file + " is truncated or unreadable: " + e.getMessage(), e);
        }

        /** The partition index in a partition file's name ({@code part-NNNNN.opgpart}). */
        public static int partitionOf(Path file) {
            return partitionOf(file.getFileName().toString());
        }

        /** The partition index in a partition file's name on a Hadoop file system. */
        public static int partitionOf(org.apache.hadoop.fs.Path file) {
            return partitionOf(file.getName());
        }

        static int partitionOf(String n) {
            if (!isPartitionFileName(n)) {
                throw new MalformedInputException(n + " is not named part-NNNNN.opgpart");
            }
            try {
                return Integer.parseInt(n.substring(5, n.indexOf('.')));
            } catch (NumberFormatException e) {
                throw new MalformedInputException(n + ": the partition index is out of range", e);
            }
        }

        /** The next row, or null after the last (the trailer and hash are then checked). */
        public Row next() throws IOException {
            if (trailer != null) {
                return null;
            }
            try {
                int tag = in.readUnsignedByte();
                if (tag == 0) {
                    finish();
                    return null;
                }
                if (tag != 1) {
                    throw new MalformedInputException("partition file " + file + ": row " + count + " starts with tag " + tag + "; expected 0 or 1");
                }
                byte[] key = block(MAX_KEY_BYTES, "key");
                byte[] root = exact(Digest.SIZE, "transcript root");
                int nIn = count(TranscriptLimits.MAX_TENSORS, "input digests", Digest.SIZE);
                List<byte[]> ins = new ArrayList<>(nIn);
                for (int i = 0; i < nIn; i++) {
                    ins.add(exact(Digest.SIZE, "input digest"));
                }
                byte[] transcript = block((int) Math.min(Integer.MAX_VALUE - 64, TranscriptLimits.MAX_JSON_BYTES), "transcript");
                int nOut = count(TranscriptLimits.MAX_TENSORS, "outputs", 4);
                List<byte[]> outs = new ArrayList<>(nOut);
                for (int i = 0; i < nOut; i++) {
                    outs.add(lean ? through(MAX_BLOB_BYTES, "output tensor") : block(MAX_BLOB_BYTES, "output tensor"));
                }
                int wLen = in.readInt();
                byte[] witness = null;
                if (wLen != -1) {
                    if (wLen < 0 || wLen > MAX_BLOB_BYTES) {
                        throw new LimitExceededException("partition file " + file + ": witness length " + wLen + " is outside 0.." + MAX_BLOB_BYTES);
                    }
                    if (lean) {
                        through(wLen, "witness", null);
                    } else {
                        witness = exact(wLen, "witness");
                    }
                }
                count++;
                return new Row(key, root, ins, transcript, outs, witness);
            } catch (EOFException e) {
                throw truncated(e);
            }
        }

        private void finish() throws IOException {
            long rows = in.readLong();
            if (rows != count) {
                throw new MalformedInputException("partition file " + file + " says it holds " + rows + " rows; it holds " + count);
            }
            byte[] json = block(MAX_TRAILER_BYTES, "trailer");
            byte[] expected = sha.digest();
            byte[] stored = raw.readNBytes(Digest.SIZE);
            if (stored.length != Digest.SIZE || raw.read() != -1 || !MessageDigest.isEqual(expected, stored)) {
                throw new MalformedInputException("partition file " + file + " is damaged: its SHA-256 does not match the bytes "
                        + "(truncated, altered, or not written to the end)");
            }
            Trailer t = Trailer.fromJson(json);
            if (t.rows() != count) {
                throw new MalformedInputException("partition file " + file + ": the trailer says " + t.rows() + " rows; it holds " + count);
            }
            trailer = t;
        }

        private int count(int cap, String what, int bytesEach) throws IOException {
            int n = in.readInt();
            if (n < 0 || n > cap) {
                throw new LimitExceededException("partition file " + file + ": " + n + " " + what + " is outside 0.." + cap);
            }
            fits((long) n * bytesEach, n + " " + what);
            return n;
        }

        private byte[] block(int cap, String what) throws IOException {
            int n = in.readInt();
            if (n < 0 || n > cap) {
                throw new LimitExceededException("partition file " + file + ": a " + what + " of " + n + " bytes is outside 0.." + cap);
            }
            return exact(n, what);
        }

        private byte[] exact(int n, String what) throws IOException {
            fits(n, "a " + what + " of " + n + " bytes");
            byte[] b = in.readNBytes(n);
            if (b.length != n) {
                throw new MalformedInputException("partition file " + file + " is truncated (in a " + what + ")");
            }
            return b;
        }

        /** Reads a length-prefixed blob through the file's hash without holding it; returns the blob's own SHA-256. */
        private byte[] through(int cap, String what) throws IOException {
            int n = in.readInt();
            if (n < 0 || n > cap) {
                throw new LimitExceededException("partition file " + file + ": a " + what + " of " + n + " bytes is outside 0.." + cap);
            }
            MessageDigest d = sha256();
            through(n, what, d);
            return d.digest();
        }

        /** Reads {@code n} bytes through the file's hash (and {@code d}, unless null), 64 kB at a time. */
        private void through(int n, String what, MessageDigest d) throws IOException {
            fits(n, "a " + what + " of " + n + " bytes");
            byte[] buf = new byte[Math.min(n, 1 << 16)];
            int left = n;
            while (left > 0) {
                int k = in.read(buf, 0, Math.min(left, buf.length));
                if (k < 0) {
                    throw new MalformedInputException("partition file " + file + " is truncated (in a " + what + ")");
                }
                if (d != null) {
                    d.update(buf, 0, k);
                }
                left -= k;
            }
        }

        /** Refuses, before allocating, a length the rest of the file cannot hold (with the 32-byte hash after it). */
        private void fits(long n, String what) {
            if (length >= 0 && n > length - counted.position - Digest.SIZE) {
                throw new LimitExceededException("partition file " + file + ": " + what + " at byte " + counted.position
                        + " runs past the end of the file (" + length + " bytes); the file is truncated or its lengths are false");
            }
        }

        /** The trailer, after {@link #next()} returned null. */
        public Trailer trailer() {
            if (trailer == null) {
                throw new IllegalStateException("read every row of " + file + " before its trailer");
            }
            return trailer;
        }

        @Override
        public void close() throws IOException {
            raw.close();
        }
    }

    /** Reads a whole file into memory (for small partitions and tests). */
    public static Contents read(Path file) throws IOException {
        List<Row> rows = new ArrayList<>();
        Trailer t = scan(file, rows::add);
        return new Contents(rows, t);
    }

    /** Reads a whole file on a Hadoop file system into memory (for small partitions and tests). */
    public static Contents read(FileSystem fs, org.apache.hadoop.fs.Path file) throws IOException {
        List<Row> rows = new ArrayList<>();
        Trailer t = scan(fs, file, rows::add);
        return new Contents(rows, t);
    }

    /** The trailer of an intact file, or null where the file is missing or damaged. */
    static Trailer validTrailer(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return scan(file, r -> {});
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The trailer of an intact file on a Hadoop file system, or null where the file is missing or damaged. */
    static Trailer validTrailer(FileSystem fs, org.apache.hadoop.fs.Path file) {
        try {
            if (!fs.getFileStatus(file).isFile()) {
                return null;
            }
            return scan(fs, file, r -> {});
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Counts the bytes read through it. */
    private static final class Counting extends java.io.FilterInputStream {
        long position;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                position++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                position += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long k = super.skip(n);
            position += k;
            return k;
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
