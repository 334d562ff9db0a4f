"""The numbers `check_op` compares: finite differences (`rulegrad.transforms._finite`,
shared with `check_grads`), and derivatives from each mode."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeAlias

from rulegrad.kernel import Op
from rulegrad.transforms import ModeLike, grad, value_and_grad
from rulegrad.transforms._finite import Difference, Matrix
from rulegrad.transforms._finite import finite_jacobian as finite_differences
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


def finite_jacobian(op: Op, function: Callable[..., Sequence[float]], point: Point) -> Difference:
    """The Jacobian of `function` at `point` by central differences, extrapolated.

    Raises `DomainError` (naming `op` and the point) if a value on the stencil is not finite.
    """
    return finite_differences(function, point, name=op.name, params=op.params)


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
