"""The shapes of an op's rules.

Rules are written over floats, with rulegrad ops inside (`rg.cos(x)`, not `math.cos(x)`).
At run time they also receive `Value`s and `Dual`s of outer transforms, which is how one
rule serves every order of differentiation; the float signatures are what a rule author
type-checks against, just as users write `f` over floats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, TypeAlias, final

__all__ = [
    "ARRAY_CONSTANTS",
    "ARRAY_FUNCTIONS",
    "ForwardCode",
    "ForwardFn",
    "JvpRule",
    "OpCode",
    "Partial",
    "PartialsRule",
    "SingularityError",
    "Undefined",
    "VjpRule",
]


class SingularityError(ValueError):
    """Raised by an op's forward function where the quantity it computes does not exist.

    For ops that compute a derivative for another op's rule (pow's slope, say): the error
    then says that this derivative is undefined, and why, instead of naming the helper.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@final
class Undefined:
    """A partial derivative that does not exist at this point.

    Return it from a partials rule instead of a number where the derivative is infinite or
    undefined. It raises `DomainError` only if a mode actually needs it, that is when the
    matching input carries a non-zero tangent or cotangent: `x ** 2.5` at `x = -1` fails,
    but `pow`'s partial with respect to a constant exponent is never asked for.

        >>> partials=lambda out, x: (0.5 / out if out > 0 else Undefined("infinite slope at 0"),)
    """

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Undefined({self.reason!r})"


# One partial derivative: a number (or an outer transform's node), or `Undefined`.
Partial: TypeAlias = "float | Undefined"

# forward(*primals) -> out, on plain floats.
ForwardFn: TypeAlias = Callable[..., float]

# partials(out, *primals) -> one partial derivative per input.
PartialsRule: TypeAlias = Callable[..., Sequence[Partial]]


class JvpRule(Protocol):
    """jvp(out, primals, tangents) -> tangent of out; constant inputs get tangent 0.0."""

    def __call__(
        self, out: float, primals: tuple[float, ...], tangents: tuple[float, ...], /
    ) -> float: ...


class VjpRule(Protocol):
    """vjp(out, primals, cotangent) -> one cotangent per input."""

    def __call__(
        self, out: float, primals: tuple[float, ...], cotangent: float, /
    ) -> Sequence[float]: ...


# An op's forward as Python source: a format string over the argument expressions `{0}`,
# `{1}`, ..., or a function of the argument expressions that returns the source, or None where
# it has none for those arguments (then the forward function is called).
ForwardCode: TypeAlias = "str | Callable[[Sequence[str]], str | None]"

# What an array template may call as `_m.<name>` besides the `math` functions (which the
# array namespace provides elementwise): a selection and the elementwise minimum and maximum
# that ignore NaN, the array forms of conditional expressions. `_m.nan` and `_m.inf` are the
# constants, which an array template needs where the float forward raises.
ARRAY_FUNCTIONS: Final = frozenset({"where", "fmin", "fmax"})
ARRAY_CONSTANTS: Final = frozenset({"nan", "inf"})


@final
@dataclass(frozen=True)
class OpCode:
    """An op's forward value as Python source, which generated code inlines.

    Only the forward value: every derivative comes from the op's partials rule, traced. A
    template computes exactly what `forward` computes on floats, and raises where it raises.
    It may use arithmetic, comparisons, conditional expressions and the `math` module as `_m`
    (`"_m.sin({0})"`); it is checked when the op is defined.

    `array` is the same value over whole arrays, for `rg.vmap`: a template in which `_m` is
    an array namespace offering every `math` function elementwise, `_m.where(cond, a, b)`,
    `_m.fmin`, `_m.fmax`, `_m.nan` and `_m.inf`. It computes what `forward` computes at each
    point, and gives NaN or an infinity where `forward` raises. Without one, a `forward`
    template with no comparison or conditional serves for arrays as it is; `arithmetic=True`
    says that the forward function itself, written with `+ - * /` only, runs on arrays; any
    other op is called point by point.

    >>> OpCode("{0} * {1}").forward.format("x", "y")
    'x * y'
    >>> OpCode("({0} if {0} > 0.0 else 0.0)", array="_m.where({0} > 0.0, {0}, 0.0)").array
    '_m.where({0} > 0.0, {0}, 0.0)'
    """

    forward: ForwardCode | None = None
    array: ForwardCode | None = None
    arithmetic: bool = False
