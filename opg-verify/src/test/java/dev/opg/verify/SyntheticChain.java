package dev.opg.verify;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.tensor.DType;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Dataflow;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptHeader;
import dev.opg.core.witness.WitnessTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A pure-Java sequential "model" of n steps (step i: y = x / 2 + 1 + (i mod 7) / 8 on float32
 * values), its honest transcript and witness, and a step executor, for protocol tests that need no
 * engine.
 */
final class SyntheticChain implements StepExecutor {
    static final DeterminismProfile PROFILE = new DeterminismProfile("Synthetic", "1", "0.36.0", "java", "Linux", "amd64",
            "n/a", 1, 1, false, true, 42, DType.FLOAT32);
    static final Digest MODEL = TensorDigestUtil.label("synthetic-model");

    final int steps;
    final Map<Digest, WitnessTensor> tensors = new HashMap<>();

    SyntheticChain(int steps) {
        this.steps = steps;
    }

    static WitnessTensor tensor(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return new WitnessTensor(DType.FLOAT32, new long[] {v.length}, b.array());
    }

    static float[] floats(WitnessTensor t) {
        ByteBuffer b = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[t.data().length / 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getFloat();
        }
        return v;
    }

    static WitnessTensor apply(int i, WitnessTensor x) {
        float[] v = floats(x);
        for (int j = 0; j < v.length; j++) {
            v[j] = v[j] * 0.5f + 1 + (i % 7) / 8f;
        }
        return tensor(v);
    }

    static String name(int i) {
        return "layer" + i;
    }

    /** The honest transcript of the chain on input {@code x}; its tensors are added to {@link #tensors}. */
    Transcript run(WitnessTensor x) {
        List<Step> list = new ArrayList<>();
        WitnessTensor cur = x;
        tensors.put(x.digest(), x);
        for (int i = 0; i < steps; i++) {
            WitnessTensor out = apply(i, cur);
            tensors.put(out.digest(), out);
            list.add(Step.full(i, name(i), List.of(cur.digest()), List.of(out.digest())));
            cur = out;
        }
        TranscriptHeader h = TranscriptHeader.of(CommitmentMode.FULL, 0, MODEL, PROFILE.digest(), List.of(x.digest()), List.of(cur.digest()));
        return new Transcript(h, list, PROFILE);
    }

    /** {@code t} with step {@code i} replaced (same index). */
    static Transcript replaceStep(Transcript t, int i, Step s) {
        List<Step> list = new ArrayList<>(t.steps());
        list.set(i, s);
        return new Transcript(t.header(), list, t.profile());
    }

    /** {@code t} with step {@code i} claiming another output, and every later step consistent with it. */
    Transcript cheatFrom(Transcript t, int at, float delta) {
        List<Step> list = new ArrayList<>(t.steps().subList(0, at));
        WitnessTensor cur = tensors.get(t.steps().get(at).inputs().get(0));
        for (int i = at; i < steps; i++) {
            WitnessTensor out = apply(i, cur);
            if (i == at) {
                float[] v = floats(out);
                v[0] += delta;
                out = tensor(v);
            }
            tensors.put(out.digest(), out);
            list.add(Step.full(i, name(i), List.of(cur.digest()), List.of(out.digest())));
            cur = out;
        }
        TranscriptHeader h = t.header();
        TranscriptHeader nh = TranscriptHeader.of(h.mode(), 0, h.modelId(), h.profileDigest(), h.inputs(), List.of(cur.digest()));
        return new Transcript(nh, list, t.profile());
    }

    /** The chain and input {@code x} as a referee's {@link Reference}: sequential wiring, the chain's own run, {@link #PROFILE}. */
    Reference reference(WitnessTensor x) {
        SyntheticChain self = this;
        List<Dataflow.PlannedStep> plan = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            plan.add(Dataflow.PlannedStep.of(name(i), List.of(i == 0 ? new Dataflow.Source.AllInputs() : new Dataflow.Source.AllOutputs(i - 1))));
        }
        Dataflow flow = new Dataflow(MODEL, List.of("0"), List.of(x.digest()), plan,
                List.of(steps == 0 ? new Dataflow.Source.AllInputs() : new Dataflow.Source.AllOutputs(steps - 1)));
        return new Reference() {
            @Override
            public Dataflow dataflow() {
                return flow;
            }

            @Override
            public Digest profileDigest() {
                return PROFILE.digest();
            }

            @Override
            public StepExecutor executor() {
                return self;
            }

            @Override
            public TensorSource inputs() {
                return TensorSource.of(Map.of(x.digest(), x));
            }

            @Override
            public Transcript reexecute(dev.opg.core.djl.RecordingOptions options) {
                throw new UnsupportedOperationException("the synthetic chain records FULL transcripts only");
            }

            @Override
            public Reference at(dev.opg.core.transcript.TranscriptHeader header) {
                return this; // node granularity only: its steps are its nodes
            }
        };
    }

    /** The dataflow of this chain on {@code x}. */
    Dataflow dataflow(WitnessTensor x) {
        return reference(x).dataflow();
    }

    @Override
    public List<WitnessTensor> run(long stepIndex, String name, List<WitnessTensor> inputs) {
        if (!name.equals(name((int) stepIndex)) || stepIndex >= steps) {
            throw new MalformedInputException("no step '" + name + "' at " + stepIndex);
        }
        return List.of(apply((int) stepIndex, inputs.get(0)));
    }

    @Override
    public Optional<String> stepName(long stepIndex) {
        return stepIndex < steps ? Optional.of(name((int) stepIndex)) : Optional.empty();
    }
}
