"""Vectorized references: the same math as whole-array operations, in PyTorch and JAX.

Not scalar graphs, so not competitors: they show what the same computation costs when a
library gets to work on arrays, the way its users would write it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from benchmarks.core import Case, Output, Prepared
from benchmarks.peers.jax_peer import jax_module

__all__ = ["mlp_cases", "wide_grad_cases", "wide_jvp_cases"]

TORCH_LABEL = "PyTorch vectorized (reference, not a scalar graph)"
JAX_LABEL = "JAX jax.jit vectorized (reference, not a scalar graph)"

Layers = Sequence[tuple[int, int]]  # (inputs, outputs) of each layer


def _blocks(layers: Layers, params: Sequence[float]) -> list[list[list[float]]]:
    """The flat parameters (micrograd's order) as one [nout][nin + 1] block per layer."""
    blocks, k = [], 0
    for nin, nout in layers:
        rows = [list(params[k + j * (nin + 1) : k + (j + 1) * (nin + 1)]) for j in range(nout)]
        blocks.append(rows)
        k += nout * (nin + 1)
    return blocks


def _mlp_loss(xp: Any, relu: Any, blocks: Sequence[Any], x: Any, y: Any, alpha: float) -> Any:
    """SVM loss plus L2 of the MLP whose layer j is `blocks[j]` = [W | b]; xp is the array API."""
    h = x
    for j, block in enumerate(blocks):
        h = h @ block[:, :-1].T + block[:, -1]
        if j < len(blocks) - 1:
            h = relu(h)
    losses = relu(1.0 - y * h[:, 0])
    return xp.sum(losses) * (1.0 / losses.shape[0]) + alpha * sum(xp.sum(b * b) for b in blocks)


def _grad(leaf: Any) -> Any:
    """The gradient a backward pass left on a leaf tensor (zeros if it was not reached)."""
    import torch

    return torch.zeros_like(leaf) if leaf.grad is None else leaf.grad


def _torch_mlp(layers: Layers, params: Sequence[float], x: Any, y: Any, alpha: float) -> Prepared:
    import torch

    blocks = [
        torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in _blocks(layers, params)
    ]
    xt, yt = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)

    def run() -> Output:
        for block in blocks:
            block.grad = None
        loss = _mlp_loss(torch, torch.relu, blocks, xt, yt, alpha)
        loss.backward()
        return Output(loss.item(), tuple(g for b in blocks for g in _grad(b).flatten().tolist()))

    return Prepared(run)


def _jax_mlp(layers: Layers, params: Sequence[float], x: Any, y: Any, alpha: float) -> Prepared:
    jax = jax_module()
    jnp = jax.numpy
    blocks = [jnp.asarray(b, dtype=jnp.float64) for b in _blocks(layers, params)]
    xj, yj = jnp.asarray(x, dtype=jnp.float64), jnp.asarray(y, dtype=jnp.float64)

    def loss(bs: Any) -> Any:
        return _mlp_loss(jnp, jax.nn.relu, bs, xj, yj, alpha)

    start = time.perf_counter()
    step = jax.jit(jax.value_and_grad(loss)).lower(blocks).compile()
    compile_s = time.perf_counter() - start

    def run() -> Output:
        value, grads = step(blocks)
        return Output(float(value), tuple(g for b in grads for g in b.ravel().tolist()))

    return Prepared(run, compile_s)


def mlp_cases(
    layers: Layers,
    params: Sequence[float],
    x: Sequence[Sequence[float]],
    y: Sequence[float],
    alpha: float,
) -> list[Case]:
    """The MLP step, vectorized, in PyTorch and under jax.jit."""
    return [
        Case(
            "torch-vectorized",
            TORCH_LABEL,
            lambda: _torch_mlp(layers, params, x, y, alpha),
            ("torch",),
        ),
        Case(
            "jax-jit-vectorized", JAX_LABEL, lambda: _jax_mlp(layers, params, x, y, alpha), ("jax",)
        ),
    ]


def _torch_wide(xs: Sequence[float], ts: Sequence[float] | None) -> Prepared:
    import torch
    import torch.autograd.forward_ad as fwad

    point = torch.tensor(xs, dtype=torch.float64, requires_grad=ts is None)

    def f(x: Any) -> Any:
        return torch.sum(x**2 * torch.exp(-x))

    def gradient() -> Output:
        point.grad = None
        out = f(point)
        out.backward()
        return Output(out.item(), tuple(_grad(point).tolist()))

    if ts is None:
        return Prepared(gradient)
    direction = torch.tensor(ts, dtype=torch.float64)

    def jvp() -> Output:
        with fwad.dual_level():
            out = fwad.unpack_dual(f(fwad.make_dual(point, direction)))  # type: ignore[no-untyped-call]
            return Output(out.primal.item(), (out.tangent.item(),))

    return Prepared(jvp)


def _jax_wide(xs: Sequence[float], ts: Sequence[float] | None) -> Prepared:
    jax = jax_module()
    jnp = jax.numpy
    point = jnp.asarray(xs, dtype=jnp.float64)
    direction = jnp.asarray(ts if ts is not None else xs, dtype=jnp.float64)

    def f(x: Any) -> Any:
        return jnp.sum(x**2 * jnp.exp(-x))

    start = time.perf_counter()
    if ts is None:
        step = jax.jit(jax.value_and_grad(f)).lower(point).compile()
    else:
        step = jax.jit(lambda p, d: jax.jvp(f, (p,), (d,))).lower(point, direction).compile()
    compile_s = time.perf_counter() - start

    def run() -> Output:
        if ts is None:
            value, gradient = step(point)
            return Output(float(value), tuple(gradient.tolist()))
        out, tangent = step(point, direction)
        return Output(float(out), (float(tangent),))

    return Prepared(run, compile_s)


def wide_grad_cases(xs: Sequence[float]) -> list[Case]:
    """The wide sum's gradient, vectorized."""
    return [
        Case("torch-vectorized", TORCH_LABEL, lambda: _torch_wide(xs, None), ("torch",)),
        Case("jax-jit-vectorized", JAX_LABEL, lambda: _jax_wide(xs, None), ("jax",)),
    ]


def wide_jvp_cases(xs: Sequence[float], ts: Sequence[float]) -> list[Case]:
    """The wide sum's JVP, vectorized."""
    return [
        Case("torch-vectorized", TORCH_LABEL, lambda: _torch_wide(xs, ts), ("torch",)),
        Case("jax-jit-vectorized", JAX_LABEL, lambda: _jax_wide(xs, ts), ("jax",)),
    ]
