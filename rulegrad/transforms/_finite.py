"""Finite differences and the tolerances derivatives are held to: shared by `check_op`
(rules of one op) and `check_grads` (any function).

Differences are central, with Richardson extrapolation over two steps (h and h/2), which
cancels the h**2 error term: with h = 1e-4 * |x| the truncation error is about h**4 and
the rounding error about eps * |f| / h, both far below the checks' tolerances.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias, final

from rulegrad.kernel import DomainError
from rulegrad.kernel.errors import format_point

__all__ = [
    "AD_ATOL",
    "AD_RTOL",
    "Difference",
    "Matrix",
    "ad_tolerance",
    "fd_tolerance",
    "finite_jacobian",
]

Matrix: TypeAlias = list[list[float]]

_STEP: Final = 1e-4  # relative to |x|
_FLOOR: Final = 0.1  # below |x| = 0.1 the step stops shrinking, so x = 0 gets a step too
AD_RTOL: Final = 1e-9  # forward and reverse mode differ only by rounding
AD_ATOL: Final = 1e-12


@final
@dataclass(frozen=True)
class Difference:
    """A finite-difference Jacobian, `rows[i][j]` = d F_i / d x_j, and the largest |F| seen.

    The largest |F| sizes the rounding error of the differences, so it sets the absolute
    part of the tolerance they are compared with.
    """

    rows: Matrix
    scale: float


def finite_jacobian(
    function: Callable[..., Sequence[float]],
    point: Sequence[float],
    *,
    name: str,
    params: Sequence[str] = (),
    step: float | None = None,
) -> Difference:
    """The Jacobian of `function` at `point` by central differences, extrapolated.

    `step` is the step in every coordinate (default: 1e-4 * |x|, at least 1e-5). Raises
    `DomainError` (naming `name` and the point) if a value on the stencil is not finite.
    """
    columns: list[list[float]] = []
    scale = 0.0
    for j, x in enumerate(point):
        h = _STEP * max(math.fabs(x), _FLOOR) if step is None else step
        estimates: list[list[float]] = []
        for size in (h, 0.5 * h):
            above, below = list(point), list(point)
            above[j], below[j] = x + size, x - size
            width = above[j] - below[j]  # the step actually taken, after rounding
            upper = _finite(function, above, name, params)
            lower = _finite(function, below, name, params)
            scale = max(scale, *map(math.fabs, upper), *map(math.fabs, lower))
            estimates.append([(u - v) / width for u, v in zip(upper, lower, strict=True)])
        coarse, fine = estimates
        columns.append([(4.0 * f - c) / 3.0 for c, f in zip(coarse, fine, strict=True)])
    height = len(columns[0]) if columns else 0
    return Difference([[column[i] for column in columns] for i in range(height)], scale)


def _finite(
    function: Callable[..., Sequence[float]],
    point: list[float],
    name: str,
    params: Sequence[str],
) -> list[float]:
    values = [float(v) for v in function(*point)]
    if not all(math.isfinite(v) for v in values):
        where = format_point(params, point)
        raise DomainError(name, point, f"{name} is not finite near {where}: {values}")
    return values


def fd_tolerance(expected: float, scale: float, rtol: float, atol: float) -> float:
    """How far a derivative may be from finite differences: the absolute part grows with
    |f|, as the differences' rounding error does."""
    return rtol * math.fabs(expected) + atol * (1.0 + scale)


def ad_tolerance(got: float, expected: float, scale: float) -> float:
    """How far two modes may differ: by rounding only."""
    return AD_RTOL * max(math.fabs(got), math.fabs(expected)) + AD_ATOL * (1.0 + scale)
