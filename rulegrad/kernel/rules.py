"""The shapes of an op's rules.

Rules are written over floats, with rulegrad ops inside (`rg.cos(x)`, not `math.cos(x)`).
At run time they also receive `Value`s and `Dual`s of outer transforms, which is how one
rule serves every order of differentiation; the float signatures are what a rule author
type-checks against, just as users write `f` over floats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias, final

__all__ = [
    "ForwardCode",
    "ForwardFn",
    "JvpRule",
    "OpCode",
    "Partial",
    "PartialsCode",
    "PartialsRule",
    "Undefined",
    "VjpRule",
]


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


# Code templates: format strings over the primals `{0}`, `{1}`, ... and the output `{out}`
# (partials only), or, for ops of any arity, functions of the argument expressions that
# return None where they have no template for those arguments.
ForwardCode: TypeAlias = "str | Callable[[Sequence[str]], str | None]"
PartialsCode: TypeAlias = "Sequence[str] | Callable[[str, Sequence[str]], Sequence[str] | None]"


@final
@dataclass(frozen=True)
class OpCode:
    """Python source for an op's forward value and partials, which `rg.compile` inlines.

    `_m` is the `math` module. A template must compute exactly what the rule computes on
    floats, or raise where the rule fails; a part left as None is called instead.

    >>> OpCode("{0} * {1}", ("{1}", "{0}")).forward.format("x", "y")
    'x * y'
    """

    forward: ForwardCode | None = None
    partials: PartialsCode | None = None
