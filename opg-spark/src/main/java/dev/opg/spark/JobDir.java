package dev.opg.spark;

import dev.opg.core.MalformedInputException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.spark.sql.SparkSession;

/**
 * A job directory on a Hadoop {@link FileSystem} ({@code hdfs://}, {@code s3a://}, {@code file:},
 * ...) together with the Hadoop configuration that reaches it, serializable so that every task
 * opens the same file system the driver resolved: the driver's configuration (Spark's
 * {@code hadoopConfiguration()}, with every {@code spark.hadoop.*} setting) travels with the task,
 * so an executor needs no Hadoop configuration files of its own.
 *
 * <p>On a checksummed file system ({@code file:} is Hadoop's {@code LocalFileSystem}) the raw
 * file system under it is used: a partition file carries its own SHA-256, and a local job
 * directory keeps the layout it always had (no {@code .crc} side files).
 *
 * <p>Commits are a rename of a complete temporary file ({@link #commit}). Hadoop's plain
 * {@code rename} does not replace an existing file on HDFS and reports failure by returning
 * false; the commit replaces, and a failure is an {@link IOException}, never ignored.
 */
final class JobDir implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String uri;
    private final byte[] conf;
    private transient Configuration configuration;
    private transient FileSystem fs;

    private JobDir(String uri, byte[] conf, Configuration configuration, FileSystem fs) {
        this.uri = uri;
        this.conf = conf;
        this.configuration = configuration;
        this.fs = fs;
    }

    /**
     * The directory {@code dir} (a URI, or a path resolved as Hadoop resolves it: against
     * {@code fs.defaultFS} and the working directory), qualified, with {@code conf}.
     *
     * @throws MalformedInputException for a directory that is not a valid Hadoop path or whose scheme has no file system
     */
    static JobDir of(String dir, Configuration conf) {
        Path p;
        try {
            p = new Path(dir);
        } catch (IllegalArgumentException e) {
            throw new MalformedInputException("the job directory '" + dir + "' is not a valid Hadoop path or URI: " + e.getMessage(), e);
        }
        Configuration copy = new Configuration(conf);
        FileSystem f;
        try {
            f = open(p, copy);
        } catch (IOException e) {
            throw new MalformedInputException("no Hadoop file system for the job directory '" + dir + "': " + e.getMessage()
                    + " (expected hdfs://, s3a://, file: or another scheme this Hadoop configuration knows)", e);
        }
        Path q = f.makeQualified(p);
        return new JobDir(q.toString(), write(copy), copy, f);
    }

    /** {@code dir} with the Hadoop configuration of {@code spark}. */
    static JobDir of(String dir, SparkSession spark) {
        return of(dir, spark.sparkContext().hadoopConfiguration());
    }

    private static FileSystem open(Path p, Configuration c) throws IOException {
        FileSystem f = p.getFileSystem(c); // cached and shared in this JVM: never closed here
        return f instanceof ChecksumFileSystem cfs ? cfs.getRawFileSystem() : f;
    }

    /**
     * The configuration's properties (raw values, as set), sorted by name: u32 count, then each
     * name and value as u32 length and UTF-8. Hadoop's own {@code Configuration.write} also writes
     * where each property came from, each source name gzip-compressed: about 10 ms per job, as much
     * as proving a few hundred rows of a small model.
     */
    static byte[] write(Configuration c) {
        java.util.TreeMap<String, String> props = new java.util.TreeMap<>();
        for (java.util.Map.Entry<String, String> e : c) {
            props.put(e.getKey(), e.getValue());
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream(64 * props.size());
        try (DataOutputStream out = new DataOutputStream(b)) {
            out.writeInt(props.size());
            for (java.util.Map.Entry<String, String> e : props.entrySet()) {
                byte[] k = e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                byte[] v = e.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.writeInt(k.length);
                out.write(k);
                out.writeInt(v.length);
                out.write(v);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    /** The configuration {@link #write} wrote: its properties set, in order, on an empty configuration. */
    static Configuration read(byte[] bytes) {
        Configuration c = new Configuration(false);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
        int n = b.getInt();
        for (int i = 0; i < n; i++) {
            c.set(utf8(b), utf8(b));
        }
        if (b.hasRemaining()) {
            throw new IllegalStateException("the job's Hadoop configuration has " + b.remaining() + " bytes after its last property");
        }
        return c;
    }

    private static String utf8(java.nio.ByteBuffer b) {
        byte[] s = new byte[b.getInt()];
        b.get(s);
        return new String(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The qualified URI of the directory. */
    String uri() {
        return uri;
    }

    /** The directory. */
    Path path() {
        return new Path(uri);
    }

    /** {@code parts/} under it, where partition and receipt files go. */
    Path parts() {
        return new Path(path(), "parts");
    }

    /** {@code name} in {@code parts/}. */
    Path part(String name) {
        return new Path(parts(), name);
    }

    /**
     * The Hadoop configuration the driver resolved the directory with. Each task receives its own
     * copy of this object; the configuration it carries is read once per executor (by the SHA-256
     * of its bytes) and shared, read-only, by every task that carries the same bytes: reading a
     * whole Hadoop configuration costs tens of milliseconds, as much as proving a small partition.
     */
    synchronized Configuration configuration() {
        if (configuration == null) {
            String key = dev.opg.core.Hex.encode(PartitionFile.sha256().digest(conf));
            Configuration c = READ.get(key);
            if (c == null) {
                c = read(conf);
                if (READ.size() >= MAX_READ) {
                    READ.clear(); // a long-lived executor serving many differently configured jobs
                }
                READ.put(key, c);
            }
            configuration = c;
        }
        return configuration;
    }

    /** Configurations this executor has read, by the SHA-256 of their serialized bytes. */
    private static final java.util.Map<String, Configuration> READ = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_READ = 16;

    /** The file system holding the directory. */
    synchronized FileSystem fs() throws IOException {
        if (fs == null) {
            fs = open(path(), configuration());
        }
        return fs;
    }

    /**
     * A fresh temporary name beside {@code target}: {@code .NAME.TAG-RANDOM.tmp}, hidden from
     * Hadoop's input formats and never read as a committed file; random, so that no run meets a
     * file (or an open HDFS lease) an earlier run's dead task left under the same name.
     */
    static Path tmp(Path target, String tag) {
        return new Path(target.getParent(), "." + target.getName() + "." + tag + "-"
                + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE) + ".tmp");
    }

    /**
     * Creates a new file (failing if it exists), creating missing parent directories. On the
     * local file system the file is created through {@code java.nio} with the process's default
     * permissions: Hadoop's {@code RawLocalFileSystem} sets the permission of every file it
     * creates, and without Hadoop's native library it does so by running {@code chmod} in a new
     * process, milliseconds per file, as much as proving a few hundred rows of a small model. The
     * stream syncs to disk on {@code hsync()} as Hadoop's does.
     */
    FSDataOutputStream create(Path file) throws IOException {
        FileSystem f = fs();
        if (f instanceof RawLocalFileSystem raw) {
            java.nio.file.Path p = raw.pathToFile(file).toPath();
            if (p.getParent() != null) {
                java.nio.file.Files.createDirectories(p.getParent());
            }
            return new FSDataOutputStream(new LocalFile(java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE)), null);
        }
        return f.create(file, false);
    }

    /** Creates {@code dir} and its missing parents; on the local file system through {@code java.nio}, as {@link #create}. */
    void mkdirs(Path dir) throws IOException {
        FileSystem f = fs();
        if (f instanceof RawLocalFileSystem raw) {
            java.nio.file.Files.createDirectories(raw.pathToFile(dir).toPath());
        } else if (!f.mkdirs(dir)) {
            throw new IOException("cannot create " + dir + ": the file system's mkdirs returned false");
        }
    }

    /** A new local file written through its channel; {@code hsync} forces it to disk. */
    private static final class LocalFile extends java.io.OutputStream implements org.apache.hadoop.fs.Syncable {
        private final java.nio.channels.FileChannel channel;

        LocalFile(java.nio.channels.FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        }

        @Override
        public void hflush() {
            // every write is already in the operating system's hands
        }

        @Override
        public void hsync() throws IOException {
            channel.force(true);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    boolean isFile(Path file) throws IOException {
        try {
            return fs().getFileStatus(file).isFile();
        } catch (FileNotFoundException e) {
            return false;
        }
    }

    /** Deletes a file if it is there. */
    void deleteIfExists(Path file) throws IOException {
        FileSystem f = fs();
        if (!f.delete(file, false) && f.exists(file)) {
            throw new IOException("cannot delete " + file + ": the file system's delete returned false");
        }
    }

    /** The files in {@code dir} whose names {@code accept} (an empty list for a missing directory), sorted by name. */
    List<FileStatus> list(Path dir, Predicate<String> accept) throws IOException {
        FileStatus[] all;
        try {
            all = fs().listStatus(dir);
        } catch (FileNotFoundException e) {
            return List.of();
        }
        List<FileStatus> out = new ArrayList<>();
        for (FileStatus s : all) {
            if (s.isFile() && accept.test(s.getPath().getName())) {
                out.add(s);
            }
        }
        out.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
        return out;
    }

    /**
     * Moves the complete file {@code tmp} to {@code target}, replacing what is there
     * ({@code FileUtil.rename} with {@code OVERWRITE}): on HDFS one atomic NameNode operation, on
     * the local file system one {@code rename(2)}; on a file system without an atomic replace
     * (Hadoop's default, e.g. an object store) the old target is deleted first, so that in
     * between there is no file under the final name, never a partial one. A rename the file
     * system refuses (where plain {@code rename} would return false) is an exception, never
     * ignored.
     *
     * @throws IOException when the rename failed
     */
    void commit(Path tmp, Path target) throws IOException {
        FileSystem f = fs();
        if (f instanceof RawLocalFileSystem) {
            // rename(2) replaces atomically; Hadoop's generic replace would delete first
            if (!f.rename(tmp, target)) {
                throw new IOException("cannot rename " + tmp + " to " + target + ": the file system's rename returned false");
            }
            return;
        }
        FileUtil.rename(f, tmp, target, Options.Rename.OVERWRITE);
    }

    @Override
    public String toString() {
        return uri;
    }
}
