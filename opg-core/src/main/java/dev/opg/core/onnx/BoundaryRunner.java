package dev.opg.core.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.opg.core.OpgException;
import dev.opg.core.djl.StepSink;
import dev.opg.core.transcript.Blocks;
import dev.opg.core.transcript.Dataflow.Source;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Block granularity: runs the whole plan in one session that exposes only the values crossing a
 * block boundary (and the model outputs), so ONNX Runtime plans the memory of everything inside
 * the blocks; the nodes and settings are those of the node runner, so every value is the one a
 * node-by-node run computes.
 */
final class BoundaryRunner {
    private final OnnxGraph graph;
    private final Planner planner;
    private final Sessions sessions;

    BoundaryRunner(OnnxGraph graph, Planner planner, Sessions sessions) {
        this.graph = graph;
        this.planner = planner;
        this.sessions = sessions;
    }

    NDList run(NDManager manager, NDList inputs, List<String> binding, Blocks blocks, StepSink sink) {
        Map<String, NDArray> values = new HashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            values.put(binding.get(i), inputs.get(i));
        }
        try (TensorBridge.Feeds feeds = new TensorBridge.Feeds(sessions.env()).putAll(values)) {
            // the plan these blocks were derived from (this runner's plan for these inputs), else resolved again
            Plan p = planner.planOf(blocks.nodes());
            if (p == null) {
                p = planner.resolve(feeds.map());
            }
            Layout l = layout(p, blocks);
            OrtSession session = p.blockSession(l.exposed);
            OrtSession.Result r = session.run(feeds.map());
            TensorBridge.adopt(manager, r, values);
            List<Blocks.Block> bs = blocks.blocks();
            for (int b = 0; b < bs.size(); b++) {
                String[] inNames = l.inputs[b];
                NDList in = new NDList(inNames.length);
                for (int k = 0; k < inNames.length; k++) {
                    in.add(inNames[k] == null ? inputs.get(l.inputIndex[b][k]) : value(values, inNames[k]));
                }
                String[] outNames = l.outputs[b];
                NDList out = new NDList(outNames.length);
                for (String o : outNames) {
                    out.add(value(values, o));
                }
                sink.step(bs.get(b).name(), in, out);
            }
            NDList out = new NDList(graph.outputNames.size());
            for (String o : graph.outputNames) {
                out.add(value(values, o));
            }
            return out;
        } catch (OrtException e) {
            throw new OpgException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    /**
     * The value names of {@code blocks} under plan {@code p}: what the session exposes (the model
     * outputs, then each block's outputs) and what each block reads and writes. The same for every
     * run of one plan and partition (a generation runs one per token), so kept per partition.
     */
    private Layout layout(Plan p, Blocks blocks) {
        Layout l = layouts.get(blocks);
        if (l != null && l.plan == p) {
            return l;
        }
        l = new Layout(p, blocks, graph.outputNames);
        if (layouts.size() < MAX_LAYOUTS) {
            layouts.put(blocks, l);
        }
        return l;
    }

    private static final int MAX_LAYOUTS = 64;
    private final Map<Blocks, Layout> layouts = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

    /** A block partition resolved to value names; a null input name reads model input {@code inputIndex} instead. */
    private static final class Layout {
        final Plan plan;
        final List<String> exposed;
        final String[][] inputs;
        final int[][] inputIndex;
        final String[][] outputs;

        Layout(Plan p, Blocks blocks, List<String> modelOutputs) {
            this.plan = p;
            List<Blocks.Block> bs = blocks.blocks();
            List<String> exp = new ArrayList<>(modelOutputs);
            inputs = new String[bs.size()][];
            inputIndex = new int[bs.size()][];
            outputs = new String[bs.size()][];
            for (int b = 0; b < bs.size(); b++) {
                Blocks.Block k = bs.get(b);
                inputs[b] = new String[k.inputs().size()];
                inputIndex[b] = new int[k.inputs().size()];
                for (int i = 0; i < inputs[b].length; i++) {
                    Source s = k.inputs().get(i);
                    if (s instanceof Source.Input in) {
                        inputIndex[b][i] = in.index();
                    } else {
                        inputs[b][i] = Planner.valueName(p, s);
                    }
                }
                outputs[b] = new String[k.outputs().size()];
                for (int o = 0; o < outputs[b].length; o++) {
                    outputs[b][o] = Planner.valueName(p, k.outputs().get(o));
                    exp.add(outputs[b][o]);
                }
            }
            this.exposed = List.copyOf(exp);
        }
    }

    static NDArray value(Map<String, NDArray> values, String name) {
        NDArray a = values.get(name);
        if (a == null) {
            throw new OpgException("ONNX Runtime returned no value for '" + name + "'");
        }
        return a;
    }
}
