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
            List<String> exposed = new ArrayList<>(graph.outputNames);
            for (Blocks.Block b : blocks.blocks()) {
                for (Source s : b.outputs()) {
                    exposed.add(Planner.valueName(p, s));
                }
            }
            OrtSession session = p.blockSession(exposed);
            OrtSession.Result r = session.run(feeds.map());
            TensorBridge.adopt(manager, r, values);
            for (Blocks.Block b : blocks.blocks()) {
                NDList in = new NDList(b.inputs().size());
                for (Source s : b.inputs()) {
                    in.add(s instanceof Source.Input i ? inputs.get(i.index()) : value(values, Planner.valueName(p, s)));
                }
                NDList out = new NDList(b.outputs().size());
                for (Source s : b.outputs()) {
                    out.add(value(values, Planner.valueName(p, s)));
                }
                sink.step(b.name(), in, out);
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

    static NDArray value(Map<String, NDArray> values, String name) {
        NDArray a = values.get(name);
        if (a == null) {
            throw new OpgException("ONNX Runtime returned no value for '" + name + "'");
        }
        return a;
    }
}
