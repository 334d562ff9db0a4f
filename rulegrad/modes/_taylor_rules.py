"""How Taylor mode reads an op's rules.

A partial in Taylor mode is a series of the expansion, a constant (a float, or a node of an
enclosing transform), `Undefined`, or one of two markers made here: `FirstOnly`, for a rule
that computes on plain floats and so is known at the primal only, and `Failed`, for a rule
that raised a domain error, which is raised only if the partial is ever needed (forward
mode, too, evaluates a rule only for a non-zero tangent).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, final

from rulegrad.kernel import DomainError, MissingRuleError, Op, RangeError, RulegradError, Undefined

__all__ = ["Failed", "FirstOnly", "constant_partial", "evaluate"]

_FLOAT_ONLY: Final = (
    "its derivative rule computes on plain floats, which gives Taylor mode the first "
    "coefficient only; coefficient {k} needs the rule written with rulegrad ops "
    "(rg.cos(x), not math.cos(x))"
)
_NESTED: Final = (
    "its derivative rule computes on plain floats, so it cannot be differentiated again "
    "by an enclosing transform; write the rule with rulegrad ops (rg.cos(x), not math.cos(x))"
)


@final
class FirstOnly:
    """A partial known at the primal only: its rule computes on plain floats."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


@final
class Failed:
    """A partial whose rule raised: the error is raised if the partial is ever needed."""

    __slots__ = ("error",)

    def __init__(self, error: RulegradError) -> None:
        self.error = error


def evaluate(
    op: Op,
    count: int,
    on_series: Callable[[], Sequence[object]],
    on_primals: Callable[[], Sequence[object]],
) -> list[object]:
    """`count` partials: a rule evaluated on the series themselves, or on their primals if
    it computes on plain floats only (a `float()` of a series raises TypeError)."""
    try:
        return list(on_series())
    except (DomainError, RangeError) as error:
        return [Failed(error)] * count
    except RulegradError:
        raise
    except TypeError as error:
        try:
            values = on_primals()
        except (DomainError, RangeError) as error_at_primal:
            return [Failed(error_at_primal)] * count
        except RulegradError:
            raise
        except TypeError:  # the primals are nodes of an enclosing transform as well
            raise MissingRuleError(op.name, "taylor", order=1, reason=_NESTED) from error
        return [FirstOnly(value) for value in values]


def constant_partial(op: Op, args: Sequence[object], partial: object, k: int, low: int) -> float:
    """A partial that is not a series, as needed for coefficient k; raises if it cannot be had.

    `low` is the lowest order at which the input varies: a partial known at the primal only
    serves coefficient `low` alone.
    """
    if type(partial) is Failed:
        raise partial.error
    if type(partial) is Undefined:
        raise op.undefined_derivative(args, partial.reason)  # type: ignore[arg-type]
    if type(partial) is FirstOnly:
        if k > low:
            raise MissingRuleError(op.name, "taylor", order=k, reason=_FLOAT_ONLY.format(k=k))
        partial = partial.value
    return partial  # type: ignore[return-value]  # a float, or a node of an outer transform
