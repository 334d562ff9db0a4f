"""How the built-in catalogue declares an op: `unary`, `binary` or `variadic`.

The three differ only in the type they give the op, so that a type checker knows how
many arguments `rg.sin` or `rg.atan2` takes; they register the same kind of entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict, TypeVar

from typing_extensions import Unpack

from rulegrad.kernel import BUILTIN, BinaryOp, ForwardFn, Op, PartialsRule, UnaryOp, registry
from rulegrad.kernel.op import OpCode

__all__ = ["binary", "unary", "variadic"]

_O = TypeVar("_O", bound=Op)


class _Where(TypedDict, total=False):
    domain: str  # a one-line note shown in domain errors, e.g. "x > 0"
    samples: Sequence[Sequence[float]]  # points inside the domain where rules are checked
    code: OpCode  # the same arithmetic as Python source, which rg.compile inlines


def _builtin(
    kind: type[_O], name: str, forward: ForwardFn, partials: PartialsRule, where: _Where
) -> _O:
    op = kind(name, forward=forward, partials=partials, source=BUILTIN, **where)
    registry.register(op)
    return op


def unary(
    name: str, forward: ForwardFn, partials: PartialsRule, **where: Unpack[_Where]
) -> UnaryOp:
    """Register a built-in op of one argument."""
    return _builtin(UnaryOp, name, forward, partials, where)


def binary(
    name: str, forward: ForwardFn, partials: PartialsRule, **where: Unpack[_Where]
) -> BinaryOp:
    """Register a built-in op of two arguments."""
    return _builtin(BinaryOp, name, forward, partials, where)


def variadic(name: str, forward: ForwardFn, partials: PartialsRule, **where: Unpack[_Where]) -> Op:
    """Register a built-in op of any number of arguments (a reduction)."""
    return _builtin(Op, name, forward, partials, where)
