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
        LeafWriter w = new LeafWriter(HEADER_TAG, h.version())
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
        digests(w, h.outputs().toArray(Digest[]::new));
        return w.toByteArray();
    }

    public static byte[] step(Step s) {
        LeafWriter w = new LeafWriter(STEP_TAG, TranscriptHeader.STEP_VERSION)
                .u64(s.index())
                .string(s.name(), TranscriptLimits.MAX_NAME_BYTES, "step name");
        digests(w, s.inputs().toArray(Digest[]::new));
        digests(w, s.outputs().toArray(Digest[]::new));
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

    private static void digests(LeafWriter w, Digest[] ds) {
        w.u32(ds.length);
        for (Digest d : ds) {
            w.digest(d);
        }
    }
}
