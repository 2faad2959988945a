package dev.opg.core.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.opg.core.onnx.OnnxGraph.FlatNode;
import dev.opg.core.transcript.StepPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The graph after a sequence of {@code If} decisions: its nodes (taken branches inlined), the
 * initializers they read, and the first {@code If} left ({@link #ifIndex}, -1 when none), with
 * the sessions that run it, made when first needed and kept. The plans form a tree below the
 * model's own graph, one child per branch taken, so each sequence of decisions is inlined once.
 */
final class Plan {
    /** Sessions exposing only block boundaries kept per plan. */
    private static final int MAX_BLOCK_SESSIONS = 16;

    final List<FlatNode> nodes;
    final List<Proto> inits;
    final int ifIndex;
    /** The node plan per input binding. */
    final Map<List<String>, StepPlan> stepPlans = new ConcurrentHashMap<>();
    private final OnnxGraph graph;
    private final Sessions sessions;
    private Plan thenPlan;
    private Plan elsePlan;
    private OrtSession session;
    private Condition condition;
    /** Sessions exposing only block boundaries, per list of exposed values. */
    private final Map<List<String>, OrtSession> blockSessions = new HashMap<>();

    Plan(OnnxGraph graph, Sessions sessions, List<FlatNode> nodes, List<Proto> inits) {
        this.graph = graph;
        this.sessions = sessions;
        this.nodes = List.copyOf(nodes);
        this.inits = List.copyOf(inits);
        int idx = -1;
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).isIf()) {
                idx = i;
                break;
            }
        }
        this.ifIndex = idx;
    }

    /** The plan after taking branch {@code cond} of the If at {@link #ifIndex}. */
    synchronized Plan child(boolean cond) {
        Plan p = cond ? thenPlan : elsePlan;
        if (p == null) {
            List<Proto> moreInits = new ArrayList<>(inits);
            List<FlatNode> inlined = graph.inline(nodes, ifIndex, cond, moreInits);
            p = new Plan(graph, sessions, inlined, moreInits);
            if (cond) {
                thenPlan = p;
            } else {
                elsePlan = p;
            }
        }
        return p;
    }

    /** The condition of the If at {@link #ifIndex}. */
    synchronized Condition condition() {
        if (condition == null) {
            condition = new Condition(graph, sessions, nodes, ifIndex, inits);
        }
        return condition;
    }

    /** The session running every node and exposing every node output (node granularity). */
    synchronized OrtSession session() throws OrtException {
        if (session == null) {
            List<String> outs = new ArrayList<>();
            for (FlatNode n : nodes) {
                outs.addAll(n.outputs());
            }
            session = sessions.open(graph.modelWith(nodes, null, inits, outs, true).encode());
        }
        return session;
    }

    /** The session running every node and exposing the model outputs and {@code exposed}. */
    synchronized OrtSession blockSession(List<String> exposed) throws OrtException {
        OrtSession s = blockSessions.get(exposed);
        if (s == null) {
            s = sessions.open(graph.modelWith(nodes, null, inits, exposed, true).encode());
            if (blockSessions.size() < MAX_BLOCK_SESSIONS) {
                blockSessions.put(List.copyOf(exposed), s);
            }
        }
        return s;
    }
}
