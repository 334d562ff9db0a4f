"""micrograd's demo step: MLP 2-16-16-1 on 100 two-moons points, SVM loss plus L2.

Every case starts from the same 337 weights (drawn as micrograd draws them: uniform in
[-1, 1], biases 0) and the same points, and computes the loss and its gradient, the work of
one training step before the update. The scalar code below is micrograd's model and loss,
run unchanged on each peer's numbers.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import random
import tracemalloc
from collections.abc import Callable, Sequence

from benchmarks.core import Case, Fn, NotInstalledError, Num, Ops, Output, Prepared, Workload
from benchmarks.peers import (
    AUTOGRAD,
    FLOATS,
    FLOOR,
    JAX,
    JAX_JIT,
    MICROGRAD,
    RULEGRAD,
    RULEGRAD_COMPILE,
    TORCH,
    floor,
    gradient_cases,
    micrograd_peer,
    rulegrad_peer,
    vectorized,
)

__all__ = ["MEMORY", "STEP", "initial_params", "make_loss", "moons"]

LAYERS = ((2, 16), (16, 16), (16, 1))  # (inputs, outputs) per layer
ALPHA = 1e-4  # the L2 weight of micrograd's demo
POINTS = 100
SEED = 1337

Net = list[tuple[list[Num], Num]]  # per layer: one (weights, bias) per neuron, as in micrograd


def moons(n: int, rng: random.Random) -> tuple[list[list[float]], list[float]]:
    """Two interleaved half circles with noise 0.1; labels -1 and +1 (micrograd's demo data)."""
    points, labels = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            x, y, label = 1.0 - math.cos(t), 0.5 - math.sin(t), 1.0
        else:
            x, y, label = math.cos(t), math.sin(t), -1.0
        points.append([x + rng.gauss(0.0, 0.1), y + rng.gauss(0.0, 0.1)])
        labels.append(label)
    return points, labels


def initial_params(rng: random.Random) -> list[float]:
    """Weights uniform in [-1, 1] and zero biases, flat in micrograd's `parameters()` order."""
    params: list[float] = []
    for nin, nout in LAYERS:
        for _ in range(nout):
            params += [rng.uniform(-1.0, 1.0) for _ in range(nin)] + [0.0]
    return params


def _structure(params: list[Num]) -> list[Net]:
    layers, k = [], 0
    for nin, nout in LAYERS:
        layer = []
        for _ in range(nout):
            layer.append((params[k : k + nin], params[k + nin]))
            k += nin + 1
        layers.append(layer)
    return layers


def _forward(ops: Ops, net: list[Net], x: Sequence[Num]) -> Num:
    for depth, layer in enumerate(net):
        last = depth == len(net) - 1
        outs = []
        for w, b in layer:
            act = sum((wi * xi for wi, xi in zip(w, x, strict=True)), b)
            outs.append(act if last else ops.relu(act))
        x = outs
    return x[0]


def svm_loss(ops: Ops, scores: Sequence[Num], y: Sequence[float], params: Sequence[Num]) -> Num:
    """micrograd's demo loss: mean hinge loss plus ALPHA times the sum of squared weights."""
    losses = [ops.relu(1 + -yi * si) for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in params)
    return data_loss + reg_loss


def make_loss(x: Sequence[Sequence[float]], y: Sequence[float]) -> Fn:
    """The loss as a function of the 337 parameters, over any peer's numbers."""

    def loss(ops: Ops, params: Sequence[Num]) -> Num:
        flat = list(params)  # one unpacking, not one index op per use
        net = _structure(flat)
        return svm_loss(ops, [_forward(ops, net, xi) for xi in x], y, flat)

    return loss


def _data(points: int) -> tuple[list[float], list[list[float]], list[float]]:
    rng = random.Random(SEED)
    params = initial_params(rng)
    x, y = moons(points, rng)
    return params, x, y


def _nn_model(params: Sequence[float]) -> Num:
    try:
        from rulegrad.nn import MLP
    except ImportError:
        raise NotInstalledError("rulegrad.nn is not in this rulegrad") from None
    model = MLP(LAYERS[0][0], [nout for _, nout in LAYERS], rng=random.Random(SEED))
    for p, value in zip(model.parameters(), params, strict=True):
        p.data = value
    return model


def _nn_step(params: Sequence[float], x: Sequence[Sequence[float]], y: Sequence[float]) -> Prepared:
    model = _nn_model(params)
    parameters = model.parameters()

    def run() -> Output:
        model.zero_grad()
        loss = svm_loss(rulegrad_peer.OPS, [model(xi) for xi in x], y, parameters)
        loss.backward()
        return Output(loss.data, tuple(p.grad for p in parameters))

    return Prepared(run)


NN_LABEL = "rulegrad.nn MLP (n-ary dot)"
FLOOR_DOT_LABEL = "CPython floor, n-ary dot per neuron (as rulegrad.nn)"


def _floor_dot_step(
    params: Sequence[float], x: Sequence[Sequence[float]], y: Sequence[float]
) -> Prepared:
    """The floor's Value with one dot node per neuron, the graph `rulegrad.nn` builds."""
    leaves = [floor.FloorValue(p) for p in params]
    net = _structure(leaves)
    ops = Ops(exp=math.exp, relu=lambda v: v.relu())

    def forward(point: Sequence[float]) -> Num:
        h: Sequence[Num] = point
        for depth, layer in enumerate(net):
            acts = [floor.floor_dot([*w, b], [*h, 1.0]) for w, b in layer]
            h = acts if depth == len(net) - 1 else [a.relu() for a in acts]
        return h[0]

    def run() -> Output:
        for leaf in leaves:
            leaf.grad = 0.0
        loss = svm_loss(ops, [forward(xi) for xi in x], y, leaves)
        loss.backward()
        return Output(loss.data, tuple(leaf.grad for leaf in leaves))

    return Prepared(run)


def _step_cases(points: int) -> list[Case]:
    params, x, y = _data(points)
    peers = (FLOATS, FLOOR, MICROGRAD, RULEGRAD, RULEGRAD_COMPILE, AUTOGRAD, TORCH, JAX, JAX_JIT)
    cases = gradient_cases(make_loss(x, y), params, peers)
    # XLA needs minutes for even a two-point scalar MLP, and far more for the real one.
    slow = "XLA compiles the scalar MLP for minutes"
    cases = [dataclasses.replace(c, smoke_skip=slow) if c.id == JAX_JIT.id else c for c in cases]
    cases.insert(4, Case("rulegrad-nn", NN_LABEL, lambda: _nn_step(params, x, y), ("rulegrad",)))
    cases.insert(5, Case("floor-dot", FLOOR_DOT_LABEL, lambda: _floor_dot_step(params, x, y)))
    return cases + vectorized.mlp_cases(LAYERS, params, x, y, ALPHA)


STEP = Workload(
    name="mlp",
    title=f"MLP step: 2-16-16-1, {POINTS} two-moons points, SVM loss + L2, forward + backward",
    note="337 parameters, identical weights and data for every case. `rulegrad.nn` builds "
    "each neuron as one n-ary `dot` node; every other scalar case runs micrograd's code.",
    cases=_step_cases,
    sizes=(POINTS,),
    smoke_sizes=(2,),
)


def _graph_memory(build: Callable[[], Num], count: Callable[[Num], int]) -> Prepared:
    """Bytes that stay allocated once the loss graph is built, per node of that graph."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        root = build()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    nodes = count(root)
    metrics = {"nodes": float(nodes), "bytes": float(retained), "bytes_per_node": retained / nodes}
    return Prepared(lambda: Output(float(root.data)), metrics=metrics)


def _memory_cases(points: int) -> list[Case]:
    params, x, y = _data(points)
    loss = make_loss(x, y)

    def micrograd() -> Prepared:
        from micrograd.engine import Value

        leaves = [Value(p) for p in params]
        ops = Ops(exp=math.exp, relu=lambda v: v.relu())
        return _graph_memory(lambda: loss(ops, leaves), micrograd_peer.count_nodes)

    def rulegrad() -> Prepared:
        import rulegrad as rg

        leaves = [rg.Value(p) for p in params]
        return _graph_memory(lambda: loss(rulegrad_peer.OPS, leaves), rulegrad_peer.count_nodes)

    def nn() -> Prepared:
        model = _nn_model(params)

        def build() -> Num:
            return svm_loss(rulegrad_peer.OPS, [model(xi) for xi in x], y, model.parameters())

        return _graph_memory(build, rulegrad_peer.count_nodes)

    return [
        Case(MICROGRAD.id, MICROGRAD.label, micrograd, MICROGRAD.requires),
        Case(RULEGRAD.id, RULEGRAD.label, rulegrad, RULEGRAD.requires),
        Case("rulegrad-nn", NN_LABEL, nn, ("rulegrad",)),
    ]


MEMORY = Workload(
    name="mlp-memory",
    title="Memory of the MLP-step graph: bytes per node",
    note="tracemalloc: bytes still allocated after building the loss graph (parameters made "
    "before), divided by the graph's node count as each library counts it. micrograd wraps "
    "every constant in a node; rulegrad keeps constants as floats, so it has fewer nodes.",
    cases=_memory_cases,
    sizes=(POINTS,),
    smoke_sizes=(2,),
    kind="memory",
    warmup=0,
    max_repeat=1,
)
