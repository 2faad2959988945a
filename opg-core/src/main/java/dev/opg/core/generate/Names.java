package dev.opg.core.generate;

import dev.opg.core.Digest;
import dev.opg.core.transcript.LeafWriter;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.transcript.TranscriptLimits;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The strict UTF-8 of the names a generation repeats in every segment (step names, input and
 * output names), checked once ({@link LeafWriter#utf8}) and kept, and the OPG-STEP leaf written
 * from them: byte for byte {@link Step#leafData} for a FULL-mode step (GenerationTest checks
 * the root against it), without encoding the same names again for every token.
 */
final class Names {
    private static final int MAX_KEPT = 1 << 14;
    private static final ConcurrentHashMap<String, byte[]> UTF8 = new ConcurrentHashMap<>();

    private Names() {}

    /** The name's UTF-8 bytes, checked as {@link LeafWriter#utf8} checks them (at most 1,024 bytes, valid Unicode). */
    static byte[] utf8(String name, String what) {
        byte[] b = UTF8.get(name);
        if (b == null) {
            b = LeafWriter.utf8(name, TranscriptLimits.MAX_NAME_BYTES, what);
            if (UTF8.size() < MAX_KEPT) {
                UTF8.put(name, b);
            }
        }
        return b;
    }

    static void string(LeafWriter w, String name, String what) {
        byte[] b = utf8(name, what);
        w.u32(b.length).bytes(b);
    }

    /** {@code s.leafData()} of a FULL-mode step. */
    static byte[] stepLeaf(Step s) {
        if (!s.sketches().isEmpty()) {
            return s.leafData();
        }
        LeafWriter w = new LeafWriter("OPG-STEP", TranscriptHeader.STEP_VERSION).u64(s.index());
        string(w, s.name(), "step name");
        w.u32(s.inputs().size());
        for (Digest d : s.inputs()) {
            w.digest(d);
        }
        w.u32(s.outputs().size());
        for (Digest d : s.outputs()) {
            w.digest(d);
        }
        w.u32(0);
        return w.toByteArray();
    }
}
