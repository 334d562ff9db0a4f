"""The shapes of an op's rules.

Rules are written over floats, with rulegrad ops inside (`rg.cos(x)`, not `math.cos(x)`).
At run time they also receive `Value`s and `Dual`s of outer transforms, which is how one
rule serves every order of differentiation; the float signatures are what a rule author
type-checks against, just as users write `f` over floats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeAlias, final

__all__ = [
    "ForwardFn",
    "JvpRule",
    "Partial",
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
