"""Many points at array speed: the value and gradient of a summed per-point loss.

Two losses written for one point in scalar code: the contract's exponential-decay fit
(`(a exp(-k x) - y)^2`, two parameters) and micrograd's MLP 2-16-16-1 with the hinge loss
over two-moons points (337 parameters). Each case computes the sum over the batch and its
gradient with respect to the parameters, at 1e3, 1e5 and 1e6 points:

- rulegrad: `rg.value_and_grad(lambda p: rg.sum(rg.vmap(loss, (None, 0, 0))(p, xs, ys)))`,
  NumPy code generated from the rules;
- rulegrad's loop: `rg.compile(loss).value_and_grad` called once per point, summed (for the
  MLP at 1e6 points, 1e5 points timed and multiplied by 10: a call would take minutes);
- JAX: `jax.jit(jax.value_and_grad(lambda p: sum(jax.vmap(loss)(p, xs, ys))))`, and the
  per-example form `jax.jit(jax.vmap(jax.grad(loss)))` summed inside the jit;
- PyTorch: `torch.func.grad_and_value` of the sum of `torch.func.vmap(loss)`.

Everything is float64. The rulegrad row also reports the memory of one call (tracemalloc's
peak, which sees NumPy's arrays) as arrays of one chunk per traced op.
"""

from __future__ import annotations

import random
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any, Final

from benchmarks.core import Case, NotApplicableError, Num, Output, Prepared, Workload
from benchmarks.peers.jax_peer import jax_module
from benchmarks.workloads.mlp import LAYERS, initial_params, moons

__all__ = ["DECAY", "MLP", "decay", "mlp_point"]

SIZES = (1_000, 100_000, 1_000_000)
DECAY_PARAMS = (2.0, 0.5)  # a, k: the start of a fit to 1.5 exp(-0.3 x)
LOOP_LIMIT = 100_000  # the MLP loop is timed on at most this many points


def decay(exp: Callable[[Num], Num], a: Num, k: Num, x: Num, y: Num) -> Num:
    """The contract's per-point loss, over any library's numbers."""
    return (a * exp(-k * x) - y) ** 2


def mlp_point(relu: Callable[[Num], Num], params: Sequence[Num], x: Sequence[Num], y: Num) -> Num:
    """micrograd's MLP at one point, then the hinge loss: micrograd's model, one point."""
    h: Sequence[Num] = x
    k = 0
    for depth, (nin, nout) in enumerate(LAYERS):
        outs = []
        for _ in range(nout):
            act = sum((params[k + i] * h[i] for i in range(nin)), params[k + nin])
            k += nin + 1
            outs.append(act if depth == len(LAYERS) - 1 else relu(act))
        h = outs
    return relu(1.0 - y * h[0])


def _decay_data(n: int) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(5)
    xs = rng.uniform(0.0, 5.0, n)
    return xs, 1.5 * np.exp(-0.3 * xs) + rng.normal(0.0, 0.05, n)


def _mlp_data(n: int) -> tuple[list[float], Any, Any]:
    import numpy as np

    rng = random.Random(1337)
    params = initial_params(rng)
    points, labels = moons(n, rng)
    return params, np.asarray(points), np.asarray(labels)


def _output(value: Any, gradient: Sequence[Any]) -> Output:
    return Output(float(value), tuple(float(g) for g in gradient))


# -- rulegrad -------------------------------------------------------------------------


def _chunk_memory(run: Callable[[], object], ops: int, n: int) -> dict[str, float]:
    """One call's peak memory, as arrays of one chunk (float64, `n` points at most) per
    traced op."""
    from rulegrad.batching._run import CHUNK

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        run()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return {
        "peak_bytes": float(peak),
        "traced_ops": float(ops),
        "arrays_per_op": peak / (8.0 * min(CHUNK[0], n) * ops),
    }


def _traced_ops(batched: Any) -> int:
    family = next(iter(batched._families.values()))
    return len(family.kernels(None).traced.program.steps)


def _rulegrad_decay(n: int) -> Prepared:
    import rulegrad as rg

    xs, ys = _decay_data(n)
    batched = rg.vmap(lambda p, x, y: decay(rg.exp, p["a"], p["k"], x, y), in_axes=(None, 0, 0))
    step = rg.value_and_grad(lambda p: rg.sum(batched(p, xs, ys)))
    params = {"a": DECAY_PARAMS[0], "k": DECAY_PARAMS[1]}
    start = time.perf_counter()
    step(params)  # traces and generates the code
    compile_s = time.perf_counter() - start

    def run() -> Output:
        value, gradient = step(params)
        return _output(value, [gradient["a"], gradient["k"]])

    return Prepared(run, compile_s, _chunk_memory(run, _traced_ops(batched), n))


def _rulegrad_mlp(n: int) -> Prepared:
    import rulegrad as rg

    params, points, labels = _mlp_data(n)
    batched = rg.vmap(lambda p, x, y: mlp_point(rg.relu, p, x, y), in_axes=(None, 0, 0))
    step = rg.value_and_grad(lambda p: rg.sum(batched(p, points, labels)))
    start = time.perf_counter()
    step(params)
    compile_s = time.perf_counter() - start

    def run() -> Output:
        value, gradient = step(params)
        return _output(value, gradient)

    return Prepared(run, compile_s, _chunk_memory(run, _traced_ops(batched), n))


def _loop_decay(n: int) -> Prepared:
    import rulegrad as rg

    xs, ys = (c.tolist() for c in _decay_data(n))
    compiled = rg.compile(lambda a, k, x, y: decay(rg.exp, a, k, x, y))
    a, k = DECAY_PARAMS
    start = time.perf_counter()
    compiled.value_and_grad(a, k, xs[0], ys[0])
    compile_s = time.perf_counter() - start

    def run() -> Output:
        value = grad_a = grad_k = 0.0
        for x, y in zip(xs, ys, strict=True):
            v, (ga, gk, _, _) = compiled.value_and_grad(a, k, x, y)
            value += v
            grad_a += ga
            grad_k += gk
        return Output(value, (grad_a, grad_k))

    return Prepared(run, compile_s)


def _loop_mlp(n: int) -> Prepared:
    import rulegrad as rg

    if n > LOOP_LIMIT:
        raise NotApplicableError(
            f"a call takes minutes at {n:,} points; the loop is linear in the points, so the "
            f"target uses its time at {LOOP_LIMIT:,} points"
        )
    params, points, labels = _mlp_data(n)
    size = len(params)
    compiled = rg.compile(lambda *xs: mlp_point(rg.relu, xs[:size], xs[size:-1], xs[-1]))
    rows = [
        (*params, *map(float, point), float(label))
        for point, label in zip(points, labels, strict=True)
    ]
    start = time.perf_counter()
    compiled.value_and_grad(*rows[0])
    compile_s = time.perf_counter() - start

    def run() -> Output:
        value = 0.0
        gradient = [0.0] * size
        for row in rows:
            v, g = compiled.value_and_grad(*row)
            value += v
            gradient = [a + b for a, b in zip(gradient, g[:size], strict=True)]
        return Output(value, tuple(gradient))

    return Prepared(run, compile_s)


# -- JAX ------------------------------------------------------------------------------


def _jax_step(loss: Callable[..., Any], params: Any, xs: Any, ys: Any, per_example: bool) -> Any:
    jax = jax_module()
    jnp = jax.numpy

    if per_example:  # jit(vmap(grad)), the per-example gradients summed inside the jit

        def step(p: Any, xs: Any, ys: Any) -> Any:
            values, grads = jax.vmap(jax.value_and_grad(loss), in_axes=(None, 0, 0))(p, xs, ys)
            return jnp.sum(values), jax.tree_util.tree_map(lambda g: jnp.sum(g, axis=0), grads)

    else:

        def step(p: Any, xs: Any, ys: Any) -> Any:
            def total(p: Any) -> Any:
                return jnp.sum(jax.vmap(loss, in_axes=(None, 0, 0))(p, xs, ys))

            return jax.value_and_grad(total)(p)

    start = time.perf_counter()
    compiled = jax.jit(step).lower(params, xs, ys).compile()
    return compiled, time.perf_counter() - start


def _jax_decay(n: int, per_example: bool) -> Prepared:
    jax = jax_module()
    jnp = jax.numpy
    xs, ys = (jnp.asarray(c) for c in _decay_data(n))
    params = jnp.asarray(DECAY_PARAMS)
    compiled, compile_s = _jax_step(
        lambda p, x, y: decay(jnp.exp, p[0], p[1], x, y), params, xs, ys, per_example
    )

    def run() -> Output:
        value, gradient = compiled(params, xs, ys)
        return _output(value, gradient.tolist())

    return Prepared(run, compile_s)


def _jax_mlp(n: int, per_example: bool) -> Prepared:
    jax = jax_module()
    jnp = jax.numpy
    flat, points, labels = _mlp_data(n)
    # A list of scalars and a list of columns: XLA compiles indexing into one parameter array
    # (a gather per use) a hundred times slower.
    params = [jnp.asarray(v) for v in flat]
    xs, ys = [jnp.asarray(points[:, 0]), jnp.asarray(points[:, 1])], jnp.asarray(labels)
    compiled, compile_s = _jax_step(
        lambda p, x, y: mlp_point(jax.nn.relu, p, x, y), params, xs, ys, per_example
    )

    def run() -> Output:
        value, gradient = compiled(params, xs, ys)
        return _output(value, [float(g) for g in gradient])

    return Prepared(run, compile_s)


# -- PyTorch --------------------------------------------------------------------------


def _torch_step(loss: Callable[..., Any], params: Any, xs: Any, ys: Any) -> Callable[[], Output]:
    import torch
    from torch.func import grad_and_value, vmap

    def total(p: Any) -> Any:
        return torch.sum(vmap(loss, in_dims=(None, 0, 0))(p, xs, ys))

    step = grad_and_value(total)

    def run() -> Output:
        gradient, value = step(params)
        return _output(value.item(), gradient.tolist())

    return run


def _torch_decay(n: int) -> Prepared:
    import torch

    xs, ys = (torch.from_numpy(c) for c in _decay_data(n))
    params = torch.tensor(DECAY_PARAMS, dtype=torch.float64)
    return Prepared(_torch_step(lambda p, x, y: decay(torch.exp, p[0], p[1], x, y), params, xs, ys))


def _torch_mlp(n: int) -> Prepared:
    import torch

    flat, points, labels = _mlp_data(n)
    params = torch.tensor(flat, dtype=torch.float64)
    xs, ys = torch.from_numpy(points), torch.from_numpy(labels)
    return Prepared(_torch_step(lambda p, x, y: mlp_point(torch.relu, p, x, y), params, xs, ys))


# -- workloads ------------------------------------------------------------------------

VMAP = "rulegrad `rg.vmap` (NumPy code from the rules)"
LOOP = "rulegrad `rg.compile` loop over the points"
JAX_SUM = "JAX `jit(value_and_grad(sum ∘ vmap))`"
JAX_PER_EXAMPLE = "JAX `jit(vmap(grad))`, summed in the jit"
TORCH_VMAP = "PyTorch `torch.func.vmap` under `grad_and_value`"


def _decay_cases(n: int) -> list[Case]:
    return [
        Case("rulegrad", VMAP, lambda: _rulegrad_decay(n), ("rulegrad", "numpy")),
        Case("rulegrad-compile-loop", LOOP, lambda: _loop_decay(n), ("rulegrad",)),
        Case("jax-jit", JAX_SUM, lambda: _jax_decay(n, False), ("jax",)),
        Case("jax-jit-per-example", JAX_PER_EXAMPLE, lambda: _jax_decay(n, True), ("jax",)),
        Case("torch-func", TORCH_VMAP, lambda: _torch_decay(n), ("torch",)),
    ]


_SLOW: Final = "XLA compiles the vmapped scalar MLP for minutes"


def _mlp_cases(n: int) -> list[Case]:
    return [
        Case("rulegrad", VMAP, lambda: _rulegrad_mlp(n), ("rulegrad", "numpy")),
        Case("rulegrad-compile-loop", LOOP, lambda: _loop_mlp(n), ("rulegrad",)),
        Case(
            "jax-jit", JAX_SUM, lambda: _jax_mlp(n, False), ("jax",), isolate=True,
            smoke_skip=_SLOW,
        ),
        Case(
            "jax-jit-per-example", JAX_PER_EXAMPLE, lambda: _jax_mlp(n, True), ("jax",),
            isolate=True, smoke_skip=_SLOW,
        ),
        Case("torch-func", TORCH_VMAP, lambda: _torch_mlp(n), ("torch",), isolate=True),
    ]  # fmt: skip


DECAY = Workload(
    name="batched-decay",
    title="Batched: value and gradient of the decay fit's summed loss, 1e3 to 1e6 points",
    note="loss = sum over points of (a exp(-k x) - y)^2, gradient in (a, k); one call per row. "
    "Compile: tracing and code generation (rulegrad), XLA's compile (JAX).",
    cases=_decay_cases,
    sizes=SIZES,
    smoke_sizes=(50,),
)

MLP = Workload(
    name="batched-mlp",
    title="Batched: value and gradient of micrograd's MLP hinge loss over two-moons points",
    note="MLP 2-16-16-1 (337 parameters) at each point, loss = sum of relu(1 - y score); "
    "the compiled loop runs at up to 1e5 points.",
    cases=_mlp_cases,
    sizes=SIZES,
    smoke_sizes=(20,),
)
