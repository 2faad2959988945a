package dev.opg.core.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.opg.core.OpgException;
import dev.opg.core.djl.StepSink;
import dev.opg.core.onnx.OnnxGraph.FlatNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Node granularity: runs the plan for the input in one session that exposes every node output,
 * then reports one step per node in the plan's (topological) order.
 */
final class NodeRunner {
    private final OnnxGraph graph;
    private final Planner planner;
    private final Sessions sessions;

    NodeRunner(OnnxGraph graph, Planner planner, Sessions sessions) {
        this.graph = graph;
        this.planner = planner;
        this.sessions = sessions;
    }

    NDList run(NDManager manager, NDList inputs, List<String> binding, StepSink sink) {
        Map<String, NDArray> values = new HashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            values.put(binding.get(i), inputs.get(i));
        }
        try (TensorBridge.Feeds feeds = new TensorBridge.Feeds(sessions.env()).putAll(values)) {
            Plan p = planner.resolve(feeds.map());
            OrtSession.Result r = p.session().run(feeds.map());
            TensorBridge.adopt(manager, r, values);
            for (FlatNode n : p.nodes) {
                sink.step(n.stepName(), gather(values, planner.stepInputNames(n), n), gather(values, Planner.nonEmpty(n.outputs()), n));
            }
            NDList out = new NDList(graph.outputNames.size());
            for (String o : graph.outputNames) {
                NDArray a = values.get(o);
                if (a == null) {
                    throw new OpgException("ONNX Runtime returned no value for model output '" + o + "'");
                }
                out.add(a);
            }
            return out;
        } catch (OrtException e) {
            throw new OpgException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    private static NDList gather(Map<String, NDArray> values, List<String> names, FlatNode n) {
        NDList l = new NDList(names.size());
        for (String s : names) {
            NDArray a = values.get(s);
            if (a == null) {
                throw new OpgException("no value '" + s + "' for step '" + n.stepName() + "'; ONNX Runtime did not return it");
            }
            l.add(a);
        }
        return l;
    }
}
