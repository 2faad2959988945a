package dev.opg.core.transcript;

import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a transcript of one model on one input must look like, derived by the verifier from the
 * model file and the input alone, never from a transcript: the model id, the digests of the
 * model inputs in the order they were bound, the exact list of steps (names, in order), where
 * each step's inputs come from (a model input or an output of an earlier step, by the model's
 * own wiring), and where the model's outputs come from.
 *
 * <p>{@link #check} compares a transcript against it using Merkle data alone (the leaves), with
 * no tensor and no execution: after it passes, every committed value in the transcript is either
 * a given input, a value the model id commits to, or the output of exactly one step, and every
 * step reads exactly what the model feeds it. A lie then has to sit in the arithmetic of at
 * least one step, which only re-running that step can catch. That is what makes sampling steps
 * (spot checks) and settling one step (the referee) sound.
 *
 * <p>How models wire their steps: a DJL sequential block feeds all outputs of step {@code i - 1}
 * to step {@code i} ({@link Source.AllOutputs}) and the model inputs to step 0
 * ({@link Source.AllInputs}); an ONNX graph feeds each node the values its input names (and the
 * names its subgraphs read) refer to ({@link Source.Input}, {@link Source.Output}). An ONNX
 * {@code Constant} node's output is known from the model id ({@link PlannedStep#knownOutputs}).
 *
 * @param modelId the model id of the verifier's model
 * @param inputNames the model input each given tensor was bound to, as the verifier's runner binds it (section 3.2)
 * @param inputs the digests of the given input tensors, in the order the model was fed them
 * @param steps the steps the model runs on this input, in order
 * @param outputs where each model output comes from
 */
public record Dataflow(Digest modelId, List<String> inputNames, List<Digest> inputs, List<PlannedStep> steps, List<Source> outputs) {
    public Dataflow {
        Objects.requireNonNull(modelId, "modelId");
        inputNames = List.copyOf(inputNames);
        inputs = List.copyOf(inputs);
        if (inputNames.size() != inputs.size()) {
            throw new IllegalArgumentException(inputNames.size() + " input names for " + inputs.size() + " inputs");
        }
        steps = List.copyOf(steps);
        outputs = List.copyOf(outputs);
        for (int i = 0; i < steps.size(); i++) {
            for (Source s : steps.get(i).inputs()) {
                checkSource(s, i, inputs.size());
            }
        }
        for (Source s : outputs) {
            checkSource(s, steps.size(), inputs.size());
        }
    }

    private static void checkSource(Source s, int before, int modelInputs) {
        boolean ok = switch (s) {
            case Source.Input in -> in.index() >= 0 && in.index() < modelInputs;
            case Source.AllInputs a -> true;
            case Source.Output o -> o.step() >= 0 && o.step() < before && o.index() >= 0;
            case Source.AllOutputs o -> o.step() >= 0 && o.step() < before;
        };
        if (!ok) {
            throw new IllegalArgumentException("source " + s + " is not available before step " + before);
        }
    }

    /** Where a value a step reads (or the model returns) comes from. */
    public sealed interface Source {
        /** The {@code index}-th model input. */
        record Input(int index) implements Source {}

        /** Every model input, in order. */
        record AllInputs() implements Source {}

        /** The {@code index}-th output of step {@code step} (an earlier step). */
        record Output(int step, int index) implements Source {}

        /** Every output of step {@code step}, in order. */
        record AllOutputs(int step) implements Source {}
    }

    /**
     * One step as the model runs it.
     *
     * @param name the step name the transcript must carry
     * @param inputs where its committed inputs come from, in order
     * @param outputCount how many outputs it commits, or -1 where only running it tells
     * @param knownOutputs digests its outputs must have, known from the model alone (an ONNX
     *     {@code Constant} holding a committed tensor), or empty
     */
    public record PlannedStep(String name, List<Source> inputs, int outputCount, List<Digest> knownOutputs) {
        public PlannedStep {
            Objects.requireNonNull(name, "name");
            inputs = List.copyOf(inputs);
            knownOutputs = List.copyOf(knownOutputs);
            if (!knownOutputs.isEmpty() && outputCount != knownOutputs.size()) {
                throw new IllegalArgumentException("step " + name + ": " + knownOutputs.size() + " known outputs of " + outputCount);
            }
        }

        /** A step whose output count is known once it runs. */
        public static PlannedStep of(String name, List<Source> inputs) {
            return new PlannedStep(name, inputs, -1, List.of());
        }
    }

    /**
     * Where a transcript departs from the dataflow.
     *
     * @param step the step index, or -1 for the header
     * @param what which part: {@code model id}, {@code inputs}, {@code outputs}, {@code step count},
     *     {@code name}, {@code presence}, {@code step inputs}, {@code step outputs}
     * @param expected what the model and input imply
     * @param found what the transcript says
     */
    public record Mismatch(long step, String what, String expected, String found) {
        public boolean inHeader() {
            return step < 0;
        }
    }

    /**
     * Checks {@code t} against this dataflow from its leaves alone: model id, input digests, the
     * step list (count and names), in FULL mode every step's input digests against the outputs
     * they must be and the header's outputs against the values the model returns, and the
     * outputs the model id fixes. In SKETCH mode steps commit no digests, so only the model id,
     * the inputs and the step list are checked here (the header outputs are full digests but are
     * not produced by any committed digest; a verifier checks them by re-execution).
     *
     * @return the first departure, header first, then steps in order; empty if none
     */
    public Optional<Mismatch> check(Transcript t) {
        TranscriptHeader h = t.header();
        if (!modelId.equals(h.modelId())) {
            return Optional.of(new Mismatch(-1, "model id", modelId.hex(), h.modelId().hex()));
        }
        if (!inputsMatch(h)) {
            return Optional.of(new Mismatch(-1, "inputs", TranscriptHeader.describeInputs(inputNames, inputs),
                    TranscriptHeader.describeInputs(h.inputNames(), h.inputs())));
        }
        List<Step> ts = t.steps();
        int common = Math.min(ts.size(), steps.size());
        boolean full = h.mode() == CommitmentMode.FULL;
        for (int i = 0; i < common; i++) {
            Optional<Mismatch> m = checkStep(i, ts.get(i), h, ts, full);
            if (m.isPresent()) {
                return m;
            }
        }
        if (ts.size() != steps.size()) {
            int i = common;
            String name = i < steps.size() ? steps.get(i).name() : ts.get(i).name();
            return Optional.of(new Mismatch(i, "presence", steps.size() + " steps (step " + i + " is '" + name + "')",
                    ts.size() + " steps"));
        }
        if (full) {
            List<Digest> out = resolveAll(outputs, h.inputs(), ts, -1);
            if (out == null || !out.equals(h.outputs())) {
                return Optional.of(new Mismatch(-1, "outputs", out == null ? "the model's outputs" : hex(out), hex(h.outputs())));
            }
        }
        return Optional.empty();
    }

    /**
     * Checks step {@code i} of a transcript whose steps before {@code i} are {@code before}
     * (the agreed prefix, in a dispute): its name and, in FULL mode, its inputs and the outputs
     * the model fixes. Output values computed by the step itself are not checked here.
     */
    public Optional<Mismatch> checkStep(int i, Step s, TranscriptHeader h, List<Step> before, boolean full) {
        if (i >= steps.size()) {
            return Optional.of(new Mismatch(i, "presence", steps.size() + " steps", "a step " + i + " ('" + s.name() + "')"));
        }
        PlannedStep p = steps.get(i);
        if (!p.name().equals(s.name())) {
            return Optional.of(new Mismatch(i, "name", p.name(), s.name()));
        }
        if (!full) {
            return Optional.empty();
        }
        List<Digest> expected = resolveAll(p.inputs(), h.inputs(), before, i);
        if (expected == null) {
            return Optional.of(new Mismatch(i, "step inputs", "the outputs of the steps the model wires to it", hex(s.inputs())));
        }
        if (!expected.equals(s.inputs())) {
            return Optional.of(new Mismatch(i, "step inputs", hex(expected), hex(s.inputs())));
        }
        if (p.outputCount() >= 0 && s.outputs().size() != p.outputCount()) {
            return Optional.of(new Mismatch(i, "step outputs", p.outputCount() + " outputs", s.outputs().size() + " outputs"));
        }
        if (!p.knownOutputs().isEmpty() && !p.knownOutputs().equals(s.outputs())) {
            return Optional.of(new Mismatch(i, "step outputs", hex(p.knownOutputs()) + " (fixed by the model id)", hex(s.outputs())));
        }
        return Optional.empty();
    }

    /**
     * The digests step {@code i} must read, given the model inputs and the steps before it; null
     * where a source names an output a step does not have.
     */
    public List<Digest> inputsOf(int i, List<Digest> modelInputs, List<Step> before) {
        if (i < 0 || i >= steps.size()) {
            throw new MalformedInputException("the model has no step " + i + "; it runs " + steps.size() + " steps on this input");
        }
        return resolveAll(steps.get(i).inputs(), modelInputs, before, i);
    }

    /** The digests the model must return, given its inputs and every step; null as for {@link #inputsOf}. */
    public List<Digest> outputsOf(List<Digest> modelInputs, List<Step> all) {
        return resolveAll(outputs, modelInputs, all, -1);
    }

    /** The steps a source list reads from (each once, ascending). */
    public static List<Integer> stepsRead(List<Source> sources) {
        java.util.TreeSet<Integer> r = new java.util.TreeSet<>();
        for (Source s : sources) {
            switch (s) {
                case Source.Output o -> r.add(o.step());
                case Source.AllOutputs o -> r.add(o.step());
                default -> { }
            }
        }
        return List.copyOf(r);
    }

    private static List<Digest> resolveAll(List<Source> sources, List<Digest> modelInputs, List<Step> steps, int before) {
        List<Digest> r = new ArrayList<>();
        for (Source s : sources) {
            switch (s) {
                case Source.Input in -> {
                    if (in.index() >= modelInputs.size()) {
                        return null;
                    }
                    r.add(modelInputs.get(in.index()));
                }
                case Source.AllInputs a -> r.addAll(modelInputs);
                case Source.Output o -> {
                    if (o.step() >= steps.size() || (before >= 0 && o.step() >= before)) {
                        return null;
                    }
                    List<Digest> outs = steps.get(o.step()).outputs();
                    if (o.index() >= outs.size()) {
                        return null;
                    }
                    r.add(outs.get(o.index()));
                }
                case Source.AllOutputs o -> {
                    if (o.step() >= steps.size() || (before >= 0 && o.step() >= before)) {
                        return null;
                    }
                    r.addAll(steps.get(o.step()).outputs());
                }
            }
        }
        return r;
    }

    /** Whether a header names the given input: the same (name, digest) pairs in the same order. */
    public boolean inputsMatch(TranscriptHeader h) {
        return inputs.equals(h.inputs()) && inputNames.equals(h.inputNames());
    }

    private static String hex(List<Digest> ds) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < ds.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(ds.get(i).hex());
        }
        return sb.append(']').toString();
    }
}
