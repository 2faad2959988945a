package dev.opg.verify.generate;

import dev.opg.core.generate.DecoderModel;
import dev.opg.core.generate.GenerationEnd;
import dev.opg.core.generate.GenerationHeader;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.SamplingParams;
import dev.opg.core.generate.Segment;
import dev.opg.core.generate.TokenRecord;
import java.util.ArrayList;
import java.util.List;

/** What a lying prover can hand over: every change re-committed consistently (root, positions, text recomputed). */
final class Tamper {
    private Tamper() {}

    static GenerationTranscript withToken(DecoderModel m, GenerationTranscript t, int i, int token) {
        List<Segment> segs = new ArrayList<>(t.segments());
        TokenRecord r = segs.get(i).record();
        segs.set(i, new Segment(segs.get(i).steps(), new TokenRecord(r.index(), r.position(), r.stepCount(), r.inputs(), r.outputs(), token,
                r.sketch())));
        List<Integer> tokens = segs.stream().map(s -> s.record().token()).toList();
        GenerationTranscript out = GenerationTranscript.full(t.header(), t.profile(), segs,
                new GenerationEnd(tokens.size(), t.end().reason(), m.tokenizer().decode(tokens)));
        return t.commitment() == dev.opg.core.generate.Commitment.COMPACT ? out.toCompact() : out;
    }

    static GenerationTranscript withHeader(GenerationTranscript t, GenerationHeader h) {
        List<Segment> segs = new ArrayList<>();
        for (Segment s : t.segments()) {
            TokenRecord r = s.record();
            segs.add(new Segment(s.steps(), new TokenRecord(r.index(), h.position(r.index()), r.stepCount(), r.inputs(), r.outputs(), r.token(),
                    r.sketch())));
        }
        return GenerationTranscript.full(h, t.profile(), segs, t.end());
    }

    static GenerationHeader prompt(GenerationHeader h, String text, List<Integer> tokens) {
        return new GenerationHeader(h.granularity(), h.cuts(), h.modelId(), h.profileDigest(), h.tokenizer(), text, tokens, h.sampling(),
                h.sketchDimension());
    }

    static GenerationHeader sampling(GenerationHeader h, SamplingParams s) {
        return new GenerationHeader(h.granularity(), h.cuts(), h.modelId(), h.profileDigest(), h.tokenizer(), h.promptText(),
                h.promptTokens(), s, h.sketchDimension());
    }

    static GenerationHeader modelId(GenerationHeader h, dev.opg.core.Digest id) {
        return new GenerationHeader(h.granularity(), h.cuts(), id, h.profileDigest(), h.tokenizer(), h.promptText(), h.promptTokens(),
                h.sampling(), h.sketchDimension());
    }
}
