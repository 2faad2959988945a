package dev.opg.verify.generate;

import ai.djl.ndarray.NDList;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.generate.GenerationHeader;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.KvWitness;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.verify.ModelParty;
import dev.opg.verify.TensorSource;
import dev.opg.verify.TranscriptParty;
import java.util.Objects;

/**
 * One side of a generation dispute (spec section 4.12): its transcript, the KV cache it can show
 * (may be null), and, for the descent into a disputed token's block, its forward pass of that
 * token as an ordinary transcript ({@link #forwardPass}).
 *
 * <p>Nothing a party says is trusted: the referee binds the ordinary transcript to the party's
 * committed segment, step by step, before it bisects it, and settles the descent with the
 * {@link dev.opg.verify.Referee} against the model alone.
 */
public interface GenerationParty {
    GenerationTranscript transcript();

    /** The cache after the party's last token, or null (a dispute at token 0 needs none). */
    KvWitness witness();

    /**
     * Token {@code t}'s forward pass on {@code inputs} (the agreed model inputs of that token, which
     * the referee builds from the header, the agreed tokens and a checked cache) as an ordinary
     * transcript at the generation's granularity and partition, in FULL mode, every value by its
     * section-1 tensor digest, under the terms the party's generation claims (model id, profile),
     * with a {@link TranscriptParty} over it that can {@linkplain TranscriptParty#descend descend}
     * into its blocks and the tensors at its block boundaries.
     *
     * @throws UnsupportedOperationException if the party cannot re-run the token (there is then no descent; the referee's
     *     re-run of the whole token decides)
     */
    default ForwardPass forwardPass(int t, NDList inputs) {
        throw new UnsupportedOperationException("this party answers from its generation transcript alone and cannot re-run token " + t);
    }

    /** A forward pass of one token: the ordinary transcript, the party answering for it, the tensors at its block boundaries. */
    record ForwardPass(Transcript transcript, TranscriptParty party, TensorSource witness) {
        public ForwardPass {
            Objects.requireNonNull(transcript, "transcript");
            Objects.requireNonNull(party, "party");
            Objects.requireNonNull(witness, "witness");
        }
    }

    /** A party that answers from its transcript and cache alone; it cannot descend. */
    static GenerationParty of(GenerationTranscript transcript, KvWitness witness) {
        Objects.requireNonNull(transcript, "transcript");
        return new GenerationParty() {
            @Override
            public GenerationTranscript transcript() {
                return transcript;
            }

            @Override
            public KvWitness witness() {
                return witness;
            }
        };
    }

    /**
     * A party that computes with {@code model} (the decoder's ONNX file loaded with DJL and wrapped
     * at the generation's granularity and cuts, FULL mode, with a witness): it re-runs a disputed
     * token with it and descends with {@link ModelParty}. A party that proved with an altered model
     * but claims the honest model id answers under that claim, as a forger would.
     *
     * @throws dev.opg.core.MalformedInputException if {@code model} records at another granularity or partition than the transcript
     */
    static GenerationParty withModel(VerifiableModel model, GenerationTranscript transcript, KvWitness witness) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(transcript, "transcript");
        GenerationHeader g = transcript.header();
        Granularity want = g.granularity();
        java.util.List<String> cuts = want == Granularity.BLOCK ? g.cuts() : null;
        if (model.options().granularity() != want || (cuts != null && model.options().cuts() != null && !model.options().cuts().equals(cuts))
                || !model.options().witness()) {
            throw new dev.opg.core.MalformedInputException("the party's model records at " + model.options().granularity().specName()
                    + " with cuts " + model.options().cuts() + (model.options().witness() ? "" : " without a witness") + "; its generation is at "
                    + want.specName() + " with cuts " + g.cuts() + ": wrap it with new RecordingOptions(FULL, 0, true, granularity, cuts)");
        }
        return new GenerationParty() {
            @Override
            public GenerationTranscript transcript() {
                return transcript;
            }

            @Override
            public KvWitness witness() {
                return witness;
            }

            @Override
            public ForwardPass forwardPass(int t, NDList inputs) {
                Prediction<NDList> p = model.predict(inputs);
                p.output().close();
                TranscriptHeader h = p.transcript().header();
                // under the terms the generation claims: a no-op for a party that computed with the model it names
                Transcript mine = new Transcript(h.withModelId(g.modelId()).withProfileDigest(g.profileDigest()), p.transcript().steps(),
                        p.transcript().profile());
                TensorSource w = TensorSource.of(p.witness().orElseThrow(() -> new IllegalStateException(
                        "a model recorded with a witness returned none")));
                return new ForwardPass(mine, new ModelParty(model, inputs, mine, w), w);
            }
        };
    }
}
