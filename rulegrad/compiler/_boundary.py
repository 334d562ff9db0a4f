"""Containers at `rg.compile`'s boundary: flattened to positional floats on the way in, put
back together on the way out.

The generated code works on positional floats and computes one output. A call with
containers (or a function returning them) is traced once per structure of its arguments
as a function of their leaves, and once more per further output leaf; the generated
functions for the leaves run side by side. (Code that returns several outputs at once
would save the repeated forward sweeps: the compiler's business, not the boundary's.)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, final

from rulegrad.compiler._recorder import TRACED, Trace, trace
from rulegrad.kernel import ArgumentError, Node, NonScalarOutputError, Value
from rulegrad.kernel.errors import TracingError
from rulegrad.transforms._custom_call import EXAMPLES
from rulegrad.transforms._tracing import (
    argument_name,
    flat_output,
    is_scalar,
    numeric_leaves,
    scalar_output,
)
from rulegrad.transforms.tree import LEAF, TreeDef, flatten_like, tree_flatten

__all__ = [
    "Flat",
    "Key",
    "Shape",
    "combine",
    "flatten_arguments",
    "flatten_tangents",
    "require_scalar",
    "trace_shape",
]

# What a compiled function is traced for: an argument count (positional numbers) or the
# structures of its arguments.
Key: TypeAlias = "int | tuple[TreeDef, ...]"


@final
class Flat:
    """A call's arguments as positional floats, and what to trace them as."""

    __slots__ = ("key", "leaves", "treedefs")

    def __init__(
        self, key: Key, leaves: tuple[float, ...], treedefs: tuple[TreeDef, ...] | None
    ) -> None:
        self.key = key
        self.leaves = leaves
        self.treedefs = treedefs  # None: the arguments are numbers themselves

    def shape_gradient(self, gradient: Sequence[float]) -> tuple[Any, ...]:
        """A gradient over the leaves as one structure per argument."""
        if self.treedefs is None:
            return tuple(gradient)
        parts: list[Any] = []
        start = 0
        for treedef in self.treedefs:
            parts.append(treedef.unflatten(gradient[start : start + treedef.num_leaves]))
            start += treedef.num_leaves
        return tuple(parts)


def flatten_arguments(
    f: Callable[..., object], args: Sequence[object], origin: str, what: str
) -> Flat | None:
    """`args` as a `Flat`, or None if a leaf is a node of an enclosing transform."""
    treedefs: list[TreeDef] = []
    leaves: list[float] = []
    structured = False
    for i, arg in enumerate(args):
        found, treedef = tree_flatten(arg)
        if treedef.is_leaf:
            treedef = LEAF
        else:
            structured = True
        for leaf in found:
            if isinstance(leaf, Node):
                return None
        if treedef is LEAF:
            leaves.append(_number(arg, f"{origin}: {what} {i}"))
        else:
            leaves.extend(numeric_leaves(found, treedef, argument_name(f, i), origin))
        treedefs.append(treedef)
    if not structured:
        return Flat(len(leaves), tuple(leaves), None)
    return Flat(tuple(treedefs), tuple(leaves), tuple(treedefs))


def flatten_tangents(
    treedefs: Sequence[TreeDef], tangents: Sequence[object], origin: str
) -> list[float]:
    """The leaves of `tangents`, one per argument, each shaped like its primal."""
    leaves: list[float] = []
    for i, (treedef, tangent) in enumerate(zip(treedefs, tangents, strict=True)):
        root = f"tangents[{i}]"
        found = flatten_like(tangent, treedef, root, f"{origin}.jvp")
        leaves.extend(numeric_leaves(found, treedef, root, f"{origin}.jvp"))
    return leaves


def _number(x: object, what: str) -> float:
    if not isinstance(x, numbers.Real):
        raise ArgumentError(f"{what} must be a real number, not {type(x).__name__}")
    try:
        return float(x)
    except OverflowError:
        raise ArgumentError(f"{what} is too large for a float") from None


@final
@dataclass(frozen=True)
class Shape:
    """One traced structure: a trace per output leaf and the output's structure (a
    structure of no leaves keeps its first trace, for `source`). `out` is what f returned
    while traced, for error messages."""

    traces: tuple[Trace, ...]
    structure: TreeDef
    out: object

    @property
    def scalar(self) -> bool:
        return self.structure.is_leaf


def trace_shape(
    f: Callable[..., object],
    key: Key,
    max_ops: int,
    example: Sequence[float] | None,
) -> Shape:
    """Trace `f` for `key`: once per output leaf, each a scalar function of the leaves.

    `example` (the numbers of the call being compiled) is told to custom functions, which
    run once on real numbers to learn what they return.
    """
    treedefs = None if isinstance(key, int) else key
    n_leaves = key if isinstance(key, int) else sum(t.num_leaves for t in key)
    seen: list[object] = []

    def output(k: int, structure: TreeDef | None) -> Callable[..., object]:
        def flat(*leaves: Value) -> object:
            known = EXAMPLES.get()
            if known is not None and example is not None:
                known.update(zip(leaves, example, strict=True))
            out = f(*_rebuild(treedefs, leaves))
            found, got = tree_flatten(out)
            if structure is None:  # the first trace learns the structure
                seen.append(out)
                if got.is_leaf:
                    return out  # the recorder checks it, as for any scalar function
                for leaf in found:
                    if not is_scalar(leaf) and leaf is not TRACED:
                        flat_output(out, "rg.compile")  # raises, naming the leaf
            elif got != structure:
                raise TracingError(f"f returned {got!r}, then {structure!r}", "the result", "", "")
            return found[k] if found else 0.0

        return flat

    def traced(function: Callable[..., object]) -> Trace:
        token = EXAMPLES.set({} if example is not None else None)
        try:
            return trace(function, n_leaves, max_ops)
        finally:
            EXAMPLES.reset(token)

    first = traced(output(0, None))
    out = seen[-1]
    leaves, structure = tree_flatten(out)
    if structure.is_leaf:
        return Shape((first,), LEAF, out)
    # One scalar trace per further output leaf: the generated code computes one output.
    rest = [traced(output(k, structure)) for k in range(1, len(leaves))]
    return Shape((first, *rest), structure, out)


def _rebuild(treedefs: tuple[TreeDef, ...] | None, leaves: Sequence[object]) -> list[object]:
    if treedefs is None:
        return list(leaves)
    args: list[object] = []
    start = 0
    for treedef in treedefs:
        args.append(treedef.unflatten(leaves[start : start + treedef.num_leaves]))
        start += treedef.num_leaves
    return args


def require_scalar(shape: Shape) -> None:
    """`NonScalarOutputError` for a gradient of a function with several outputs."""
    if not shape.scalar:
        scalar_output(shape.out, "rg.compile")  # raises, naming what f returned
        raise NonScalarOutputError("rg.compile needs f to return a scalar")


def combine(
    kind: str, functions: Sequence[Callable[..., Any]], structure: TreeDef
) -> Callable[..., Any]:
    """One function running the generated function of each output leaf."""
    if kind == "value":

        def value(*xs: float) -> object:
            return structure.unflatten([run(*xs) for run in functions])

        return value

    def jvp(*xs: float) -> tuple[object, object]:
        pairs = [run(*xs) for run in functions]
        return (
            structure.unflatten([out for out, _ in pairs]),
            structure.unflatten([tangent for _, tangent in pairs]),
        )

    return jvp
