"""Tags: the identity of one level of differentiation.

Every `Value` and `Dual` carries a tag. Values a user builds by hand share one of the two
root tags; every transform call (`grad`, `jvp`, ...) makes a fresh tag one level above the
innermost transform running in this context. An op applied to nodes of different tags works
at the highest level and treats everything lower as a constant, which is what keeps nested
transforms apart (no perturbation confusion).

The stack of running transforms lives in a `ContextVar`, so each thread (and each asyncio
task) nests on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Final, Protocol, cast, final

from rulegrad.kernel.errors import EscapedValueError

if TYPE_CHECKING:
    from rulegrad.kernel.nodes import Scalar, Value
    from rulegrad.kernel.op import Op

__all__ = [
    "ROOT_FORWARD",
    "ROOT_REVERSE",
    "Engine",
    "Tag",
    "escaped",
    "new_tag",
    "reopened",
]


class Engine(Protocol):
    """A differentiation mode, as the kernel sees it (implemented in `rulegrad.modes`)."""

    @property
    def name(self) -> str:
        """ "forward" or "reverse"."""
        ...

    def lift(self, op: Op, args: tuple[Scalar, ...], tag: Tag) -> Scalar:
        """Apply `op` to `args`, at least one of which is a node tagged `tag`."""
        ...

    def backward(self, root: Value, seed: Scalar) -> None:
        """Accumulate d root / d node into `.grad` of every node of root's tag it reaches."""
        ...


@final
class Tag:
    """One level of differentiation: the root of hand-built nodes, or one transform call."""

    __slots__ = ("active", "engine", "fast", "level", "origin")

    def __init__(self, level: int, engine: Engine, origin: str, *, fast: bool = True) -> None:
        self.level = level
        self.engine = engine
        self.origin = origin  # what made the tag, for error messages: "rg.grad", "Value", ...
        self.active = True
        # Whether the ops' generated fast paths may serve this tag's nodes: only while it is
        # active, and not for an engine that must see every op (one that checks each).
        self.fast = fast

    def __repr__(self) -> str:
        state = "" if self.active else ", finished"
        return f"Tag({self.origin}, level={self.level}{state})"


# Hand-built Duals sit above hand-built Values, so `Dual(Value(2.0), 1.0)` (forward over
# reverse) is well formed and `Value * Dual` gives a Dual whose parts are Values.
# Their engines are installed by the wiring (`rulegrad._wiring`), which runs at import.
ROOT_REVERSE: Final = Tag(0, cast("Engine", None), "Value")
ROOT_FORWARD: Final = Tag(1, cast("Engine", None), "Dual")
_FIRST_TRANSFORM_LEVEL: Final = 2

_ACTIVE: ContextVar[tuple[Tag, ...]] = ContextVar("rulegrad_active_tags", default=())


@contextmanager
def new_tag(engine: Engine, origin: str, *, fast: bool = True) -> Iterator[Tag]:
    """A fresh tag one level above the innermost running transform, active inside the block.

    With `fast=False` every op on the tag's nodes goes through its engine's `lift`.
    """
    stack = _ACTIVE.get()
    level = stack[-1].level + 1 if stack else _FIRST_TRANSFORM_LEVEL
    tag = Tag(level, engine, origin, fast=fast)
    token = _ACTIVE.set((*stack, tag))
    try:
        yield tag
    finally:
        tag.active = False
        tag.fast = False
        _ACTIVE.reset(token)


@contextmanager
def reopened(tags: Iterable[Tag]) -> Iterator[None]:
    """Finished transform tags made active again inside the block, at their own levels.

    For results that are computed lazily (a batch of `rg.vmap` results, whose points run
    when they are read): a transform that takes its output apart after its tag finished
    still gets that output's nodes, as if `f` had computed them before returning.
    """
    closed = sorted({id(t): t for t in tags if not t.active}.values(), key=lambda t: t.level)
    if not closed:
        yield
        return
    stack = _ACTIVE.get()
    merged = tuple(sorted({id(t): t for t in (*stack, *closed)}.values(), key=lambda t: t.level))
    token = _ACTIVE.set(merged)
    for tag in closed:
        tag.active = True
    try:
        yield
    finally:
        for tag in closed:
            tag.active = False
        _ACTIVE.reset(token)


def escaped(tag: Tag) -> EscapedValueError:
    """The error for a node of `tag` used after its transform returned."""
    return EscapedValueError(
        f"a value traced by a {tag.origin} call was used after that call returned; "
        "return results from the function instead of keeping traced values outside it"
    )
