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

__all__ = ["binary", "helper", "unary", "variadic"]

_O = TypeVar("_O", bound=Op)


class _Where(TypedDict, total=False):
    domain: str  # a one-line note shown in domain errors, e.g. "x > 0"
    singularities: str  # where the derivative does not exist, shown when it is needed there
    samples: Sequence[Sequence[float]]  # points inside the domain where rules are checked
    code: OpCode  # the forward value as Python source, which generated code inlines


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


def helper(name: str, forward: ForwardFn, partials: PartialsRule, **where: Unpack[_Where]) -> Op:
    """An op that only a built-in rule calls, e.g. a slope computed stably; not registered.

    It carries the name of the op whose rule it serves, so that an error in it names the op
    the user wrote.
    """
    return Op(name, forward=forward, partials=partials, source=BUILTIN, **where)


def variadic(name: str, forward: ForwardFn, partials: PartialsRule, **where: Unpack[_Where]) -> Op:
    """Register a built-in op of any number of arguments (a reduction)."""
    return _builtin(Op, name, forward, partials, where)
