package dev.opg.core.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.opg.core.MalformedInputException;
import dev.opg.core.djl.UnsupportedModelException;
import dev.opg.core.onnx.OnnxGraph.FlatNode;
import dev.opg.core.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs one node step alone (a spot check, a referee's step): a one-node model whose graph inputs
 * are typed and shaped as the given arrays, with the initializers the node reads, under the same
 * settings; its session is kept per step name and input dtypes and shapes.
 */
final class StepRunner {
    private final OnnxGraph graph;
    private final Map<String, FlatNode> steps;
    private final Planner planner;
    private final Sessions sessions;
    private final Map<String, OrtSession> byKey = new ConcurrentHashMap<>();

    StepRunner(OnnxGraph graph, Map<String, FlatNode> steps, Planner planner, Sessions sessions) {
        this.graph = graph;
        this.steps = steps;
        this.planner = planner;
        this.sessions = sessions;
    }

    NDList run(NDManager manager, String name, NDList inputs) {
        FlatNode n = steps.get(name);
        if (n == null) {
            throw new MalformedInputException("the ONNX model has no step '" + name + "'");
        }
        List<String> ins = planner.stepInputNames(n);
        if (inputs.size() != ins.size()) {
            throw new MalformedInputException("step '" + name + "' (" + n.opType() + ") takes " + ins.size() + " inputs " + ins
                    + "; got " + inputs.size());
        }
        Map<String, NDArray> byName = new LinkedHashMap<>();
        StringBuilder key = new StringBuilder(name);
        List<Proto> vis = new ArrayList<>();
        for (int i = 0; i < ins.size(); i++) {
            NDArray a = inputs.get(i);
            DType dt = DType.fromDjl(a.getDataType());
            long[] shape = a.getShape().getShape();
            key.append('|').append(dt.specName()).append(Arrays.toString(shape));
            if (byName.putIfAbsent(ins.get(i), a) == null) {
                vis.add(OnnxGraph.valueInfo(ins.get(i), OnnxGraph.onnxType(dt), shape));
            }
        }
        List<String> outs = Planner.nonEmpty(n.outputs());
        try (TensorBridge.Feeds feeds = new TensorBridge.Feeds(sessions.env())) {
            OrtSession s = byKey.computeIfAbsent(key.toString(), k -> open(n, vis, outs));
            feeds.putAll(byName);
            OrtSession.Result r = s.run(feeds.map());
            return TensorBridge.take(manager, r, outs);
        } catch (OrtException e) {
            throw new UnsupportedModelException("step '" + name + "' (" + n.opType() + ") failed when run alone: " + e.getMessage(), e);
        }
    }

    private OrtSession open(FlatNode n, List<Proto> vis, List<String> outs) {
        List<Proto> inits = new ArrayList<>();
        Set<String> reads = new HashSet<>(n.inputs());
        reads.addAll(n.implicitInputs());
        for (String r : reads) {
            Proto t = graph.initializers.get(r);
            if (t != null) {
                inits.add(t);
            }
        }
        byte[] m = graph.modelWith(List.of(n), vis, inits, outs, false).encode();
        try {
            return sessions.open(m);
        } catch (OrtException e) {
            throw new UnsupportedModelException("step '" + n.stepName() + "' (" + n.opType() + ") cannot be run alone by ONNX "
                    + "Runtime: " + e.getMessage(), e);
        }
    }
}
