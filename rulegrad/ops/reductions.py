"""N-ary reductions: one node for a whole sum or dot product, not one per term.

In the catalogue they take their terms flat (`registry.get("sum")(a, b, c)`,
`registry.get("dot")(x1, x2, y1, y2)`); `rg.sum(xs)` and `rg.dot(xs, ys)` take sequences.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Iterable, Sequence
from typing import overload

from rulegrad.kernel import ArgumentError, ArityError, Dual, OpCode, Scalar, Value
from rulegrad.ops._define import variadic

__all__ = ["dot", "dot_op", "sum", "sum_op"]


def _sum(*xs: float) -> float:
    return builtins.sum(xs, 0.0)


# Both forwards add and multiply with Python's operators only, so they run on arrays too.
sum_op = variadic(
    "sum", _sum, lambda out, *xs: (1.0,) * len(xs), samples=((0.5, -1.5, 2.0),),
    code=OpCode(arithmetic=True),
)  # fmt: skip


def _dot(*xs_then_ys: float) -> float:
    n, odd = divmod(len(xs_then_ys), 2)
    if odd:
        raise ArityError("dot", "an even number of arguments (x1..xn, y1..yn)", len(xs_then_ys))
    return builtins.sum(map(operator.mul, xs_then_ys[:n], xs_then_ys[n:]), 0.0)


def _dot_partials(out: float, *xs_then_ys: float) -> tuple[float, ...]:
    n = len(xs_then_ys) // 2
    return xs_then_ys[n:] + xs_then_ys[:n]  # d/dx_i = y_i, d/dy_i = x_i


dot_op = variadic(
    "dot", _dot, _dot_partials, samples=((0.5, -1.5, 2.0, 0.25),), code=OpCode(arithmetic=True)
)


@overload
def sum(xs: Iterable[float]) -> float: ...  # type: ignore[overload-overlap]
@overload
def sum(xs: Iterable[Value | float]) -> Value: ...  # type: ignore[overload-overlap]
@overload
def sum(xs: Iterable[Dual | float]) -> Dual: ...
@overload
def sum(xs: Iterable[Scalar]) -> Scalar: ...


def sum(xs: Iterable[Scalar]) -> Scalar:
    """The sum of `xs` as one node (Python's `sum` would make one node per term).

    >>> import rulegrad as rg
    >>> rg.sum([1.0, 2.0, 3.5])
    6.5
    """
    # A batch of `rg.vmap` results sums itself over the whole batch, as one node.
    reduce = getattr(type(xs), "__rulegrad_sum__", None)
    if reduce is not None:
        return reduce(xs)  # type: ignore[no-any-return]
    return sum_op(*_terms("sum", "xs", xs))


@overload
def dot(xs: Sequence[float], ys: Sequence[float]) -> float: ...  # type: ignore[overload-overlap]
@overload
def dot(xs: Sequence[Value | float], ys: Sequence[Value | float]) -> Value: ...  # type: ignore[overload-overlap]
@overload
def dot(xs: Sequence[Dual | float], ys: Sequence[Dual | float]) -> Dual: ...
@overload
def dot(xs: Sequence[Scalar], ys: Sequence[Scalar]) -> Scalar: ...


def dot(xs: Sequence[Scalar], ys: Sequence[Scalar]) -> Scalar:
    """sum(x * y for x, y in zip(xs, ys)) as one node; xs and ys must have equal length.

    >>> import rulegrad as rg
    >>> rg.dot([1.0, 2.0], [3.0, 4.0])
    11.0
    """
    xs, ys = _terms("dot", "xs", xs), _terms("dot", "ys", ys)
    if len(xs) != len(ys):
        raise ArityError("dot", "two sequences of equal length", f"{len(xs)} and {len(ys)}")
    return dot_op(*xs, *ys)


def _terms(op: str, name: str, xs: object) -> tuple[Scalar, ...]:
    """`xs` as a tuple; ArgumentError unless it is an iterable of terms (not a str)."""
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Iterable):
        raise ArgumentError(
            f"rg.{op}: {name} must be an iterable of numbers, Values or Duals, "
            f"not {type(xs).__name__}"
        )
    return tuple(xs)
