"""Shared test helpers: finite differences and tolerant comparison."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Final

import rulegrad as rg

MODES: Final[tuple[rg.ModeLike, ...]] = ("forward", "reverse")
MODE_PAIRS: Final[tuple[tuple[rg.ModeLike, rg.ModeLike], ...]] = tuple(
    (outer, inner) for outer in MODES for inner in MODES
)


def central_difference(f: Callable[..., float], point: Sequence[float], i: int) -> float:
    """d f / d x_i at `point` by a central difference with a step scaled to x_i."""
    step = 1e-6 * max(1.0, abs(point[i]))
    above = list(point)
    below = list(point)
    above[i] += step
    below[i] -= step
    return (f(*above) - f(*below)) / (2.0 * step)


def close(got: float, expected: float, rtol: float = 1e-6, atol: float = 1e-6) -> bool:
    return math.isclose(got, expected, rel_tol=rtol, abs_tol=atol)


def assert_close(got: float, expected: float, what: str, rtol: float = 1e-6) -> None:
    assert close(got, expected, rtol=rtol, atol=rtol), f"{what}: got {got!r}, expected {expected!r}"


def nested_second(
    f: Callable[..., float],
    point: Sequence[float],
    i: int,
    j: int,
    outer: rg.ModeLike,
    inner: rg.ModeLike,
) -> float:
    """d^2 f / dx_i dx_j with the inner derivative in mode `inner`, the outer in `outer`."""
    first = rg.grad(f, argnums=j, mode=inner)
    return rg.grad(first, argnums=i, mode=outer)(*point)


def assert_trees_close(got: object, expected: object, what: str, rtol: float = 1e-12) -> None:
    """Same structure (container kinds and keys), and leaves equal to `rtol`."""
    got_leaves, got_structure = rg.tree_flatten(got)
    expected_leaves, expected_structure = rg.tree_flatten(expected)
    assert got_structure == expected_structure, f"{what}: {got!r} is shaped unlike {expected!r}"
    for i, (a, b) in enumerate(zip(got_leaves, expected_leaves, strict=True)):
        assert type(a) is float, f"{what}: leaf {i} is a {type(a).__name__}, not a float"
        assert close(a, float(b), rtol=rtol, atol=rtol), f"{what}: leaf {i} is {a!r}, not {b!r}"
