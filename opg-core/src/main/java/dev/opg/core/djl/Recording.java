package dev.opg.core.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.opg.core.Digest;
import dev.opg.core.OpgException;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.sketch.SketchProjector;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Sketch;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.Witness;
import dev.opg.core.witness.WitnessTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * The state of one prediction being recorded. Tensor digests are computed by the model's
 * {@link Hasher}: small tensors at once on the engine thread, large ones on its pool while the
 * engine runs the next step; an array seen twice (a step's output is the next step's input) is
 * hashed once. Everything is joined in {@link #finish}, before the arrays are freed.
 *
 * <p>A tensor's commitment is kept as the {@link Digest} itself where it is done (every small
 * tensor) and as the pool's {@code Future<Digest>} otherwise; only the futures are waited for.
 * The arrays already seen are kept in {@link SeenArrays}.
 */
final class Recording implements StepSink {
    private static final Object[] NONE = new Object[0];

    private final Hasher hasher;
    private final RecordingOptions options;
    private final Digest modelId;
    private final DeterminismProfile profile;
    private final boolean needDigests;
    /** The arrays seen so far and their commitments ({@link Digest} or {@code Future<Digest>}). */
    private final SeenArrays<Object> seen = new SeenArrays<>();
    /** The hashes handed to the pool, in the order submitted; null while there are none. */
    private List<Future<Digest>> pending;
    private final Map<Digest, WitnessTensor> witness;
    private final Object[] inputs;
    private final List<String> inputNames;
    private final List<String> names = new ArrayList<>();
    private final List<Object[]> stepInputs = new ArrayList<>();
    private final List<Object[]> stepOutputs = new ArrayList<>();
    private final List<List<Sketch>> sketches;
    private final SketchProjector sketcher;
    private final dev.opg.core.transcript.Granularity granularity;
    private final String scope;
    /** The cuts of the partition the steps follow, as the runner reports them ({@link StepSink#partition}); none at node granularity. */
    private List<String> cuts = List.of();

    /** @param inputNames the model input each of {@code modelInputs} is bound to ({@link ModelRunner#inputBinding}) */
    Recording(Hasher hasher, RecordingOptions options, Digest modelId, DeterminismProfile profile, NDList modelInputs,
            List<String> inputNames, SketchProjector sketcher, dev.opg.core.transcript.Granularity granularity, String scope) {
        this.granularity = granularity;
        this.scope = scope;
        this.hasher = hasher;
        this.options = options;
        this.modelId = modelId;
        this.profile = profile;
        this.needDigests = options.mode() == CommitmentMode.FULL || options.witness();
        this.witness = options.witness() ? new ConcurrentHashMap<>() : null;
        this.sketches = options.mode() == CommitmentMode.SKETCH ? new ArrayList<>() : null;
        this.inputs = digestsOf(modelInputs, true);
        this.inputNames = List.copyOf(inputNames);
        this.sketcher = sketcher;
    }

    @Override
    public void partition(List<String> cuts) {
        this.cuts = List.copyOf(cuts);
    }

    @Override
    public void step(String name, NDList in, NDList out) {
        int index = names.size();
        names.add(name);
        stepInputs.add(digestsOf(in, needDigests));
        stepOutputs.add(digestsOf(out, needDigests));
        if (sketches != null) {
            List<Sketch> ks = new ArrayList<>(out.size());
            for (int j = 0; j < out.size(); j++) {
                ks.add(sketcher.sketch(out.get(j), index, j, options.sketchDimension()));
            }
            sketches.add(ks);
        }
    }

    private Object[] digestsOf(NDList list, boolean wanted) {
        if (!wanted || list.isEmpty()) {
            return NONE;
        }
        Object[] out = new Object[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = digestOf(list.get(i));
        }
        return out;
    }

    /** The commitment of {@code a}, hashed the first time it is seen. */
    @SuppressWarnings("unchecked")
    private Object digestOf(NDArray a) {
        Object d = seen.get(a);
        if (d == null) {
            d = hasher.digest(a, witness);
            seen.put(a, d);
            if (d instanceof Future<?> f) {
                if (pending == null) {
                    pending = new ArrayList<>();
                }
                pending.add((Future<Digest>) f);
            }
        }
        return d;
    }

    Result finish(NDList modelOutputs) {
        helpHashing();
        List<Digest> in = join(inputs);
        List<Digest> out = join(digestsOf(modelOutputs, true));
        int n = names.size();
        Step[] steps = new Step[n];
        List<Witness.StepEntry> entries = witness == null ? null : new ArrayList<>(n);
        boolean full = options.mode() == CommitmentMode.FULL;
        for (int i = 0; i < n; i++) {
            List<Digest> si = join(stepInputs.get(i));
            List<Digest> so = join(stepOutputs.get(i));
            steps[i] = full ? Step.full(i, names.get(i), si, so) : Step.sketched(i, names.get(i), sketches.get(i));
            if (entries != null) {
                entries.add(new Witness.StepEntry(i, names.get(i), si, so));
            }
        }
        TranscriptHeader h = new TranscriptHeader(TranscriptHeader.VERSION, options.mode(), options.sketchDimension(), granularity, scope,
                cuts, modelId, profile.digest(), inputNames, in, out);
        Transcript t = new Transcript(h, List.of(steps), profile);
        Optional<Witness> w = witness == null ? Optional.empty() : Optional.of(Witness.of(in, out, entries, witness));
        return new Result(t, w);
    }

    /**
     * Runs on this thread the digests the pool has not started yet, instead of waiting for them:
     * the engine is done with this prediction, so its thread would otherwise idle while the pool
     * (one thread per core the engine's intra-op threads leave) works through the queue. A task
     * runs once whoever starts it first ({@link FutureTask#run} does nothing for a task already
     * started or done), so the pool skips those run here. The newest are taken first: the pool
     * works from the oldest.
     */
    private void helpHashing() {
        if (pending == null) {
            return;
        }
        for (int i = pending.size() - 1; i >= 0; i--) {
            if (pending.get(i) instanceof FutureTask<Digest> t && !t.isDone()) {
                t.run();
            }
        }
    }

    /** Waits for every pending hash, so that no task still reads an array after this call. */
    void drain() {
        if (pending == null) {
            return;
        }
        for (Future<Digest> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                f.cancel(false);
            } catch (ExecutionException e) {
                // reported by finish(); here we only make sure nothing is still running
            }
        }
    }

    /** The digests of {@code ds} in order, waiting for those still on the pool. */
    private static List<Digest> join(Object[] ds) {
        if (ds.length == 0) {
            return List.of();
        }
        Digest[] out = new Digest[ds.length];
        for (int i = 0; i < ds.length; i++) {
            out[i] = ds[i] instanceof Digest d ? d : get(ds[i]);
        }
        return List.of(out);
    }

    @SuppressWarnings("unchecked")
    private static Digest get(Object pendingDigest) {
        try {
            return ((Future<Digest>) pendingDigest).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpgException("interrupted while hashing step tensors", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof OpgException oe) {
                throw oe;
            }
            throw new OpgException("hashing a step tensor failed: " + e.getCause(), e.getCause());
        }
    }

    record Result(Transcript transcript, Optional<Witness> witness) {}
}
