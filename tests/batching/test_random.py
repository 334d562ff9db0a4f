"""Property tests: rg.vmap as array code gives the loop's numbers, and its errors.

The random programs are `rg.compile`'s (tests/compiler/test_compiled_random.py): steps of
every built-in op, Python's operators, `sum` and `dot`, and ops with no template (called
rules, a hand-written jvp/vjp, an op with no derivative), over inputs not kept inside the
ops' domains. Each is mapped over a batch of points with one broadcast input, and computed
twice: as NumPy array code and as the loop (`USE_ARRAYS` off). Values, per-example
gradients and the gradient of the batch's sum must agree to rounding; where the loop fails,
the array code must fail the same way. For the sum's gradient: a value that fails is the
loop's first, exactly; a derivative that fails is compared by type only, since the loop's
backward pass meets the points in an order of its own (array code names the first).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rulegrad as rg
from rulegrad.batching import USE_ARRAYS
from rulegrad.batching._run import CHUNK
from tests.compiler.test_compiled_random import NVARS, Program, numbers, programs

POINTS = 7
batches = st.lists(st.tuples(numbers, numbers), min_size=POINTS, max_size=POINTS)


def outcome(run: Callable[[], object], loose: bool = False) -> object:
    """A call's result as plain floats, or the type and message of what it raised (with
    `loose`, the type and op only)."""
    try:
        return _plain(run())
    except Exception as exc:
        if loose:
            derivative = getattr(exc, "in_derivative", False)
            return (type(exc), "a derivative" if derivative else getattr(exc, "op_name", None))
        return (type(exc), str(exc))


def _plain(x: object) -> object:
    leaves = rg.tree_leaves(x)
    flat: list[object] = []
    for leaf in leaves:
        if isinstance(leaf, np.ndarray):
            flat.append(tuple(float(v) for v in leaf.tolist()))
        elif isinstance(leaf, (list, tuple)):
            flat.append(tuple(float(v) for v in leaf))
        else:
            flat.append(float(leaf))
    return tuple(flat)


def same(got: object, expected: object) -> bool:
    if isinstance(got, tuple) and isinstance(expected, tuple):
        return len(got) == len(expected) and all(map(same, got, expected))
    if isinstance(got, float) and isinstance(expected, float):
        if math.isnan(got) or math.isnan(expected):
            return math.isnan(got) and math.isnan(expected)
        return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12)
    return got == expected


def both(run: Callable[[], object], loose: bool = False) -> tuple[object, object]:
    """(array code's outcome, the loop's)."""
    arrays = outcome(run, loose)
    USE_ARRAYS.enabled = False
    try:
        loop = outcome(run, loose)
    finally:
        USE_ARRAYS.enabled = True
    return arrays, loop


def _f(program: Program) -> Callable[..., Any]:
    return lambda a, x, y: program(a, x, y)


@pytest.mark.filterwarnings("ignore::rulegrad.BatchingWarning")  # some programs cannot be traced
@settings(max_examples=150, deadline=None)
@given(programs(), numbers, batches)
def test_batched_values_equal_the_loop(
    program: Program, a: float, batch: list[tuple[float, float]]
) -> None:
    xs = np.array([x for x, _ in batch])
    ys = [y for _, y in batch]
    batched = rg.vmap(_f(program), in_axes=(None, 0, 0))
    arrays, loop = both(lambda: batched(a, xs, ys))
    assert same(arrays, loop), program


@pytest.mark.filterwarnings("ignore::rulegrad.BatchingWarning")  # some programs cannot be traced
@settings(max_examples=100, deadline=None)
@given(programs(), numbers, batches)
def test_per_example_gradients_equal_the_loop(
    program: Program, a: float, batch: list[tuple[float, float]]
) -> None:
    xs = [x for x, _ in batch]
    ys = [y for _, y in batch]
    every = tuple(range(NVARS))
    batched = rg.vmap(rg.value_and_grad(_f(program), argnums=every), in_axes=(None, 0, 0))
    arrays, loop = both(lambda: batched(a, xs, ys))
    assert same(arrays, loop), program


@pytest.mark.filterwarnings("ignore::rulegrad.BatchingWarning")  # some programs cannot be traced
@settings(max_examples=100, deadline=None)
@given(programs(), numbers, batches)
def test_gradient_of_the_sum_equals_the_loop(
    program: Program, a: float, batch: list[tuple[float, float]]
) -> None:
    xs = np.array([x for x, _ in batch])
    ys = np.array([y for _, y in batch])
    batched = rg.vmap(_f(program), in_axes=(None, 0, 0))
    saved = CHUNK[0]
    CHUNK[0] = 3  # several chunks, and the sums across them
    try:
        arrays, loop = both(lambda: rg.value_and_grad(lambda a: rg.sum(batched(a, xs, ys)))(a))
    finally:
        CHUNK[0] = saved
    if isinstance(loop, tuple) and len(loop) == 2 and isinstance(loop[0], type):
        arrays, loop = both(
            lambda: rg.value_and_grad(lambda a: rg.sum(batched(a, xs, ys)))(a), loose=True
        )
    if _overflowed_sum(loop) and isinstance(arrays, tuple) and arrays[0] is rg.RangeError:
        return  # see _overflowed_sum
    assert same(arrays, loop), program


def _overflowed_sum(outcome: object) -> bool:
    """A gradient that is infinite in the loop only because adding the points' finite
    gradients overflowed: the loop's backward pass adds them up silently, where the batch's
    sum is one op whose partial is not finite, which the reverse pass reports (RangeError)."""
    return (
        isinstance(outcome, tuple)
        and len(outcome) == 2
        and all(isinstance(v, float) for v in outcome)
        and math.isfinite(outcome[0])
        and not math.isfinite(outcome[1])
    )
