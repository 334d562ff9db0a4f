"""Batched on Dask: the decay fit's summed loss and gradient at 1e7 points, on 4 workers.

The points are made by Dask itself, block by block on the workers (a seeded generator, so
every call sees the same data), and never gathered: each worker holds the blocks it is
working on and the kernel's arrays for one chunk of them. The row reports each worker
process's peak resident memory above what it held once started, beside the size of the
data set (x and y, float64). The NumPy row computes the same points in one process, as
the reference for the check.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.core import Case, Output, Prepared, Workload
from benchmarks.workloads.batched import DECAY_PARAMS, decay

__all__ = ["DASK", "decay_point"]

WORKERS = 4
BLOCK = 250_000  # points per Dask block: 2 MB per column


def decay_point(p: dict[str, Any], x: Any, y: Any) -> Any:
    """The per-point loss, at module level: Dask's worker processes import it by name."""
    import rulegrad as rg

    return decay(rg.exp, p["a"], p["k"], x, y)


def _points(n: int) -> tuple[Any, Any]:
    import dask.array as da

    rng = da.random.RandomState(11)  # type: ignore[no-untyped-call]
    xs = rng.uniform(0.0, 5.0, size=n, chunks=BLOCK)
    ys = 1.5 * da.exp(-0.3 * xs) + rng.normal(0.0, 0.05, size=n, chunks=BLOCK)
    return xs, ys


def _peak_rss() -> int:
    """This process's peak resident memory (Linux VmHWM), in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _dask_case(n: int) -> Prepared:
    import distributed

    import rulegrad as rg

    cluster = distributed.LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)  # type: ignore[no-untyped-call]
    xs, ys = _points(n)
    batched = rg.vmap(decay_point, in_axes=(None, 0, 0))
    step = rg.value_and_grad(lambda p: rg.sum(batched(p, xs, ys)))
    params = {"a": DECAY_PARAMS[0], "k": DECAY_PARAMS[1]}
    start = time.perf_counter()
    step(params)  # each worker imports rulegrad and traces the loss once
    compile_s = time.perf_counter() - start
    baseline = client.run(lambda: (_reset_peak(), _peak_rss())[1])

    def run() -> Output:
        value, gradient = step(params)
        return Output(float(value), (gradient["a"], gradient["k"]))

    run()
    peaks = client.run(_peak_rss)
    growth = [peaks[w] - baseline[w] for w in peaks]
    metrics = {
        "workers": float(len(peaks)),
        "data_bytes": float(16 * n),
        "worker_peak_rss_bytes": float(max(peaks.values())),
        "worker_peak_growth_bytes": float(max(growth)),
        "worker_baseline_rss_bytes": float(max(baseline.values())),
    }

    def run_and_keep_alive() -> Output:
        _ = (cluster, client)  # the cluster lives as long as the case
        return run()

    return Prepared(run_and_keep_alive, compile_s, metrics)


def _numpy_case(n: int) -> Prepared:
    import rulegrad as rg

    xs, ys = (c.compute(scheduler="threads") for c in _points(n))
    batched = rg.vmap(decay_point, in_axes=(None, 0, 0))
    step = rg.value_and_grad(lambda p: rg.sum(batched(p, xs, ys)))
    params = {"a": DECAY_PARAMS[0], "k": DECAY_PARAMS[1]}

    def run() -> Output:
        value, gradient = step(params)
        return Output(float(value), (gradient["a"], gradient["k"]))

    return Prepared(run)


def _cases(n: int) -> list[Case]:
    return [
        Case(
            "rulegrad-dask",
            f"rulegrad `rg.vmap` on Dask, LocalCluster of {WORKERS} worker processes",
            lambda: _dask_case(n),
            ("rulegrad", "dask", "distributed"),
        ),
        Case(
            "rulegrad",
            "rulegrad `rg.vmap` on NumPy, one process (the reference)",
            lambda: _numpy_case(n),
            ("rulegrad", "dask"),
        ),
    ]


DASK = Workload(
    name="batched-dask",
    title=f"Batched on Dask: the decay fit at 1e7 points, {WORKERS} worker processes",
    note="Blocks of 250,000 points made and reduced on the workers; metrics: each worker's "
    "peak resident memory above its resident memory once started, and the data set's size.",
    cases=_cases,
    sizes=(10_000_000,),
    smoke_sizes=(100_000,),
    isolate=True,
    max_repeat=3,
)
