"""Running array kernels over a batch: chunk by chunk, and point by point where they fail.

A batch runs in chunks of a few thousand points, so that each kernel's arrays stay small
(its memory is a few arrays per traced op, of the chunk's length, whatever the batch size).
The fast kernel runs with NumPy's floating-point errors raised. Where it stops on one, or a
result is not finite, the chunk's checking kernel marks the points where some value or
adjoint is not finite; the fast kernel then runs on the other points, and each marked
point, in order, runs alone as the loop runs it: `f` on its numbers for values, and
`rg.value_and_grad` for a sum's gradient. The first one that raises gives the error the
loop would give, with the point's index; the others give their results, non-finite ones
included, exactly as the unbatched call does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Final

from rulegrad.batching._codegen import Kernels, NeedsPointsError
from rulegrad.kernel import to_float
from rulegrad.transforms._tracing import Args, trace_reverse
from rulegrad.transforms.gradients import Mode, flat_gradient

__all__ = [
    "CHUNK",
    "Failure",
    "Flat",
    "at_point",
    "chunk_size",
    "point_summed",
    "point_value",
    "run_summed",
    "run_values",
]

# The most points per chunk: arrays of 8192 float64s (64 KiB) stay below glibc's threshold
# for mapping fresh pages, whose faults would cost more than the arithmetic. Tests shrink it.
CHUNK: Final = [1 << 13]
_BUDGET: Final = 1 << 24  # float64 entries (128 MiB) a chunk's kernel may hold at once
# What a fast kernel raises where the points must be rerun: NumPy's floating-point error,
# a math error of a scalar value, an op with no rule, a point-by-point call that failed.
_RERUN: Final = (ArithmeticError, ValueError, TypeError, NeedsPointsError)

Flat = Callable[..., list[object]]  # one point's argument leaves -> its result's leaves
# A point that fails: its index, the error, and whether it is a derivative (not a value).
Failure = tuple[int, BaseException, bool]


def chunk_size(kernels: Kernels) -> int:
    """Points per chunk: as many as keep every array of the kernel within the budget."""
    arrays = 2 * len(kernels.batched) + 8
    return min(CHUNK[0], max(256, _BUDGET // arrays))


def at_point(error: BaseException, index: int) -> BaseException:
    """`error` with the point's index in its message and as `.batch_index`."""
    if getattr(error, "batch_index", None) is None:
        error.batch_index = index  # type: ignore[attr-defined]
        if error.args and isinstance(error.args[0], str):
            error.args = (f"at point {index} of the batch: {error.args[0]}", *error.args[1:])
    return error


def point_value(flat: Flat, leaves: Sequence[object]) -> list[object]:
    """One point's result leaves, from `f` on that point's numbers: what the loop computes,
    and what it raises."""
    return flat(*leaves)


def point_forward(flat: Flat, leaves: Sequence[object], wrt: Sequence[bool]) -> None:
    """One point's forward pass with the leaves marked in `wrt` as nodes, as the loop runs
    it under the transform that differentiates them: its value's errors, and no more."""
    nums = tuple(k for k, w in enumerate(wrt) if w)
    trace_reverse(Args(flat, leaves, {}, nums, False, "rg.vmap"))


def point_summed(
    flat: Flat, leaves: Sequence[object], output: int, wrt: Sequence[bool]
) -> tuple[float, list[float]]:
    """One point's output and its gradient with respect to the leaves marked in `wrt`
    (0.0 for the others), as `rg.value_and_grad` computes them."""
    nums = tuple(k for k, w in enumerate(wrt) if w)
    spec = Args(lambda *xs: flat(*xs)[output], leaves, {}, nums, False, "rg.vmap")
    value, gradient, _ = flat_gradient(spec, Mode.REVERSE, False)
    full = [0.0] * len(leaves)
    for k, g in zip(nums, gradient, strict=True):
        full[k] = g
    return to_float(value), full  # type: ignore[arg-type]


def _point_leaves(
    broadcast: Sequence[object], columns: Sequence[Any], mapped: Sequence[bool], i: int
) -> list[object]:
    # Python floats, as the loop passes them (not the NumPy scalars the kernels are given).
    found = iter(columns)
    return [float(next(found)[i] if m else b) for b, m in zip(broadcast, mapped, strict=True)]  # type: ignore[arg-type]


def _inputs(
    broadcast: Sequence[object], columns: Sequence[Any], mapped: Sequence[bool]
) -> list[object]:
    found = iter(columns)
    return [next(found) if m else b for b, m in zip(broadcast, mapped, strict=True)]


def _finite_arrays(values: Sequence[Any]) -> bool:
    for v in values:
        if getattr(v, "ndim", 0):
            if not _all_finite(v):
                return False
        elif not math.isfinite(v):
            return False
    return True


def _all_finite(v: Any) -> bool:
    # sum(v - v) is 0.0 exactly when every entry is finite, NaN otherwise: one pass, no mask.
    return bool((v - v).sum() == 0.0)


def _marked(np: Any, kernel: Callable[..., Any], n: int, inputs: Sequence[object]) -> Any:
    """The checking kernel's mask of points to rerun (all of them if it raises)."""
    with np.errstate(all="ignore"):
        try:
            bad = kernel(n, *inputs)
        except _RERUN:
            return np.ones(n, dtype=bool)
        for x in inputs:
            if getattr(x, "ndim", 0):
                bad |= ~np.isfinite(x)
    return bad


def run_values(
    np: Any,
    kernels: Kernels,
    flat: Flat,
    broadcast: Sequence[object],
    columns: Sequence[Any],
    n: int,
    offset: int = 0,
) -> list[Any]:
    """Every output of the kernels' function at every point: one array each."""
    mapped = kernels.mapped
    fast = kernels.value()
    q = len(kernels.traced.program.outputs)
    results = [np.empty(n) for _ in range(q)]
    step = chunk_size(kernels)
    with np.errstate(all="raise", under="ignore"):
        for start in range(0, n, step):
            stop = min(n, start + step)
            chunk = [c[start:stop] for c in columns]
            inputs = _inputs(broadcast, chunk, mapped)
            try:
                outs = fast(stop - start, *inputs)
                if _finite_arrays(outs):
                    for result, out in zip(results, outs, strict=True):
                        result[start:stop] = out
                    continue
            except _RERUN:
                pass
            _rerun_values(np, kernels, flat, broadcast, chunk, results, start, offset)
    return results


def _rerun_values(
    np: Any,
    kernels: Kernels,
    flat: Flat,
    broadcast: Sequence[object],
    chunk: list[Any],
    results: list[Any],
    start: int,
    offset: int,
) -> None:
    """A chunk that failed: the fast kernel on its good points, the others one by one."""
    mapped = kernels.mapped
    size = len(chunk[0]) if chunk else 1
    bad = _marked(np, kernels.value(checked=True), size, _inputs(broadcast, chunk, mapped))
    good = ~bad
    if good.any():
        kept = [c[good] for c in chunk]
        with np.errstate(all="ignore"):
            try:
                outs = kernels.value()(int(good.sum()), *_inputs(broadcast, kept, mapped))
            except _RERUN:
                outs = None
        if outs is None:
            bad[:] = True
        else:
            for result, out in zip(results, outs, strict=True):
                result[start : start + size][good] = out
    for j in np.flatnonzero(bad).tolist():
        leaves = _point_leaves(broadcast, chunk, mapped, j)
        try:
            with np.errstate(all="ignore"):  # the loop's numbers, with Python's own errors
                found = point_value(flat, leaves)
        except Exception as error:
            raise at_point(error, offset + start + j) from None
        for result, value in zip(results, found, strict=True):
            result[start + j] = value


def run_summed(
    np: Any,
    kernels: Kernels,
    flat: Flat,
    output: int,
    broadcast: Sequence[object],
    columns: Sequence[Any],
    n: int,
    offset: int = 0,
) -> tuple[float, list[float], Failure | None]:
    """(the sum of output `output` over the batch, its gradient with respect to each
    broadcast input (0.0 for the mapped ones), the failure the loop would meet first or None).

    The failure is returned, not raised, so that a caller running blocks out of order (Dask)
    can raise the one the loop would meet first: a value that fails, at the lowest index,
    before a derivative that fails, at the lowest index.
    """
    mapped = kernels.mapped
    fast = kernels.summed(output)
    wrt = [not m for m in mapped]
    value = 0.0
    gradient = [0.0] * len(mapped)
    derivative: Failure | None = None
    step = chunk_size(kernels)
    with np.errstate(all="raise", under="ignore"):
        for start in range(0, n, step):
            stop = min(n, start + step)
            chunk = [c[start:stop] for c in columns]
            try:
                found_value, found_gradient = fast(stop - start, *_inputs(broadcast, chunk, mapped))
                chunk_value = float(found_value)
                chunk_gradient = [float(g) for g in found_gradient]
                every = chunk_value + sum(chunk_gradient)
                if every - every == 0.0:  # all finite
                    value += chunk_value
                    gradient = [a + b for a, b in zip(gradient, chunk_gradient, strict=True)]
                    continue
            except _RERUN:
                pass
            found = _rerun_summed(np, kernels, flat, output, broadcast, chunk, start + offset)
            value += found[0]
            gradient = [a + b for a, b in zip(gradient, found[1], strict=True)]
            failure = found[2]
            if failure is not None and not failure[2]:
                return value, gradient, failure  # a value that fails: the loop stops there
            if failure is not None and derivative is None:
                derivative = failure  # raised once no later point's value fails
    return value, [g if w else 0.0 for g, w in zip(gradient, wrt, strict=True)], derivative


def _rerun_summed(
    np: Any,
    kernels: Kernels,
    flat: Flat,
    output: int,
    broadcast: Sequence[object],
    chunk: list[Any],
    start: int,
) -> tuple[float, list[float], Failure | None]:
    mapped = kernels.mapped
    wrt = [not m for m in mapped]
    size = len(chunk[0]) if chunk else 1
    bad = _marked(np, kernels.summed(output, checked=True), size, _inputs(broadcast, chunk, mapped))
    good = ~bad
    value, gradient = 0.0, [0.0] * len(mapped)
    if good.any():
        kept = [c[good] for c in chunk]
        with np.errstate(all="ignore"):
            try:
                found_value, found_gradient = kernels.summed(output)(
                    int(good.sum()), *_inputs(broadcast, kept, mapped)
                )
                value, gradient = float(found_value), [float(g) for g in found_gradient]
            except _RERUN:
                bad[:] = True
    marked = np.flatnonzero(bad).tolist()
    with np.errstate(all="ignore"):
        # The loop's forward pass runs f at every point before any derivative is taken, so
        # a value that fails anywhere comes before a derivative that fails anywhere.
        for j in marked:
            try:
                point_forward(flat, _point_leaves(broadcast, chunk, mapped, j), wrt)
            except Exception as error:
                return value, gradient, (start + j, error, False)
        for j in marked:
            try:
                point, point_gradient = point_summed(
                    flat, _point_leaves(broadcast, chunk, mapped, j), output, wrt
                )
            except Exception as error:
                return value, gradient, (start + j, error, True)
            value += point
            gradient = [a + b for a, b in zip(gradient, point_gradient, strict=True)]
    return value, gradient, None
