"""Dask arrays: the same generated code, block by block, on Dask's scheduler.

The mapped columns become Dask arrays with the chunks of the first Dask argument. Each block
is one task that runs the NumPy kernel over it (`_run.py`, chunked inside as usual), so a
batch of any size takes one task per block, whatever the number of traced ops, and a
worker holds one block and the kernel's arrays for a chunk of it: never the data set.
Values stay lazy (a Dask array per result leaf); a sum and its gradient are computed, each
block giving its partial sums and its first failing point, if any.

The block function travels to the workers with the per-point function (`Family` pickles as
that), and each worker process traces it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, final

from rulegrad.batching._backend import dask_array_module
from rulegrad.batching._family import Family
from rulegrad.batching._plan import Plan
from rulegrad.batching._run import Failure, run_summed, run_values

__all__ = ["dask_columns", "dask_summed", "dask_values", "from_numpy"]

_FLOAT: Final = "float64"


def _da() -> Any:
    da = dask_array_module()
    if da is None:  # a Dask array came in, so Dask is installed: arrays were switched off
        raise RuntimeError("rg.vmap: Dask arrays need NumPy and arrays enabled")
    return da


def _chunks(found: Plan) -> tuple[int, ...]:
    """The block sizes along the batch: the first Dask argument's."""
    for column in found.columns:
        source = column.source
        if type(source).__module__.startswith("dask."):
            return tuple(source.chunks[column.axis])
    raise AssertionError("no Dask argument")


def dask_columns(found: Plan) -> list[Any]:
    """Every mapped column as a 1-d float64 Dask array, all with the same blocks."""
    da = _da()
    import numpy as np

    chunks = _chunks(found)
    columns = []
    for column in found.columns:
        source = column.source
        if type(source).__module__.startswith("dask."):
            data = source.astype(_FLOAT)
            if data.ndim > 1:
                data = da.moveaxis(data, column.axis, 0)
                data = data.rechunk(dict.fromkeys(range(1, data.ndim), -1))
                data = data.reshape(data.shape[0], -1)[:, column.entry]
        else:
            data = da.from_array(column.array(np), chunks=(chunks,))
        columns.append(data.rechunk((chunks,)))
    return columns


def from_numpy(values: Any, found: Plan) -> Any:
    """A NumPy result as a Dask array with the batch's blocks."""
    return _da().from_array(values, chunks=(_chunks(found),))


@final
class _Values:
    """A block's values: one row per result leaf."""

    def __init__(self, family: Family, broadcast: Sequence[object], example: list[float] | None):
        self.family = family
        self.broadcast = list(broadcast)
        self.example = example

    def __call__(self, *blocks: Any, block_info: Any = None) -> Any:
        import numpy as np

        kernels = self.family.kernels(self.example)
        assert kernels is not None  # traced before the graph was made
        offset = int(block_info[0]["array-location"][0][0]) if block_info else 0
        size = len(blocks[0])
        outs = run_values(np, kernels, self.family.flat, self.broadcast, blocks, size, offset)
        return np.stack(outs) if outs else np.empty((0, size))


def dask_values(
    np: Any,
    family: Family,
    outputs: int,
    broadcast: Sequence[object],
    columns: Sequence[Any],
    example: list[float] | None,
) -> list[Any]:
    """Every result leaf at every point, as lazy Dask arrays."""
    da = _da()
    rows = da.map_blocks(
        _Values(family, broadcast, example),
        *columns,
        new_axis=0,
        chunks=((outputs,), columns[0].chunks[0]),
        dtype=np.float64,
        meta=np.empty((0, 0)),
    )
    return [rows[o] for o in range(outputs)]


@final
class _Summed:
    """A block's partial sum of one result leaf, its gradient, and its first failure."""

    def __init__(
        self,
        family: Family,
        output: int,
        broadcast: Sequence[object],
        example: list[float] | None,
    ) -> None:
        self.family = family
        self.output = output
        self.broadcast = list(broadcast)
        self.example = example

    def __call__(self, offset: int, *blocks: Any) -> tuple[float, list[float], Failure | None]:
        import numpy as np

        kernels = self.family.kernels(self.example)
        assert kernels is not None
        return run_summed(
            np, kernels, self.family.flat, self.output, self.broadcast, blocks, len(blocks[0]),
            offset,
        )  # fmt: skip


def dask_summed(
    family: Family,
    output: int,
    broadcast: Sequence[object],
    columns: Sequence[Any],
    example: list[float] | None,
) -> tuple[float, list[float], Failure | None]:
    """The sum of one result leaf over the batch and its gradient, computed by Dask, and the
    failure the loop would meet first."""
    from dask.base import compute
    from dask.delayed import delayed

    task = delayed(_Summed(family, output, broadcast, example), pure=True)
    parts = []
    offset = 0
    blocks = [column.to_delayed() for column in columns]
    for k, size in enumerate(columns[0].chunks[0]):
        parts.append(task(offset, *(b[k] for b in blocks)))
        offset += size
    results = compute(*parts)  # type: ignore[no-untyped-call]
    value = 0.0
    gradient = [0.0] * len(broadcast)
    errors = []
    for part_value, part_gradient, error in results:
        value += part_value
        gradient = [a + b for a, b in zip(gradient, part_gradient, strict=True)]
        if error is not None:
            errors.append(error)
    # As the loop: a value that fails comes before a derivative, then the lowest index.
    return value, gradient, min(errors, key=lambda e: (e[2], e[0])) if errors else None
