package dev.opg.core.onnx;

import ai.djl.ndarray.NDList;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import dev.opg.core.Digest;
import dev.opg.core.OpgException;
import dev.opg.core.djl.UnsupportedModelException;
import dev.opg.core.onnx.OnnxGraph.FlatNode;
import dev.opg.core.transcript.Dataflow.PlannedStep;
import dev.opg.core.transcript.Dataflow.Source;
import dev.opg.core.transcript.StepPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which nodes run on an input, and how they are wired: resolves the {@code If} conditions from the
 * model's own graph down to a {@link Plan} without If, and derives from that plan the node
 * {@link StepPlan} (each step's inputs as a model input or an earlier step's output). Remembers
 * which plan each step plan it handed out was made for, so that running a step plan's blocks
 * resolves no condition again.
 */
final class Planner {
    private final OnnxGraph graph;
    private final Sessions sessions;
    /** Every step any choice of branches can produce, by name. */
    private final Map<String, FlatNode> steps;
    private final Set<String> initializerNames;
    private final Plan root;
    /** The branch choices each node plan this planner handed out was made for (by identity; bounded by plans and bindings). */
    private final Map<StepPlan, Plan> planOf = Collections.synchronizedMap(new IdentityHashMap<>());

    Planner(OnnxGraph graph, Sessions sessions, Map<String, FlatNode> steps) {
        this.graph = graph;
        this.sessions = sessions;
        this.steps = steps;
        this.initializerNames = graph.initializers.keySet();
        this.root = new Plan(graph, sessions, graph.topNodes, graph.graph.messages(OnnxGraph.GRAPH_INITIALIZER));
    }

    /** Whether the model's own graph has no top-level If, so that its plan does not depend on the input. */
    boolean fixed() {
        return root.ifIndex < 0;
    }

    /** The plan with every If condition evaluated on the model inputs {@code feeds}. */
    Plan resolve(Map<String, OnnxTensor> feeds) throws OrtException {
        return resolve(feeds, true);
    }

    /** As {@link #resolve(Map)}; where {@code cached} is false every condition is evaluated afresh (tests compare the two). */
    Plan resolve(Map<String, OnnxTensor> feeds, boolean cached) throws OrtException {
        Plan p = root;
        while (p.ifIndex >= 0) {
            p = p.child(p.condition().evaluate(feeds, cached));
        }
        return p;
    }

    /** The plan of the model's own graph (before any If is resolved). */
    Plan root() {
        return root;
    }

    /** The plan for {@code inputs} bound to the model inputs {@code bound}. */
    Plan resolve(NDList inputs, List<String> bound) {
        if (root.ifIndex < 0) {
            return root;
        }
        try (TensorBridge.Feeds feeds = new TensorBridge.Feeds(sessions.env())) {
            for (int i = 0; i < inputs.size(); i++) {
                feeds.put(bound.get(i), inputs.get(i));
            }
            return resolve(feeds.map());
        } catch (OrtException e) {
            throw new OpgException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    /** The node plan of {@code p} for the binding {@code bound}, made once per plan and binding. */
    StepPlan stepPlan(Plan p, List<String> bound) {
        return p.stepPlans.computeIfAbsent(bound, b -> {
            StepPlan sp = build(p, b);
            planOf.put(sp, p);
            return sp;
        });
    }

    /** The node plan of a graph without top-level {@code If} (inputs bound by position), else null. */
    StepPlan fixedPlan() {
        return root.ifIndex >= 0 ? null : stepPlan(root, graph.inputNames);
    }

    /** The plan {@code sp} was made from, or null where this planner did not hand it out. */
    Plan planOf(StepPlan sp) {
        return planOf.get(sp);
    }

    /** The value names a step commits as inputs (see {@link OnnxRunner}'s class comment). */
    List<String> stepInputNames(FlatNode n) {
        List<String> r = new ArrayList<>();
        for (String s : n.inputs()) {
            if (!s.isEmpty() && !initializerNames.contains(s)) {
                r.add(s);
            }
        }
        for (String s : n.implicitInputs()) {
            if (!initializerNames.contains(s)) {
                r.add(s);
            }
        }
        return r;
    }

    static List<String> nonEmpty(List<String> names) {
        return names.stream().filter(s -> !s.isEmpty()).toList();
    }

    /** The name of the value {@code s} (an output of a step of {@code p}). */
    static String valueName(Plan p, Source s) {
        Source.Output o = (Source.Output) s;
        return nonEmpty(p.nodes.get(o.step()).outputs()).get(o.index());
    }

    private StepPlan build(Plan p, List<String> bound) {
        Map<String, Source> producer = new HashMap<>();
        for (int i = 0; i < bound.size(); i++) {
            producer.put(bound.get(i), new Source.Input(i));
        }
        List<PlannedStep> plan = new ArrayList<>(p.nodes.size());
        Set<String> names = new HashSet<>();
        for (int s = 0; s < p.nodes.size(); s++) {
            FlatNode n = p.nodes.get(s);
            // A step is re-run by name (runStep): a name two nodes share would re-run the other node,
            // so a transcript of that node's arithmetic would pass for this one's.
            FlatNode byName = steps.get(n.stepName());
            if (!names.add(n.stepName()) || byName == null || !Arrays.equals(byName.node().encode(), n.node().encode())) {
                throw new UnsupportedModelException("step name '" + n.stepName() + "' (node " + s + ", " + n.opType()
                        + ") is also the step name of another node of the model; opg re-runs steps by name and cannot "
                        + "tell them apart (rename the nodes)");
            }
            List<Source> reads = new ArrayList<>();
            for (String v : stepInputNames(n)) {
                reads.add(source(producer, v, n.stepName()));
            }
            List<String> outs = nonEmpty(n.outputs());
            List<Digest> known = List.of();
            if (n.opType().equals("Constant") && OnnxGraph.domainIsDefault(n.node()) && outs.size() == 1
                    && graph.commitment.parameters().stream().anyMatch(e -> e.name().equals(outs.get(0)))) {
                known = List.of(graph.commitment.parameter(outs.get(0)).digest());
            }
            plan.add(new PlannedStep(n.stepName(), reads, outs.size(), known));
            for (int k = 0; k < outs.size(); k++) {
                producer.put(outs.get(k), new Source.Output(s, k));
            }
        }
        List<Source> returned = new ArrayList<>();
        for (String o : graph.outputNames) {
            returned.add(source(producer, o, "the model's outputs"));
        }
        return new StepPlan(bound, plan, returned);
    }

    private static Source source(Map<String, Source> producer, String value, String reader) {
        Source s = producer.get(value);
        if (s == null) {
            throw new UnsupportedModelException("value '" + value + "' read by " + reader + " is produced by no earlier step "
                    + "and is no model input");
        }
        return s;
    }
}
