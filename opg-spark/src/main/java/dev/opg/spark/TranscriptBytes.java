package dev.opg.spark;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.UnsupportedVersionException;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.DType;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.LeafEncoding;
import dev.opg.core.transcript.Sketch;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.transcript.TranscriptLimits;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A transcript as a partition file stores it: the spec's own byte encodings of its parts, framed.
 * Internal to opg-spark's partition files ({@link PartitionFile}); every file a user gets (an
 * exported row, {@code opg verify}'s input) is the canonical JSON of {@link TranscriptCodec}, and
 * {@link #toJson} gives it for a stored transcript.
 *
 * <p>Layout (framing integers big-endian, as the rest of a partition file): u32 length and the
 * profile's canonical JSON ({@link TranscriptCodec#encodeProfile}), u32 leaf count n (1 + the
 * steps), then n times u32 length and the leaf data of the transcript's Merkle leaf i: the header
 * leaf ({@code OPG-HEADER}, spec section 3.3, {@link LeafEncoding#header}) then each step's leaf
 * ({@code OPG-STEP}, {@link LeafEncoding#step}), in step order. Nothing follows.
 *
 * <p>The leaves are exactly the bytes the transcript's root hashes, so storing them loses nothing
 * and adds no second encoding of the content. Decoding is strict and fails closed, like the JSON
 * codec's: every length is checked against its cap and against the bytes left before anything is
 * allocated for it ({@link LimitExceededException}); a leaf that does not parse, trailing bytes,
 * a profile JSON that is not canonical, or anything the transcript's own checks refuse gives
 * {@link MalformedInputException}; and the decoded transcript is encoded again and must give the
 * same leaves byte for byte, so each transcript has exactly one stored form and any other bytes
 * are refused rather than read as something else. Thread-safe.
 */
public final class TranscriptBytes {
    /** Largest profile JSON, in bytes (its strings are capped at {@link TranscriptLimits#MAX_PROFILE_STRING_BYTES}). */
    static final int MAX_PROFILE_BYTES = 1 << 14;

    /**
     * The last profile encoded and decoded on this thread: one profile serves every row a task
     * proves, so its JSON is written and parsed (strictly, by {@link TranscriptCodec}) once.
     */
    private static final ThreadLocal<Object[]> ENCODED = ThreadLocal.withInitial(() -> new Object[2]);
    private static final ThreadLocal<Object[]> DECODED = ThreadLocal.withInitial(() -> new Object[2]);

    private TranscriptBytes() {}

    /** The stored form of {@code t}. */
    public static byte[] encode(Transcript t) {
        byte[] profile = profileJson(t.profile());
        byte[] header = t.header().leafData();
        List<Step> steps = t.steps();
        byte[][] leaves = new byte[steps.size()][];
        long size = 8L + profile.length + 4 + header.length;
        for (int i = 0; i < leaves.length; i++) {
            leaves[i] = steps.get(i).leafData();
            size += 4 + leaves[i].length;
        }
        if (size > Integer.MAX_VALUE - 64) {
            throw new LimitExceededException("a transcript of " + size + " bytes does not fit one partition file row");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size); // big-endian
        b.putInt(profile.length).put(profile);
        b.putInt(1 + leaves.length);
        b.putInt(header.length).put(header);
        for (byte[] l : leaves) {
            b.putInt(l.length).put(l);
        }
        return b.array();
    }

    /**
     * Decodes a stored transcript; see the class comment for what is refused and how.
     *
     * @throws MalformedInputException for bytes that are not the stored form of a valid transcript
     * @throws LimitExceededException for a length above its cap or beyond the bytes given
     * @throws UnsupportedVersionException for a header of another transcript version
     */
    public static Transcript decode(byte[] stored) {
        Cursor c = new Cursor(stored, "stored transcript");
        byte[] profileJson = c.block(MAX_PROFILE_BYTES, "profile JSON");
        DeterminismProfile profile = profile(profileJson);
        int n = c.count(1, TranscriptLimits.MAX_STEPS + 1L, 4, "leaves");
        byte[] headerLeaf = c.block(Integer.MAX_VALUE, "header leaf");
        TranscriptHeader header = header(headerLeaf);
        List<Step> steps = new ArrayList<>(Math.min(n - 1, 1 << 12));
        List<byte[]> stepLeaves = new ArrayList<>(Math.min(n - 1, 1 << 12));
        for (int i = 0; i < n - 1; i++) {
            byte[] leaf = c.block(Integer.MAX_VALUE, "step " + i + " leaf");
            stepLeaves.add(leaf);
            steps.add(step(leaf, i));
        }
        c.end();
        Transcript t = new Transcript(header, steps, profile);
        // one stored form per transcript: the leaves it encodes to are the leaves stored
        if (!Arrays.equals(headerLeaf, header.leafData())) {
            throw new MalformedInputException("the stored transcript's header leaf is not in the spec's encoding");
        }
        for (int i = 0; i < steps.size(); i++) {
            if (!Arrays.equals(stepLeaves.get(i), steps.get(i).leafData())) {
                throw new MalformedInputException("the stored transcript's step " + i + " leaf is not in the spec's encoding");
            }
        }
        return t;
    }

    /** The canonical JSON ({@link TranscriptCodec#encode}) of a stored transcript, what {@code opg verify} reads. */
    public static byte[] toJson(byte[] stored) {
        return TranscriptCodec.encode(decode(stored));
    }

    private static byte[] profileJson(DeterminismProfile p) {
        Object[] last = ENCODED.get();
        if (last[0] != p) {
            last[1] = TranscriptCodec.encodeProfile(p);
            last[0] = p;
        }
        return (byte[]) last[1];
    }

    private static DeterminismProfile profile(byte[] json) {
        Object[] last = DECODED.get();
        if (last[0] == null || !Arrays.equals((byte[]) last[0], json)) {
            DeterminismProfile p = TranscriptCodec.decodeProfile(json); // strict: canonical JSON only
            last[1] = p;
            last[0] = json; // a copy of the caller's bytes (Cursor.block): nobody else holds it
        }
        return (DeterminismProfile) last[1];
    }

    /** Parses {@code OPG-HEADER} leaf data (spec section 3.3). */
    static TranscriptHeader header(byte[] leaf) {
        Leaf r = new Leaf(leaf, "header leaf");
        r.tag(LeafEncoding.HEADER_TAG);
        int version = r.u8();
        if (version != TranscriptHeader.VERSION) {
            throw new UnsupportedVersionException("the stored transcript's header has version " + version + "; this reads "
                    + TranscriptHeader.VERSION);
        }
        CommitmentMode mode = CommitmentMode.fromCode(r.u8());
        long k = r.u32();
        if (k > TranscriptLimits.MAX_SKETCH_DIMENSION) {
            throw new LimitExceededException("the stored header's sketch dimension " + k + " exceeds " + TranscriptLimits.MAX_SKETCH_DIMENSION);
        }
        Granularity granularity = Granularity.fromCode(r.u8());
        String scope = r.string("header scope");
        int nCuts = r.count(TranscriptLimits.MAX_STEPS, 4, "header cuts");
        List<String> cuts = new ArrayList<>(nCuts);
        for (int i = 0; i < nCuts; i++) {
            cuts.add(r.string("header cut"));
        }
        Digest modelId = r.digest();
        Digest profileDigest = r.digest();
        int nIn = r.count(TranscriptLimits.MAX_TENSORS, 4 + Digest.SIZE, "header inputs");
        List<String> names = new ArrayList<>(nIn);
        List<Digest> inputs = new ArrayList<>(nIn);
        for (int i = 0; i < nIn; i++) {
            names.add(r.string("header input name"));
            inputs.add(r.digest());
        }
        List<Digest> outputs = r.digests("header outputs");
        r.end();
        return new TranscriptHeader(version, mode, (int) k, granularity, scope, cuts, modelId, profileDigest, names, inputs, outputs);
    }

    /** Parses {@code OPG-STEP} leaf data of the step at {@code position}. */
    static Step step(byte[] leaf, int position) {
        Leaf r = new Leaf(leaf, "step " + position + " leaf");
        r.tag(LeafEncoding.STEP_TAG);
        int version = r.u8();
        if (version != TranscriptHeader.STEP_VERSION) {
            throw new UnsupportedVersionException("the stored transcript's step " + position + " has leaf version " + version
                    + "; this reads " + TranscriptHeader.STEP_VERSION);
        }
        long index = r.u64();
        if (index != position) {
            throw new MalformedInputException("the stored transcript's step at position " + position + " has index " + index);
        }
        String name = r.string("step name");
        List<Digest> inputs = r.digests("step " + position + " inputs");
        List<Digest> outputs = r.digests("step " + position + " outputs");
        int nSketch = r.count(TranscriptLimits.MAX_TENSORS, 2 + 4 + 4, "step " + position + " sketches");
        List<Sketch> sketches = new ArrayList<>(nSketch);
        for (int j = 0; j < nSketch; j++) {
            DType dtype = DType.fromCode(r.u8());
            int rank = r.u8();
            r.need(8L * rank, "a sketch shape");
            long[] shape = new long[rank];
            for (int d = 0; d < rank; d++) {
                shape[d] = r.u64();
            }
            long dim = r.u32();
            if (dim < 1 || dim > TranscriptLimits.MAX_SKETCH_DIMENSION) {
                throw new LimitExceededException("a stored sketch has " + dim + " values; expected 1.." + TranscriptLimits.MAX_SKETCH_DIMENSION);
            }
            r.need(4 * dim, "sketch values");
            float[] values = new float[(int) dim];
            for (int v = 0; v < dim; v++) {
                values[v] = Float.intBitsToFloat((int) r.u32());
            }
            sketches.add(new Sketch(dtype, shape, values));
        }
        r.end();
        return new Step(index, name, inputs, outputs, sketches);
    }

    /** The framing: big-endian lengths, each checked against the bytes left before anything is allocated. */
    private static final class Cursor {
        private final ByteBuffer b;
        private final String what;

        Cursor(byte[] bytes, String what) {
            if (bytes == null) {
                throw new MalformedInputException("no " + what + " (null)");
            }
            this.b = ByteBuffer.wrap(bytes);
            this.what = what;
        }

        int u32(String field) {
            if (b.remaining() < 4) {
                throw new MalformedInputException("the " + what + " is truncated (in the length of its " + field + ")");
            }
            return b.getInt();
        }

        byte[] block(int cap, String field) {
            int n = u32(field);
            if (n < 0 || n > cap) {
                throw new LimitExceededException("the " + what + "'s " + field + " of " + Integer.toUnsignedString(n)
                        + " bytes is outside 0.." + cap);
            }
            if (n > b.remaining()) {
                throw new LimitExceededException("the " + what + "'s " + field + " of " + n + " bytes runs past its end ("
                        + b.remaining() + " bytes left)");
            }
            byte[] out = new byte[n];
            b.get(out);
            return out;
        }

        int count(long min, long max, int bytesEach, String field) {
            long n = Integer.toUnsignedLong(u32(field + " count"));
            if (n < min || n > max) {
                throw new LimitExceededException("the " + what + " has " + n + " " + field + "; expected " + min + ".." + max);
            }
            if (n * bytesEach > b.remaining()) {
                throw new LimitExceededException("the " + what + " says " + n + " " + field + ", more than its " + b.remaining()
                        + " remaining bytes hold");
            }
            return (int) n;
        }

        void end() {
            if (b.hasRemaining()) {
                throw new MalformedInputException("the " + what + " has " + b.remaining() + " bytes after its last leaf");
            }
        }
    }

    /** A leaf's fields: little-endian integers and u32-length UTF-8 strings (spec section 3.3), bounds-checked. */
    private static final class Leaf {
        private final ByteBuffer b;
        private final String what;

        Leaf(byte[] bytes, String what) {
            this.b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            this.what = what;
        }

        void need(long n, String field) {
            if (n > b.remaining()) {
                throw new MalformedInputException("the stored transcript's " + what + " is truncated (in " + field + ": "
                        + n + " bytes needed, " + b.remaining() + " left)");
            }
        }

        void tag(String tag) {
            byte[] want = tag.getBytes(StandardCharsets.US_ASCII);
            need(want.length, "its tag");
            byte[] got = new byte[want.length];
            b.get(got);
            if (!Arrays.equals(want, got)) {
                throw new MalformedInputException("the stored transcript's " + what + " does not start with " + tag);
            }
        }

        int u8() {
            need(1, "a one-byte field");
            return b.get() & 0xff;
        }

        long u32() {
            need(4, "a 4-byte field");
            return Integer.toUnsignedLong(b.getInt());
        }

        long u64() {
            need(8, "an 8-byte field");
            long v = b.getLong();
            if (v < 0) {
                throw new MalformedInputException("the stored transcript's " + what + " holds an integer above 2^63 - 1");
            }
            return v;
        }

        Digest digest() {
            need(Digest.SIZE, "a digest");
            byte[] d = new byte[Digest.SIZE];
            b.get(d);
            return Digest.of(d);
        }

        int count(long max, int bytesEach, String field) {
            long n = u32();
            if (n > max) {
                throw new LimitExceededException("the stored transcript's " + field + " has " + n + " entries; the cap is " + max);
            }
            need(n * bytesEach, field);
            return (int) n;
        }

        List<Digest> digests(String field) {
            int n = count(TranscriptLimits.MAX_TENSORS, Digest.SIZE, field);
            List<Digest> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(digest());
            }
            return out;
        }

        String string(String field) {
            long n = u32();
            if (n > TranscriptLimits.MAX_NAME_BYTES) {
                throw new LimitExceededException("the stored transcript's " + field + " has " + n + " UTF-8 bytes; the cap is "
                        + TranscriptLimits.MAX_NAME_BYTES);
            }
            need(n, field);
            ByteBuffer s = b.slice(b.position(), (int) n);
            b.position(b.position() + (int) n);
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(s);
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw new MalformedInputException("the stored transcript's " + field + " is not valid UTF-8");
            }
        }

        void end() {
            if (b.hasRemaining()) {
                throw new MalformedInputException("the stored transcript's " + what + " has " + b.remaining() + " bytes after its last field");
            }
        }
    }
}
