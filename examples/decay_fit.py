"""Fit a decay curve to a million noisy points: `rg.vmap` and an optimiser from `rulegrad.nn`.

The loss is written for one point, in scalar code; `rg.vmap` runs it over the whole data set
as NumPy code generated from the ops' rules, and `rg.sum` of the batch is one node of the
graph, so `backward()` and the optimiser work as for any `Value`. Needs NumPy (the `array`
extra: `pip install 'rulegrad[array]'`; in a checkout, `pip install -e '.[array]'`).

Run it with `python examples/decay_fit.py`.
"""

from __future__ import annotations

import time

import numpy as np

import rulegrad as rg
from rulegrad.nn import Adam

TRUE_A, TRUE_K, NOISE = 1.5, 0.3, 0.05


def loss(p: dict[str, float], x: float, y: float) -> float:
    """The squared error of a exp(-k x) at one point."""
    return (p["a"] * rg.exp(-p["k"] * x) - y) ** 2


def main(points: int = 1_000_000, steps: int = 150) -> None:
    rng = np.random.default_rng(0)
    xs = rng.uniform(0.0, 5.0, points)
    ys = TRUE_A * np.exp(-TRUE_K * xs) + rng.normal(0.0, NOISE, points)
    print(f"{points:,} points of {TRUE_A} exp(-{TRUE_K} x) + noise {NOISE}")

    batched = rg.vmap(loss, in_axes=(None, 0, 0))  # p broadcast, x and y mapped
    a, k = rg.Value(1.0, label="a"), rg.Value(1.0, label="k")
    optimizer = Adam([a, k], lr=0.05)
    start = time.perf_counter()
    for step in range(steps):
        mse = rg.sum(batched({"a": a, "k": k}, xs, ys)) / points
        optimizer.zero_grad()
        mse.backward()
        optimizer.step()
        if step % 30 == 0 or step == steps - 1:
            print(f"step {step:3d}  mse {mse.data:.6f}  a {a.data:.4f}  k {k.data:.4f}")
    per_step = (time.perf_counter() - start) / steps
    print(f"fitted a = {a.data:.4f}, k = {k.data:.4f} (true {TRUE_A}, {TRUE_K})")
    print(f"final mse {mse.data:.6f} (noise variance {NOISE**2:.6f})")
    print(f"{1000 * per_step:.1f} ms per step over {points:,} points")

    # The same step as a Python loop of the compiled loss, timed on a slice of the points.
    compiled = rg.compile(lambda a, k, x, y: loss({"a": a, "k": k}, x, y))
    sample = 20_000
    start = time.perf_counter()
    for x, y in zip(xs[:sample].tolist(), ys[:sample].tolist(), strict=True):
        compiled.value_and_grad(a.data, k.data, x, y)
    loop = (time.perf_counter() - start) * points / sample
    print(f"a loop of rg.compile would take {loop:.2f} s per step: {loop / per_step:.0f}x longer")

    # Per-example gradients, for free: vmap of grad.
    per_example = rg.vmap(rg.grad(loss), in_axes=(None, 0, 0))({"a": a.data, "k": k.data}, xs, ys)
    spread = float(np.std(per_example["a"]))
    print(f"per-example d/da: mean {float(np.mean(per_example['a'])):.2e}, std {spread:.4f}")


if __name__ == "__main__":
    main()
