"""How the built-in catalogue declares an op: `unary`, `binary` or `variadic`.

The three differ only in the type they give the op, so that a type checker knows how
many arguments `rg.sin` or `rg.atan2` takes; they register the same kind of entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from rulegrad.kernel import BUILTIN, BinaryOp, ForwardFn, Op, PartialsRule, UnaryOp, registry

__all__ = ["binary", "unary", "variadic"]

_O = TypeVar("_O", bound=Op)


def _builtin(
    kind: type[_O],
    name: str,
    forward: ForwardFn,
    partials: PartialsRule,
    domain: str,
    samples: Sequence[Sequence[float]],
) -> _O:
    op = kind(name, forward=forward, partials=partials, domain=domain, samples=samples,
              source=BUILTIN)  # fmt: skip
    registry.register(op)
    return op


def unary(
    name: str,
    forward: ForwardFn,
    partials: PartialsRule,
    *,
    domain: str = "",
    samples: Sequence[Sequence[float]] = (),
) -> UnaryOp:
    """Register a built-in op of one argument."""
    return _builtin(UnaryOp, name, forward, partials, domain, samples)


def binary(
    name: str,
    forward: ForwardFn,
    partials: PartialsRule,
    *,
    domain: str = "",
    samples: Sequence[Sequence[float]] = (),
) -> BinaryOp:
    """Register a built-in op of two arguments."""
    return _builtin(BinaryOp, name, forward, partials, domain, samples)


def variadic(
    name: str,
    forward: ForwardFn,
    partials: PartialsRule,
    *,
    samples: Sequence[Sequence[float]] = (),
) -> Op:
    """Register a built-in op of any number of arguments (a reduction)."""
    return _builtin(Op, name, forward, partials, "", samples)
