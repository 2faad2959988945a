package dev.opg.verify;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.Witness;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TranscriptParty} that holds what it proved with: its model, the model input, its
 * transcript and its witness (at block granularity: the tensors at every block boundary). It
 * answers the bisection from its transcript, hands the referee tensors from its witness, and
 * {@linkplain #descend descends} into a disputed block by re-running that block at node
 * granularity from the block's committed inputs, taken from its own witness (each checked against
 * its digest), with {@link VerifiableModel#descend}.
 *
 * <p>The sub-transcript is made under the terms the party's transcript claims: its header's model
 * id and profile digest are those of the party's transcript. For a party whose model is the one
 * its transcript names nothing changes. A party that computed with an altered model but claims the
 * honest model's id answers, in the descent too, about its own computation under that claim: this
 * is how such a forger behaves, and the referee catches it at the one node the alteration changes.
 *
 * <p>Not thread-safe. The model, the input and the witness stay the caller's; this class closes
 * nothing of them.
 */
public final class ModelParty implements TranscriptParty {
    private static final Logger LOG = LoggerFactory.getLogger(ModelParty.class);

    private final VerifiableModel model;
    private final NDList input;
    private final Transcript transcript;
    private final TensorSource witness;
    private final TranscriptParty answers;

    /**
     * @param model the model the party computes with, recorded at its transcript's granularity
     *     (FULL mode); at block granularity it must partition the input as the transcript's header records
     * @param input the model input the transcript is about (it fixes the model's plan)
     * @param transcript the party's transcript
     * @param witness the party's witness: at least the tensors at the boundary of every block it may have to descend into
     * @throws MalformedInputException if the model is recorded at another granularity than the transcript
     */
    public ModelParty(VerifiableModel model, NDList input, Transcript transcript, TensorSource witness) {
        this.model = Objects.requireNonNull(model, "model");
        this.input = Objects.requireNonNull(input, "input");
        this.transcript = Objects.requireNonNull(transcript, "transcript");
        this.witness = Objects.requireNonNull(witness, "witness");
        Granularity g = transcript.header().granularity();
        if (model.options().granularity() != g) {
            throw new MalformedInputException("the party's model records at " + model.options().granularity().specName()
                    + " granularity; its transcript is at " + g.specName() + ": wrap the model with RecordingOptions.of(header, ...)");
        }
        this.answers = TranscriptParty.honest(transcript, witness);
    }

    /** A party over a loaded witness. */
    public ModelParty(VerifiableModel model, NDList input, Transcript transcript, Witness witness) {
        this(model, input, transcript, TensorSource.of(Objects.requireNonNull(witness, "witness")));
    }

    @Override
    public Commitment commit() {
        return answers.commit();
    }

    @Override
    public HeaderOpening openHeader(int prefixSize) {
        return answers.openHeader(prefixSize);
    }

    @Override
    public Children children(int start, int size) {
        return answers.children(start, size);
    }

    @Override
    public StepOpening openStep(int stepIndex) {
        return answers.openStep(stepIndex);
    }

    @Override
    public TensorSource witness() {
        return witness;
    }

    /**
     * Re-runs block {@code stepIndex} at node granularity from its committed inputs (from this
     * party's witness) and answers for the sub-transcript; the returned party hands over the
     * sub-transcript's tensors.
     *
     * @throws UnsupportedOperationException at node granularity (there is no block to descend into)
     * @throws MalformedInputException if the transcript has no such step, the witness lacks one of
     *     the block's inputs (or files a wrong tensor under its digest), or the model partitions
     *     the input otherwise than the transcript records
     */
    @Override
    public TranscriptParty descend(int stepIndex) {
        TranscriptHeader h = transcript.header();
        if (h.granularity() == Granularity.NODE) {
            throw new UnsupportedOperationException("a node-granularity transcript has no block to descend into");
        }
        if (stepIndex < 0 || stepIndex >= transcript.steps().size()) {
            throw new MalformedInputException("the transcript has no step " + stepIndex + "; it has " + transcript.steps().size());
        }
        List<String> cuts = model.runner().cuts(input);
        if (!cuts.equals(h.cuts())) {
            throw new MalformedInputException("the party's model partitions the input at " + cuts + ", its transcript at " + h.cuts());
        }
        Step block = transcript.steps().get(stepIndex);
        long t0 = System.nanoTime();
        try (NDManager scope = model.model().getNDManager().newSubManager();
                VerifiableModel down = model.descend(input, stepIndex, RecordingOptions.full().withWitness())) {
            NDList in = new NDList(block.inputs().size());
            for (Digest d : block.inputs()) {
                TensorSource.Fetched f = TensorSource.fetch(witness, d);
                if (f.corrupt()) {
                    throw new MalformedInputException("input " + d.hex() + " of block " + stepIndex + " ('" + block.name()
                            + "') is not in the party's witness (" + f.problem() + ")");
                }
                in.add(f.tensor().toNDArray(scope));
            }
            Prediction<NDList> p = down.predict(in);
            Witness w = p.witness().orElseThrow(() -> new IllegalStateException("a descent recorded with a witness returned none"));
            Transcript sub = underOwnTerms(p.transcript());
            LOG.debug("descended into block {} ('{}'): {} node steps in {} ms", stepIndex, block.name(), sub.steps().size(),
                    (System.nanoTime() - t0) / 1_000_000);
            return TranscriptParty.honest(sub, TensorSource.of(w));
        }
    }

    /** The sub-transcript with this party's transcript's model id and profile (a no-op for a party that proved with its own model). */
    private Transcript underOwnTerms(Transcript sub) {
        TranscriptHeader mine = transcript.header();
        TranscriptHeader h = sub.header();
        if (h.modelId().equals(mine.modelId()) && h.profileDigest().equals(mine.profileDigest())) {
            return sub;
        }
        return new Transcript(h.withModelId(mine.modelId()).withProfileDigest(mine.profileDigest()), sub.steps(), transcript.profile());
    }
}
