package dev.opg.core.transcript;

import dev.opg.core.Digest;

/**
 * The byte encodings of the transcript's Merkle leaves, exactly as {@code docs/transcript-spec.md}
 * defines them. Integers are unsigned little-endian; strings are u32 length + UTF-8.
 *
 * <pre>
 * header = "OPG-HEADER" u8 version u8 mode u32 sketchDimension u8 granularity string scope
 *          u32 nCuts string*nCuts modelId[32] profileDigest[32]
 *          u32 nIn (string inputName digest[32])*nIn u32 nOut digest[32]*nOut      (version 3)
 * step   = "OPG-STEP" u8 version u64 index string name
 *          u32 nIn digest[32]*nIn u32 nOut digest[32]*nOut
 *          u32 nSketch ( u8 dtype u8 rank u64*rank dims u32 k f32*k )*nSketch
 * </pre>
 */
public final class LeafEncoding {
    /** Domain tag of the header leaf. */
    public static final String HEADER_TAG = "OPG-HEADER";
    /** Domain tag of a step leaf. */
    public static final String STEP_TAG = "OPG-STEP";

    private LeafEncoding() {}

    public static byte[] header(TranscriptHeader h) {
        // the exact size where every string is ASCII (the common case), so the bytes are written once
        int size = HEADER_TAG.length() + 1 + 1 + 4 + 1 + stringSize(h.scope()) + 4 + 2 * Digest.SIZE + 4 + 4
                + Digest.SIZE * h.outputs().size();
        for (String c : h.cuts()) {
            size += stringSize(c);
        }
        for (String n : h.inputNames()) {
            size += stringSize(n) + Digest.SIZE;
        }
        LeafWriter w = new LeafWriter(HEADER_TAG, h.version(), size)
                .u8(h.mode().code())
                .u32(h.sketchDimension())
                .u8(h.granularity().code())
                .string(h.scope(), TranscriptLimits.MAX_NAME_BYTES, "header scope");
        w.u32(h.cuts().size());
        for (String c : h.cuts()) {
            w.string(c, TranscriptLimits.MAX_NAME_BYTES, "header cut");
        }
        w.digest(h.modelId())
                .digest(h.profileDigest());
        w.u32(h.inputs().size());
        for (int i = 0; i < h.inputs().size(); i++) {
            w.string(h.inputNames().get(i), TranscriptLimits.MAX_NAME_BYTES, "header input name").digest(h.inputs().get(i));
        }
        digests(w, h.outputs());
        return w.toByteArray();
    }

    public static byte[] step(Step s) {
        int size = STEP_TAG.length() + 1 + 8 + stringSize(s.name()) + 4 + Digest.SIZE * s.inputs().size() + 4
                + Digest.SIZE * s.outputs().size() + 4;
        for (Sketch k : s.sketches()) {
            size += 1 + 1 + 8 * k.shape().length + 4 + 4 * k.dimension();
        }
        LeafWriter w = new LeafWriter(STEP_TAG, TranscriptHeader.STEP_VERSION, size)
                .u64(s.index())
                .string(s.name(), TranscriptLimits.MAX_NAME_BYTES, "step name");
        digests(w, s.inputs());
        digests(w, s.outputs());
        w.u32(s.sketches().size());
        for (Sketch k : s.sketches()) {
            long[] shape = k.shape();
            w.u8(k.dtype().code()).u8(shape.length);
            for (long d : shape) {
                w.u64(d);
            }
            w.u32(k.dimension());
            for (int i = 0; i < k.dimension(); i++) {
                w.f32(k.value(i));
            }
        }
        return w.toByteArray();
    }

    /** The bytes of a string field where the string is ASCII (else a guess the writer grows past). */
    private static int stringSize(String s) {
        return 4 + Math.max(0, LeafWriter.asciiLength(s));
    }

    private static void digests(LeafWriter w, java.util.List<Digest> ds) {
        w.u32(ds.size());
        for (int i = 0; i < ds.size(); i++) {
            w.digest(ds.get(i));
        }
    }
}
