"""Taylor recurrences: an optional fast path for the series of a few hot ops.

Taylor mode (`rulegrad.modes.taylor`) gets every coefficient of an op's output from the op's
partials rule alone. For some ops that costs more than it must: the rule of `1 / y` is
`-out / y`, whose rule is a new quotient again, so coefficient k goes through a chain of k
new series. A short recurrence gives the same coefficients at O(k) each. It can also be
better conditioned: pow's rule `a * u ** (a - 1)` goes on to u ** (a - 2), u ** (a - 3),
..., powers of a series whose coefficients grow and alternate in sign, so past order ~15 the
chain can cancel digits that the recurrence keeps. One is declared beside its op, with
`@recurrence(op)`; the partials rule stays the reference, and the tests check that the two
agree.

A recurrence is called once per output series, with the coefficients known so far of the
output (`out`, the primal at first) and of each input: lists that grow as Taylor mode
computes them. An input that does not vary in this expansion (a constant, or a node of an
enclosing transform) comes as one coefficient, its higher ones being zero. It returns
`step(k)`, coefficient k of the output once every input has k + 1 coefficients and `out`
has k, or None where it does not apply (the engine then uses the partials rule).
Coefficients may be nodes of enclosing transforms, so a step computes with operators, as a
partials rule does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, TypeAlias, TypeVar

from rulegrad.kernel.errors import RuleError
from rulegrad.kernel.op import Op

__all__ = [
    "RECURRENCES",
    "Coefficients",
    "Recurrence",
    "Step",
    "cauchy",
    "coefficient",
    "recurrence",
]

# The coefficients known so far; one entry for an input that does not vary.
Coefficients: TypeAlias = Sequence[float]
# step(k) -> coefficient k of the output.
Step: TypeAlias = Callable[[int], float]
# recurrence(out, *inputs) -> step, or None where it does not apply.
Recurrence: TypeAlias = Callable[..., "Step | None"]

RECURRENCES: Final[dict[Op, Recurrence]] = {}

_R = TypeVar("_R", bound=Recurrence)


def recurrence(op: Op) -> Callable[[_R], _R]:
    """Declare `op`'s Taylor recurrence (a decorator, used beside the op's declaration).

    >>> import rulegrad as rg
    >>> twice = rg.Op("twice", forward=lambda x: 2.0 * x, partials=lambda out, x: (2.0,))
    >>> @recurrence(twice)
    ... def _twice_series(out, x):
    ...     return lambda k: 2.0 * coefficient(x, k)
    >>> RECURRENCES[twice] is _twice_series
    True
    """

    def declare(rule: _R) -> _R:
        if op in RECURRENCES:
            raise RuleError(op.name, "already has a Taylor recurrence")
        RECURRENCES[op] = rule
        return rule

    return declare


def coefficient(xs: Coefficients, k: int) -> float:
    """Coefficient k of a series: zero past the end of a constant."""
    return xs[k] if k < len(xs) else 0.0


def cauchy(xs: Coefficients, ys: Coefficients, k: int, start: int = 0) -> float:
    """sum(xs[j] * ys[k - j] for j from start to k): coefficient k of a product of series.

    Terms with a plain zero factor are skipped, so no node is built for them when the
    coefficients are nodes of an enclosing transform.

    >>> cauchy([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], 2)
    28.0
    """
    total = 0.0
    for j in range(max(start, k - len(ys) + 1), min(k, len(xs) - 1) + 1):
        x = xs[j]
        y = ys[k - j]
        if (type(x) is float and x == 0.0) or (type(y) is float and y == 0.0):
            continue
        term = x * y
        total = term if type(total) is float and total == 0.0 else total + term
    return total
