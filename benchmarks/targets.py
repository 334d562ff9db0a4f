"""The issues' targets (5: speed and memory; 13: Taylor mode; 15: batching), read off one
run's rows.
Reported, never enforced: timings are noisy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.core import Row, Workload
from benchmarks.report import median

__all__ = ["evaluate"]


class _Rows:
    """Lookups into one run's rows; None wherever a row did not run."""

    def __init__(self, results: Sequence[tuple[Workload, list[Row]]]) -> None:
        self.rows = [row for _, rows in results for row in rows if row.status == "ok"]

    def time(self, workload: str, case: str, size: int | None = None) -> float | None:
        found = (
            median(r)
            for r in self.rows
            if (r.workload, r.case) == (workload, case) and size in (None, r.size)
        )
        return next(found, None)

    def ratio(self, workload: str, case: str, base: str) -> float | None:
        mine, theirs = self.time(workload, case), self.time(workload, base)
        return mine / theirs if mine is not None and theirs else None

    def at(self, workload: str, case: str, base: str, size: int) -> float | None:
        """base's time over case's, at `size`."""
        mine, theirs = self.time(workload, case, size), self.time(workload, base, size)
        return theirs / mine if mine and theirs is not None else None

    def largest_common(self, workload: str, case: str, base: str) -> tuple[int, float] | None:
        """(size, base's time over case's) at the largest size where both ran."""
        sizes = sorted(
            {r.size for r in self.rows if (r.workload, r.case) == (workload, case)}
            & {r.size for r in self.rows if (r.workload, r.case) == (workload, base)}
        )
        if not sizes:
            return None
        ratio = self.at(workload, case, base, sizes[-1])
        return None if ratio is None else (sizes[-1], ratio)

    def metric_at(self, workload: str, case: str, name: str, size: int) -> float | None:
        found = (
            r.metrics.get(name)
            for r in self.rows
            if (r.workload, r.case, r.size) == (workload, case, size)
        )
        return next(found, None)

    def metric(self, workload: str, case: str, name: str) -> float | None:
        found = (r.metrics.get(name) for r in self.rows if (r.workload, r.case) == (workload, case))
        return next(found, None)

    def spread(self, case: str, metric: str) -> float | None:
        """max/min over the scaling sizes of a per-op time or metric; None if one is missing."""
        per_op = []
        for r in self.rows:
            if (r.workload, r.case) == ("scaling", case):
                value = median(r) if metric == "time" else r.metrics.get(metric)
                per_op.append(None if value is None else value / r.size)
        known = [v for v in per_op if v]
        if len(known) < 2 or len(known) != len(per_op):
            return None
        return max(known) / min(known)


def _target(
    name: str, goal: str, value: float | None, met: Callable[[float], bool], shown: str
) -> dict[str, Any]:
    """One target; `shown` formats the value (`{}` marks where)."""
    if value is None:
        return {"name": name, "goal": goal, "value": None, "met": None, "measured": "not measured"}
    return {
        "name": name,
        "goal": goal,
        "value": value,
        "met": met(value),
        "measured": shown.format(value),
    }


def _megabytes(value: float | None) -> float | None:
    return None if value is None else value / 1e6


def _batched_targets(rows: _Rows) -> list[dict[str, Any]]:
    """Issue 15: rg.vmap against the compiled loop and JAX's jit, its memory, and Dask."""
    found = []
    million = 1_000_000
    for workload, what in (("batched-decay", "decay fit"), ("batched-mlp", "MLP")):
        loop = rows.largest_common(workload, "rulegrad", "rulegrad-compile-loop")
        at = "" if loop is None or loop[0] == million else f" (at {loop[0]:,} points: "
        at += "the loop is linear in the points)" if at else ""
        found.append(
            _target(
                f"`rg.vmap` vs `rg.compile` loop, {what}, 1e6 points{at}",
                "≥ 50x faster",
                None if loop is None else loop[1],
                lambda v: v >= 50,
                "{:.0f}x faster",
            )
        )
        jax = rows.at(workload, "rulegrad", "jax-jit", million)
        found.append(
            _target(
                f"`rg.vmap` vs JAX `jit(value_and_grad(sum ∘ vmap))`, {what}, 1e6 points",
                "within 3x",
                None if jax is None else 1.0 / jax,
                lambda v: v <= 3,
                "{:.2f}x JAX's time",
            )
        )
        arrays = rows.metric_at(workload, "rulegrad", "arrays_per_op", million)
        found.append(
            _target(
                f"`rg.vmap` memory, {what}, 1e6 points: peak arrays (of one chunk) per traced op",
                "≤ 4",
                arrays,
                lambda v: v <= 4,
                "{:.2f}",
            )
        )
    growth = rows.metric("batched-dask", "rulegrad-dask", "worker_peak_growth_bytes")
    data = rows.metric("batched-dask", "rulegrad-dask", "data_bytes")
    found.append(
        _target(
            "Dask, 1e7 points on 4 workers: peak memory per worker over the data set's size",
            "well below 1",
            None if growth is None or not data else growth / data,
            lambda v: v <= 0.25,
            "{:.2f} of the data set",
        )
    )
    return found


def evaluate(results: Sequence[tuple[Workload, list[Row]]]) -> list[dict[str, Any]]:
    """One entry per target: name, goal, measured value and text, and whether it was met."""
    rows = _Rows(results)
    micrograd_bytes = rows.metric("mlp-memory", "micrograd", "bytes_per_node")
    return [
        _target("Value graphs vs the CPython floor, MLP step (scalar ops)", "≤ 1.0x",
                rows.ratio("mlp", "rulegrad", "floor"), lambda v: v <= 1.0, "{:.2f}x"),
        _target("`rulegrad.nn` (n-ary dot) vs the floor's dot form, MLP step", "≤ 1.0x",
                rows.ratio("mlp", "rulegrad-nn", "floor-dot"), lambda v: v <= 1.0, "{:.2f}x"),
        _target("Value graphs vs the CPython floor, wide-sum gradient", "≤ 1.0x",
                rows.ratio("wide-grad", "rulegrad", "floor"), lambda v: v <= 1.0, "{:.2f}x"),
        _target("Value graphs vs the CPython floor, 30,000-op chain", "≤ 1.0x",
                rows.ratio("chain-10k", "rulegrad", "floor"), lambda v: v <= 1.0, "{:.2f}x"),
        _target("`rg.jvp` (Dual) vs the CPython floor, wide-sum JVP", "≤ 2x",
                rows.ratio("wide-jvp", "rulegrad-forward", "floor"), lambda v: v <= 2, "{:.2f}x"),
        _target("bytes per node of the micrograd-style MLP-step graph", "≤ 120 B",
                rows.metric("mlp-memory", "rulegrad", "bytes_per_node"), lambda v: v <= 120,
                "{:.0f} B" + (f" (micrograd: {micrograd_bytes:.0f} B)" if micrograd_bytes else "")),
        _target("`rg.compile(...).value_and_grad` MLP step vs plain-float forward", "≤ 2x",
                rows.ratio("mlp", "rulegrad-compile", "floats"), lambda v: v <= 2, "{:.1f}x"),
        _target("`rg.compile` of a 100,000-op trace: build time", "≤ 3 s",
                rows.time("compile-100k", "rulegrad-compile", 100_000), lambda v: v <= 3,
                "{:.2f} s"),
        _target("`rg.compile` of a 100,000-op trace: memory (RSS growth)", "≤ 300 MB",
                _megabytes(rows.metric("compile-100k", "rulegrad-compile", "rss_growth_bytes")),
                lambda v: v <= 300, "{:.0f} MB"),
        _target("micrograd-style rulegrad vs micrograd, MLP step", "≥ 10x faster",
                rows.ratio("mlp", "micrograd", "rulegrad"), lambda v: v >= 10, "{:.1f}x faster"),
        _target("wide-sum JVP, `rg.jvp` (Dual) vs PyTorch 0-d", "faster",
                rows.ratio("wide-jvp", "torch", "rulegrad-forward"), lambda v: v > 1,
                "{:.1f}x faster"),
        _target("time per op, chain of 1e3 .. 1e6 ops (rulegrad Value)", "flat: max/min ≤ 2",
                rows.spread("rulegrad", "time"), lambda v: v <= 2, "max/min {:.2f}"),
        _target("memory per op, chain of 1e3 .. 1e6 ops (rulegrad Value, traced peak)",
                "flat: max/min ≤ 2", rows.spread("rulegrad", "traced_peak_bytes"),
                lambda v: v <= 2, "max/min {:.2f}"),
        _target("`rg.derivative(exp(sin(x)) * x, order=20)`", "< 0.2 s",
                rows.time("taylor", "rulegrad-derivative", 20), lambda v: v < 0.2, "{:.3g} s"),
        _target("`rg.derivative(exp(sin(x)) * x, order=50)`", "< 5 s",
                rows.time("taylor", "rulegrad-derivative", 50), lambda v: v < 5, "{:.3g} s"),
        *_batched_targets(rows),
    ]  # fmt: skip
