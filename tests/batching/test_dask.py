"""The same generated code on Dask arrays: lazily block by block, and on a LocalCluster."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import rulegrad as rg

da = pytest.importorskip("dask.array", reason="Dask is an optional extra (rulegrad[dask])")


def loss(p: dict[str, float], x: float, y: float) -> float:
    return (p["a"] * rg.exp(-p["k"] * x) - y) ** 2


P = {"a": 1.2, "k": 0.4}
batched = rg.vmap(loss, in_axes=(None, 0, 0))


def _data(n: int) -> tuple[Any, Any]:
    rng = np.random.default_rng(3)
    xs = rng.uniform(0.0, 4.0, n)
    return xs, 1.5 * np.exp(-0.3 * xs) + rng.normal(0.0, 0.05, n)


def test_dask_arrays_in_lazy_dask_arrays_out() -> None:
    xs, ys = _data(1000)
    out = batched(P, da.from_array(xs, chunks=300), ys)  # a NumPy array joins the blocks
    assert isinstance(out, da.Array) and out.chunks == ((300, 300, 300, 100),)
    assert np.allclose(out.compute(), batched(P, xs, ys), rtol=1e-14, atol=0.0)


def test_a_two_d_dask_array_maps_its_rows() -> None:
    points = np.arange(12.0).reshape(6, 2)
    out = rg.vmap(lambda row: row[0] * row[1])(da.from_array(points, chunks=(4, 2)))
    assert out.compute().tolist() == [0.0, 6.0, 20.0, 42.0, 72.0, 110.0]


def test_gradient_of_a_sum_over_dask_arrays() -> None:
    xs, ys = _data(2000)
    got = rg.value_and_grad(lambda p: rg.sum(batched(p, da.from_array(xs, chunks=500), ys)))(P)
    expected = rg.value_and_grad(lambda p: rg.sum(batched(p, xs, ys)))(P)
    assert got[0] == pytest.approx(expected[0], rel=1e-13)
    assert got[1] == pytest.approx(expected[1], rel=1e-13)


def test_an_error_in_a_block_names_the_point() -> None:
    xs = np.linspace(1.0, 2.0, 100)
    xs[57] = -1.0
    with pytest.raises(rg.DomainError, match="at point 57 of the batch: log"):
        rg.vmap(rg.log)(da.from_array(xs, chunks=25)).compute()
    with pytest.raises(rg.DomainError, match="at point 57 of the batch: log"):
        rg.grad(lambda a: rg.sum(rg.vmap(lambda a, x: rg.log(a * x), (None, 0))(a, xs)))(1.0)


def test_the_first_failing_point_wins_across_blocks() -> None:
    xs = np.linspace(1.0, 2.0, 100)
    xs[[83, 12, 60]] = -1.0
    column = da.from_array(xs, chunks=25)
    with pytest.raises(rg.DomainError, match="at point 12 of the batch"):
        rg.grad(lambda a: rg.sum(rg.vmap(lambda a, x: rg.log(a * x), (None, 0))(a, column)))(1.0)


def test_a_batched_gradient_on_a_local_cluster() -> None:
    distributed = pytest.importorskip("distributed", reason="distributed is in rulegrad[dask]")
    xs, ys = _data(40_000)
    expected = rg.value_and_grad(lambda p: rg.sum(batched(p, xs, ys)))(P)
    # Threads, not processes: worker processes take seconds each to start.
    with (
        distributed.LocalCluster(
            n_workers=3, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        columns = [client.persist(da.from_array(c, chunks=5_000)) for c in (xs, ys)]
        with distributed.get_task_stream(client) as stream:
            got = rg.value_and_grad(lambda p: rg.sum(batched(p, *columns)))(P)
        workers = {task["worker"] for task in stream.data}
    assert len(workers) >= 2  # the blocks ran on several workers
    assert got[0] == pytest.approx(expected[0], rel=1e-12)
    assert got[1] == pytest.approx(expected[1], rel=1e-12)
