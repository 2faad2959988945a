package dev.opg.core.witness;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.LeafWriter;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptLimits;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The tensors of one execution, content-addressed by their digests, with a manifest saying which
 * tensors went into and came out of each step; enough for a verifier to re-run one step alone.
 *
 * <p>A witness is checked whenever it is built or loaded: every tensor must hash to the digest it is
 * filed under, and every digest the manifest names must be present; otherwise
 * {@link MalformedInputException}. {@link #checkAgainst(Transcript)} further ties it to a
 * transcript (in FULL mode the manifest must equal the transcript's digests).
 *
 * <p>Forms: a directory holding {@code manifest.bin} and {@code tensors/<digest hex>.tensor}
 * (each file the tensor header then the data, so its SHA-256 is its name), or a single file
 * {@code "OPG-WITNESS-FILE" u8 1, u64 manifest length, manifest, u32 n, (u64 length, tensor)*n}.
 * The manifest is {@code "OPG-WITNESS" u8 1, digests(model inputs), digests(model outputs), u32 steps,
 * (u64 index, string name, digests(inputs), digests(outputs))*steps}, digests being u32 count then
 * 32-byte values. In the single file the tensors appear in ascending order of their digests
 * (unsigned bytes), each once.
 *
 * <p>Loading is bounded (spec section 3.10): the manifest is at most {@link #MAX_MANIFEST_BYTES},
 * a witness holds at most {@link #MAX_TENSORS} tensors and {@link #MAX_TOTAL_BYTES} bytes of
 * tensor files, each at most {@link #MAX_TENSOR_BYTES}; every tensor's length is checked against
 * its header (dtype and shape) before its data is allocated.
 */
public final class Witness {
    /** Largest witness tensor file (header and data) this implementation loads. */
    public static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 64;
    /** Largest manifest. */
    public static final long MAX_MANIFEST_BYTES = 64L << 20;
    /** Most tensors in one witness. */
    public static final long MAX_TENSORS = 1L << 20;
    /** Largest sum of the tensor files' bytes in one witness. */
    public static final long MAX_TOTAL_BYTES = 16L << 30;

    /** The manifest entry of one step. */
    public record StepEntry(long index, String name, List<Digest> inputs, List<Digest> outputs) {
        public StepEntry {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }
    }

    private final List<Digest> modelInputs;
    private final List<Digest> modelOutputs;
    private final List<StepEntry> steps;
    private final Map<Digest, WitnessTensor> tensors;

    private Witness(List<Digest> modelInputs, List<Digest> modelOutputs, List<StepEntry> steps, Map<Digest, WitnessTensor> tensors) {
        this.modelInputs = List.copyOf(modelInputs);
        this.modelOutputs = List.copyOf(modelOutputs);
        this.steps = List.copyOf(steps);
        this.tensors = Map.copyOf(tensors);
        for (int i = 0; i < this.steps.size(); i++) {
            StepEntry s = this.steps.get(i);
            if (s.index() != i) {
                throw new MalformedInputException("witness step at position " + i + " has index " + s.index());
            }
            requirePresent(s.inputs(), "step " + i + " input");
            requirePresent(s.outputs(), "step " + i + " output");
        }
        requirePresent(this.modelInputs, "model input");
        requirePresent(this.modelOutputs, "model output");
    }

    /**
     * A witness from its manifest and tensors.
     *
     * @throws MalformedInputException if a tensor does not hash to its key or a named tensor is missing
     */
    public static Witness of(List<Digest> modelInputs, List<Digest> modelOutputs, List<StepEntry> steps,
            Map<Digest, WitnessTensor> tensors) {
        for (Map.Entry<Digest, WitnessTensor> e : tensors.entrySet()) {
            Digest actual = e.getValue().digest();
            if (!actual.equals(e.getKey())) {
                throw new MalformedInputException("witness tensor filed under " + e.getKey().hex() + " hashes to "
                        + actual.hex() + "; the witness was altered");
            }
        }
        return new Witness(modelInputs, modelOutputs, steps, tensors);
    }

    private void requirePresent(List<Digest> ds, String what) {
        for (Digest d : ds) {
            if (!tensors.containsKey(d)) {
                throw new MalformedInputException("witness lacks the " + what + " tensor " + d.hex());
            }
        }
    }

    public List<Digest> modelInputs() {
        return modelInputs;
    }

    public List<Digest> modelOutputs() {
        return modelOutputs;
    }

    public List<StepEntry> steps() {
        return steps;
    }

    /** The tensor with this digest. @throws MalformedInputException if absent */
    public WitnessTensor tensor(Digest digest) {
        WitnessTensor t = tensors.get(digest);
        if (t == null) {
            throw new MalformedInputException("the witness holds no tensor " + digest.hex());
        }
        return t;
    }

    /** Step {@code index}'s inputs as engine arrays in {@code manager}. */
    public NDList stepInputs(NDManager manager, int index) {
        return arrays(manager, step(index).inputs());
    }

    /** Step {@code index}'s outputs as engine arrays in {@code manager}. */
    public NDList stepOutputs(NDManager manager, int index) {
        return arrays(manager, step(index).outputs());
    }

    public StepEntry step(int index) {
        if (index < 0 || index >= steps.size()) {
            throw new MalformedInputException("step " + index + " is beyond the witness's " + steps.size() + " steps");
        }
        return steps.get(index);
    }

    private NDList arrays(NDManager manager, List<Digest> ds) {
        NDList out = new NDList(ds.size());
        for (Digest d : ds) {
            out.add(tensor(d).toNDArray(manager));
        }
        return out;
    }

    /**
     * Checks that this witness belongs to {@code t}: same model inputs and outputs, same step names,
     * and in FULL mode the same step digests.
     *
     * @throws MalformedInputException naming the first difference
     */
    public void checkAgainst(Transcript t) {
        if (!modelInputs.equals(t.header().inputs()) || !modelOutputs.equals(t.header().outputs())) {
            throw new MalformedInputException("the witness's model inputs or outputs differ from the transcript header's");
        }
        if (steps.size() != t.steps().size()) {
            throw new MalformedInputException("the witness has " + steps.size() + " steps; the transcript has " + t.steps().size());
        }
        for (int i = 0; i < steps.size(); i++) {
            StepEntry w = steps.get(i);
            Step s = t.steps().get(i);
            if (!w.name().equals(s.name())) {
                throw new MalformedInputException("witness step " + i + " is '" + w.name() + "'; the transcript's is '" + s.name() + "'");
            }
            if (t.header().mode() == CommitmentMode.FULL && (!w.inputs().equals(s.inputs()) || !w.outputs().equals(s.outputs()))) {
                throw new MalformedInputException("witness step " + i + " ('" + w.name() + "') names other tensors than the transcript commits to");
            }
        }
    }

    /** The manifest's byte encoding. */
    public byte[] encodeManifest() {
        LeafWriter w = new LeafWriter("OPG-WITNESS", 1);
        digests(w, modelInputs);
        digests(w, modelOutputs);
        w.u32(steps.size());
        for (StepEntry s : steps) {
            w.u64(s.index()).string(s.name(), TranscriptLimits.MAX_NAME_BYTES, "step name");
            digests(w, s.inputs());
            digests(w, s.outputs());
        }
        return w.toByteArray();
    }

    private static void digests(LeafWriter w, List<Digest> ds) {
        w.u32(ds.size());
        ds.forEach(w::digest);
    }

    /** Writes the directory form (creating {@code dir}). */
    public void writeDirectory(Path dir) throws IOException {
        Path t = dir.resolve("tensors");
        Files.createDirectories(t);
        Files.write(dir.resolve("manifest.bin"), encodeManifest());
        for (Map.Entry<Digest, WitnessTensor> e : tensors.entrySet()) {
            Files.write(t.resolve(e.getKey().hex() + ".tensor"), e.getValue().encode());
        }
    }

    /** Writes the single-file form. */
    public void writeFile(Path file) throws IOException {
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file))) {
            out.write("OPG-WITNESS-FILE".getBytes(StandardCharsets.US_ASCII));
            out.write(1);
            byte[] m = encodeManifest();
            out.write(le(m.length, 8));
            out.write(m);
            List<Digest> keys = new ArrayList<>(tensors.keySet());
            keys.sort(null);
            out.write(le(keys.size(), 4));
            for (Digest d : keys) {
                byte[] enc = tensors.get(d).encode();
                out.write(le(enc.length, 8));
                out.write(enc);
            }
        }
    }

    /** Loads and checks the directory form. */
    public static Witness readDirectory(Path dir) throws IOException {
        Map<Digest, WitnessTensor> tensors = new HashMap<>();
        long total = 0;
        try (Stream<Path> files = Files.list(dir.resolve("tensors"))) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (!name.endsWith(".tensor") || name.length() != 64 + 7) {
                    throw new MalformedInputException("unexpected file " + p + " in a witness; files are <64 hex digits>.tensor");
                }
                Digest key = Digest.fromHex(name.substring(0, 64));
                if (!name.equals(key.hex() + ".tensor")) {
                    throw new MalformedInputException("witness file " + p + " is not named by its digest in lower-case hex");
                }
                // A device, a pipe or a link could hold or promise any number of bytes.
                if (!Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    throw new MalformedInputException("witness entry " + p + " is not a regular file");
                }
                if (tensors.size() >= MAX_TENSORS) {
                    throw new LimitExceededException("witness " + dir + " holds more than " + MAX_TENSORS + " tensors; the cap is " + MAX_TENSORS);
                }
                long size = Files.size(p);
                if (size > MAX_TENSOR_BYTES) {
                    throw new LimitExceededException("witness tensor " + p + " has " + size + " bytes; the cap is " + MAX_TENSOR_BYTES);
                }
                total += size;
                if (total > MAX_TOTAL_BYTES) {
                    throw new LimitExceededException("witness " + dir + " holds more than " + MAX_TOTAL_BYTES + " bytes of tensors; the cap is "
                            + MAX_TOTAL_BYTES);
                }
                try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(p))) {
                    tensors.put(key, readTensor(in, size, "witness tensor " + p));
                    if (in.read() != -1) {
                        throw new MalformedInputException("witness tensor " + p + " grew while it was read");
                    }
                }
            }
        }
        Path m = dir.resolve("manifest.bin");
        if (!Files.isRegularFile(m, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new MalformedInputException("witness " + dir + " has no regular file manifest.bin");
        }
        byte[] manifest;
        try (InputStream in = Files.newInputStream(m)) {
            manifest = in.readNBytes((int) MAX_MANIFEST_BYTES + 1);
        }
        if (manifest.length > MAX_MANIFEST_BYTES) {
            throw new LimitExceededException("witness manifest " + m + " exceeds the cap of " + MAX_MANIFEST_BYTES + " bytes");
        }
        return fromManifest(manifest, tensors);
    }

    /** Loads and checks the single-file form. */
    public static Witness readFile(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            byte[] tag = in.readNBytes(16);
            if (!"OPG-WITNESS-FILE".equals(new String(tag, StandardCharsets.US_ASCII))) {
                throw new MalformedInputException(file + " is not a witness file (no OPG-WITNESS-FILE tag)");
            }
            int version = in.read();
            if (version != 1) {
                throw new dev.opg.core.UnsupportedVersionException("witness file version " + version + "; this implementation reads 1");
            }
            byte[] manifest = readBlock(in, 8, MAX_MANIFEST_BYTES, "manifest");
            long n = readLe(in, 4);
            if (n > MAX_TENSORS) {
                throw new LimitExceededException("witness file lists " + n + " tensors; the cap is " + MAX_TENSORS);
            }
            Map<Digest, WitnessTensor> tensors = new HashMap<>();
            Digest previous = null;
            long total = 0;
            for (long i = 0; i < n; i++) {
                long len = readLe(in, 8);
                if (len < 0 || len > MAX_TENSOR_BYTES) {
                    throw new LimitExceededException("witness tensor " + i + " of " + Long.toUnsignedString(len)
                            + " bytes exceeds the cap of " + MAX_TENSOR_BYTES);
                }
                total += len;
                if (total > MAX_TOTAL_BYTES) {
                    throw new LimitExceededException("witness file " + file + " holds more than " + MAX_TOTAL_BYTES
                            + " bytes of tensors; the cap is " + MAX_TOTAL_BYTES);
                }
                WitnessTensor t = readTensor(in, len, "witness tensor " + i);
                Digest d = t.digest();
                // One order only (ascending digests, each once): one witness, one file.
                if (previous != null && previous.compareTo(d) >= 0) {
                    throw new MalformedInputException("witness tensor " + i + " (" + d.hex() + ") does not follow "
                            + previous.hex() + "; tensors are in strictly ascending order of their digests");
                }
                previous = d;
                tensors.put(d, t);
            }
            if (in.read() != -1) {
                throw new MalformedInputException("trailing bytes after the last witness tensor in " + file);
            }
            return fromManifest(manifest, tensors);
        } catch (EOFException e) {
            throw new MalformedInputException("witness file " + file + " is truncated", e);
        }
    }

    /**
     * Reads one tensor of {@code length} bytes (header then data), checking that its header's
     * dtype and shape need exactly that many bytes before the data is allocated.
     */
    private static WitnessTensor readTensor(InputStream in, long length, String what) throws IOException {
        if (length < 7) {
            throw new MalformedInputException(what + " has " + length + " bytes; a tensor header alone has at least 7");
        }
        byte[] head = in.readNBytes(7);
        if (head.length != 7) {
            throw new EOFException();
        }
        int rank = head[6] & 0xff;
        if (length < 7 + 8L * rank) {
            throw new MalformedInputException(what + " is truncated in its shape: rank " + rank + " needs "
                    + (7 + 8L * rank) + " header bytes, the tensor has " + length);
        }
        byte[] dims = in.readNBytes(8 * rank);
        if (dims.length != 8 * rank) {
            throw new EOFException();
        }
        if (head[0] != 'O' || head[1] != 'P' || head[2] != 'G' || head[3] != 'T') {
            throw new MalformedInputException(what + " does not start with OPGT");
        }
        if (head[4] != dev.opg.core.tensor.TensorDigest.VERSION) {
            throw new MalformedInputException(what + ": tensor encoding version " + head[4] + "; expected "
                    + dev.opg.core.tensor.TensorDigest.VERSION);
        }
        dev.opg.core.tensor.DType dtype = dev.opg.core.tensor.DType.fromCode(head[5] & 0xff);
        long[] shape = new long[rank];
        ByteBuffer b = ByteBuffer.wrap(dims).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rank; i++) {
            shape[i] = b.getLong();
        }
        // The header alone gives the data length: checked before the data is allocated.
        long want = dev.opg.core.tensor.TensorDigest.byteLength(dtype, shape);
        long headerLength = 7 + 8L * rank;
        if (headerLength + want != length) {
            throw new MalformedInputException(what + " has " + (length - headerLength) + " data bytes; its header ("
                    + dtype.specName() + java.util.Arrays.toString(shape) + ") needs " + want);
        }
        byte[] data = in.readNBytes((int) want);
        if (data.length != want) {
            throw new EOFException();
        }
        return new WitnessTensor(dtype, shape, data);
    }

    private static Witness fromManifest(byte[] manifest, Map<Digest, WitnessTensor> tensors) {
        ByteBuffer b = ByteBuffer.wrap(manifest).order(ByteOrder.LITTLE_ENDIAN);
        try {
            byte[] tag = new byte[11];
            b.get(tag);
            if (!"OPG-WITNESS".equals(new String(tag, StandardCharsets.US_ASCII)) || b.get() != 1) {
                throw new MalformedInputException("witness manifest does not start with OPG-WITNESS version 1");
            }
            List<Digest> in = readDigests(b);
            List<Digest> out = readDigests(b);
            long n = Integer.toUnsignedLong(b.getInt());
            if (n > TranscriptLimits.MAX_STEPS) {
                throw new LimitExceededException("witness manifest has " + n + " steps; the cap is " + TranscriptLimits.MAX_STEPS);
            }
            List<StepEntry> steps = new ArrayList<>();
            for (long i = 0; i < n; i++) {
                long index = b.getLong();
                long len = Integer.toUnsignedLong(b.getInt());
                if (len > TranscriptLimits.MAX_NAME_BYTES) {
                    throw new LimitExceededException("witness step name of " + len + " bytes");
                }
                byte[] name = new byte[(int) len];
                b.get(name);
                steps.add(new StepEntry(index, new String(name, StandardCharsets.UTF_8), readDigests(b), readDigests(b)));
            }
            if (b.hasRemaining()) {
                throw new MalformedInputException("trailing bytes in the witness manifest");
            }
            return of(in, out, steps, tensors);
        } catch (java.nio.BufferUnderflowException e) {
            throw new MalformedInputException("witness manifest is truncated", e);
        }
    }

    private static List<Digest> readDigests(ByteBuffer b) {
        long n = Integer.toUnsignedLong(b.getInt());
        if (n > TranscriptLimits.MAX_TENSORS) {
            throw new LimitExceededException("witness manifest lists " + n + " digests; the cap is " + TranscriptLimits.MAX_TENSORS);
        }
        List<Digest> out = new ArrayList<>();
        byte[] d = new byte[32];
        for (long i = 0; i < n; i++) {
            b.get(d);
            out.add(Digest.of(d));
        }
        return out;
    }

    private static byte[] readBlock(InputStream in, int lenBytes, long max, String what) throws IOException {
        long len = readLe(in, lenBytes);
        if (len < 0 || len > max) {
            throw new LimitExceededException("witness " + what + " of " + len + " bytes exceeds " + max);
        }
        byte[] b = in.readNBytes((int) len);
        if (b.length != len) {
            throw new EOFException();
        }
        return b;
    }

    private static long readLe(InputStream in, int n) throws IOException {
        long v = 0;
        for (int i = 0; i < n; i++) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException();
            }
            v |= (long) c << (8 * i);
        }
        return v;
    }

    private static byte[] le(long v, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }
}
