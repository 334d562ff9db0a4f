"""The numbers `check_op` compares: finite differences, and derivatives from each mode.

Finite differences are central, with Richardson extrapolation over two steps (h and h/2),
which cancels the h**2 error term: with h = 1e-4 * |x| the truncation error is about
h**4 and the rounding error about eps * |f| / h, both far below the check's tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias, final

from rulegrad.kernel import DomainError, Op
from rulegrad.kernel.errors import format_point
from rulegrad.transforms import ModeLike, grad, value_and_grad
from rulegrad.transforms.matrices import jacobian_rows

__all__ = [
    "Difference",
    "Matrix",
    "Point",
    "finite_jacobian",
    "first_order",
    "gradient_of",
    "second_order",
]

Point: TypeAlias = tuple[float, ...]
Matrix: TypeAlias = list[list[float]]

_STEP: Final = 1e-4  # relative to |x|
_FLOOR: Final = 0.1  # below |x| = 0.1 the step stops shrinking, so x = 0 gets a step too


@final
@dataclass(frozen=True)
class Difference:
    """A finite-difference Jacobian, `rows[i][j]` = d F_i / d x_j, and the largest |F| seen.

    The largest |F| sizes the rounding error of the differences, so it sets the absolute
    part of the tolerance they are compared with.
    """

    rows: Matrix
    scale: float


def finite_jacobian(op: Op, function: Callable[..., Sequence[float]], point: Point) -> Difference:
    """The Jacobian of `function` at `point` by central differences, extrapolated.

    Raises `DomainError` (naming `op` and the point) if a value on the stencil is not finite.
    """
    columns: list[list[float]] = []
    scale = 0.0
    for j, x in enumerate(point):
        h = _STEP * max(math.fabs(x), _FLOOR)
        estimates: list[list[float]] = []
        for step in (h, 0.5 * h):
            above, below = list(point), list(point)
            above[j], below[j] = x + step, x - step
            width = above[j] - below[j]  # the step actually taken, after rounding
            upper, lower = _finite(op, function, above), _finite(op, function, below)
            scale = max(scale, *map(math.fabs, upper), *map(math.fabs, lower))
            estimates.append([(u - v) / width for u, v in zip(upper, lower, strict=True)])
        coarse, fine = estimates
        columns.append([(4.0 * f - c) / 3.0 for c, f in zip(coarse, fine, strict=True)])
    height = len(columns[0]) if columns else 0
    return Difference([[column[i] for column in columns] for i in range(height)], scale)


def _finite(op: Op, function: Callable[..., Sequence[float]], point: list[float]) -> list[float]:
    values = [float(v) for v in function(*point)]
    if not all(math.isfinite(v) for v in values):
        where = format_point(op.params, point)
        raise DomainError(op.name, point, f"{op.name} is not finite near {where}: {values}")
    return values


def _scalar(op: Op) -> Callable[..., float]:
    def f(*primals: float) -> float:
        return op(*primals)

    return f


def first_order(op: Op, point: Point, mode: ModeLike) -> tuple[float, list[float]]:
    """The op's value and gradient at `point`, both from one pass in `mode`."""
    argnums = tuple(range(len(point)))
    value, gradient = value_and_grad(_scalar(op), argnums, mode=mode)(*point)
    return value, list(gradient)


def gradient_of(op: Op, arity: int, mode: ModeLike) -> Callable[..., tuple[float, ...]]:
    """The op's gradient in `mode`, as a function of the point."""
    return grad(_scalar(op), tuple(range(arity)), mode=mode)


def second_order(op: Op, point: Point, outer: ModeLike, inner: ModeLike) -> Matrix:
    """The op's Hessian, `rows[i][j]` = d/dx_j (d op/dx_i): `outer` mode over `inner`."""
    return jacobian_rows(gradient_of(op, len(point), inner), point, outer)
