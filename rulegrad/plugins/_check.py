"""`check_op`: an op's rules against each other and against finite differences."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Final

from rulegrad.kernel import ArgumentError, ArityError, Op, OpRegistry, RulegradError
from rulegrad.kernel import registry as catalogue
from rulegrad.plugins._check_report import CheckReport, Point, RuleCheckError
from rulegrad.plugins._check_run import Run

__all__ = ["CheckReport", "RuleCheckError", "check_op"]

_DEFAULT_VALUES: Final = (0.3, 0.7, 1.3, -0.6)  # distinct, so that binary ops see no ties
_VARIADIC_ARITIES: Final = (4, 3, 2, 1)  # 4 first: even, for ops that pair their arguments


def check_op(
    op_or_name: Op | str,
    *,
    points: Sequence[Sequence[float]] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    registry: OpRegistry | None = None,
) -> CheckReport:
    """Check an op's rules at several points; `RuleCheckError` names the first mismatch.

    At each point the value at a `Value` and at a `Dual` must equal the op on floats. The
    gradient in forward and in reverse mode must match central finite differences of the
    op and each other. The Hessian from nested transforms in each mode pair
    (forward/forward, forward/reverse, reverse/forward, reverse/reverse) must match finite
    differences of the inner mode's gradient and each other. So a rule that is right at
    first order and wrong at second (a partial computed with `math`, not `rg` ops) fails.
    Only the modes the op has rules for are checked.

    Points come from `points`, else the op's `samples`, else defaults (0.3, 0.7, 1.3 and
    -0.6 for each argument; four arguments for a variadic op) minus those outside the
    op's domain. Finite differences must agree to `rtol * |expected| + atol * (1 + |f|)`,
    with |f| the largest value differenced; the modes must agree to 1e-9 relative.
    `op_or_name` is an `Op` or a name in `registry` (default: the catalogue, so
    `UnknownOpError` if it is not there). Returns a `CheckReport` of what was checked.

    In a plugin's own test suite::

        @pytest.mark.parametrize("name", ["digamma", "lgamma"])
        def test_rules(name: str) -> None:
            rg.check_op(name)

    >>> import rulegrad as rg
    >>> rg.check_op("sin").points
    ((-1.5,), (0.5,), (2.0,))
    >>> cube = rg.Op("cube", forward=lambda x: x ** 3,  # right at first order only
    ...              partials=lambda out, x: (3.0 * rg.to_float(x) ** 2,))
    >>> try:
    ...     rg.check_op(cube)
    ... except rg.RuleCheckError as error:
    ...     print(error.mode, error.point, round(error.expected, 6), error.got)
    forward/forward (0.3,) 1.8 0.0
    """
    op = _resolve(op_or_name, registry)
    if points is not None:
        return Run(op, True, rtol, atol).check(_chosen(op, points))
    if op.samples:
        return Run(op, True, rtol, atol).check(op.samples)
    return Run(op, False, rtol, atol).check(_defaults(op))


def _resolve(op_or_name: object, registry: OpRegistry | None) -> Op:
    if isinstance(op_or_name, Op):
        return op_or_name
    if isinstance(op_or_name, str):
        return (catalogue if registry is None else registry).get(op_or_name)
    raise ArgumentError(f"check_op takes an Op or an op's name, not {type(op_or_name).__name__}")


def _chosen(op: Op, points: object) -> list[Point]:
    """The caller's points, checked against the op's arity."""
    if isinstance(points, (str, bytes)) or not isinstance(points, Sequence) or not points:
        raise ArgumentError(f"check_op({op.name!r}): points must be a non-empty list of points")
    chosen: list[Point] = []
    for point in points:
        if not isinstance(point, Sequence) or not all(isinstance(v, numbers.Real) for v in point):
            raise ArgumentError(f"check_op({op.name!r}): {point!r} is not a tuple of numbers")
        if op.arity is not None and len(point) != op.arity:
            raise ArgumentError(
                f"check_op({op.name!r}): the point {tuple(point)!r} has {len(point)} "
                f"values, but {op.name} takes {op.arity}"
            )
        chosen.append(tuple(float(v) for v in point))
    return chosen


def _defaults(op: Op) -> list[Point]:
    """Each default value in turn for the first argument, the next ones for the rest."""
    arities = _VARIADIC_ARITIES if op.arity is None else (op.arity,)
    count = len(_DEFAULT_VALUES)
    for arity in arities:
        points = [
            tuple(_DEFAULT_VALUES[(k + i) % count] for i in range(arity))
            for k in range(count if arity else 1)
        ]
        if op.arity is None:
            try:
                op(*points[0])
            except ArityError:
                continue  # the op's forward rejects this many arguments
            except RulegradError:
                pass  # outside the domain: that point is skipped later, the arity is fine
        return points
    raise ArgumentError(
        f"check_op({op.name!r}): the op accepts none of {arities} arguments; pass points="
    )
