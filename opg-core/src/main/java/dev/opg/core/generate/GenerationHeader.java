package dev.opg.core.generate;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.LeafWriter;
import dev.opg.core.transcript.TranscriptLimits;
import java.util.List;

/**
 * Leaf 0 of a generation transcript (spec section 3.16): what ran (model id, profile, tokenizer),
 * on what (the prompt text and its tokens), how each token was chosen (the sampling parameters and
 * seed) and how finely each forward pass is committed (granularity, cuts, sketch dimension).
 *
 * <pre>
 * "OPG-GEN-HEADER" u8 1 u8 granularity u32 nCuts (string cut)*nCuts
 * digest modelId digest profileDigest digest tokenizer string promptText u32 nPrompt (u32 token)*nPrompt
 * f32 temperature u32 topK f32 topP u64 seed u32 maxNewTokens u32 nStop (u32 token)*nStop u32 sketchDimension
 * </pre>
 */
public record GenerationHeader(Granularity granularity, List<String> cuts, Digest modelId, Digest profileDigest, Digest tokenizer,
        String promptText, List<Integer> promptTokens, SamplingParams sampling, int sketchDimension) {
    public static final String TAG = "OPG-GEN-HEADER";
    public static final int VERSION = 1;
    /** Prompt tokens and prompt text bytes are capped at this. */
    public static final int MAX_PROMPT = 65_536;

    public GenerationHeader {
        if (granularity == null || cuts == null || modelId == null || profileDigest == null || tokenizer == null || promptText == null
                || promptTokens == null || sampling == null) {
            throw new MalformedInputException("a generation header needs a granularity, cuts, a model id, a profile digest, a tokenizer "
                    + "digest, the prompt and the sampling parameters");
        }
        if (granularity != Granularity.BLOCK && !cuts.isEmpty()) {
            throw new MalformedInputException("a " + granularity.specName() + "-granularity generation has no cuts; got " + cuts.size());
        }
        if (cuts.size() > TranscriptLimits.MAX_TENSORS) {
            throw new LimitExceededException(cuts.size() + " cuts; the cap is " + TranscriptLimits.MAX_TENSORS);
        }
        for (int i = 0; i < cuts.size(); i++) {
            LeafWriter.utf8(cuts.get(i), TranscriptLimits.MAX_NAME_BYTES, "cut " + i);
        }
        if (cuts.stream().distinct().count() != cuts.size()) {
            throw new MalformedInputException("cuts " + cuts + " name a node step twice");
        }
        cuts = List.copyOf(cuts);
        LeafWriter.utf8(promptText, MAX_PROMPT, "prompt text");
        if (promptTokens.isEmpty()) {
            throw new MalformedInputException("the prompt has no tokens; a decoder needs at least one to predict from");
        }
        if (promptTokens.size() > MAX_PROMPT) {
            throw new LimitExceededException("the prompt has " + promptTokens.size() + " tokens; the cap is " + MAX_PROMPT);
        }
        for (Integer t : promptTokens) {
            if (t == null || t < 0) {
                throw new MalformedInputException("prompt token " + t + " is not a token id (0..2^31-1)");
            }
        }
        promptTokens = List.copyOf(promptTokens);
        if (sketchDimension < 0 || sketchDimension > LogitSketch.MAX_DIMENSION) {
            throw new LimitExceededException("sketch dimension " + sketchDimension + " is outside 0.." + LogitSketch.MAX_DIMENSION);
        }
    }

    /** The spec's byte encoding, the data of leaf 0. */
    public byte[] leafData() {
        LeafWriter w = new LeafWriter(TAG, VERSION);
        w.u8(granularity.code()).u32(cuts.size());
        for (String c : cuts) {
            w.string(c, TranscriptLimits.MAX_NAME_BYTES, "cut");
        }
        w.digest(modelId).digest(profileDigest).digest(tokenizer).string(promptText, MAX_PROMPT, "prompt text");
        w.u32(promptTokens.size());
        promptTokens.forEach(w::u32);
        w.f32(sampling.temperature()).u32(sampling.topK()).f32(sampling.topP()).u64(sampling.seed()).u32(sampling.maxNewTokens());
        w.u32(sampling.stopTokens().size());
        sampling.stopTokens().forEach(w::u32);
        w.u32(sketchDimension);
        return w.toByteArray();
    }

    /** The absolute sequence position of generated token {@code index}: prompt length + index. */
    public long position(int index) {
        return (long) promptTokens.size() + index;
    }
}
