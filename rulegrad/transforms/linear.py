"""Linear maps from one evaluation: `hvp` (forward over reverse) and `linearize`.

`linearize` records `f`'s graph once, evaluates every node's partials there, and returns a
function that pushes tangents through the recorded partials: forward mode without running
`f` again, as often as needed, from any thread (it writes nothing shared).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar, final, overload

from rulegrad.kernel import (
    MissingRuleError,
    Op,
    RulegradError,
    Scalar,
    Tag,
    Value,
    new_tag,
    toposort,
)
from rulegrad.modes._contraction import contract, moving
from rulegrad.modes.forward import FORWARD, make_dual
from rulegrad.transforms._tracing import (
    Args,
    flat_output,
    lower,
    split_dual,
    trace_reverse,
)
from rulegrad.transforms.directional import primals_tuple, tangent_leaves
from rulegrad.transforms.gradients import Mode, check_function, flat_gradient
from rulegrad.transforms.tree import TreeDef

__all__ = ["hvp", "linearize"]

_R = TypeVar("_R")


@overload
def hvp(
    f: Callable[..., float], primals: Sequence[float], tangents: Sequence[float]
) -> tuple[tuple[float, ...], tuple[float, ...]]: ...
@overload
def hvp(
    f: Callable[..., float], primals: tuple[object, ...], tangents: tuple[object, ...]
) -> tuple[tuple[Any, ...], tuple[Any, ...]]: ...


def hvp(
    f: Callable[..., float], primals: Sequence[object], tangents: Sequence[object]
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """`(gradient, Hessian times tangents)` of scalar `f` at `primals`, in one pass.

    `primals` holds one entry per argument of `f` (numbers or containers of them), and
    `tangents` one entry of the same structure per primal; both results are tuples shaped
    like `primals`. Forward over reverse: one forward pass carrying the tangents through
    one reverse-mode gradient, never the whole Hessian.

    >>> import rulegrad as rg
    >>> rg.hvp(lambda x, y: x * x * y, (1.0, 2.0), (1.0, 0.0))
    ((4.0, 1.0), (4.0, 2.0))
    >>> rg.hvp(lambda p: p["a"] ** 3, ({"a": 2.0},), ({"a": 1.0},))
    (({'a': 12.0},), ({'a': 12.0},))
    """
    origin = "rg.hvp"
    check_function(f, origin)
    given = primals_tuple(primals, "primals", origin)
    args = Args(f, given, {}, tuple(range(len(given))), False, origin)
    directions = tangent_leaves(args, tangents, origin)
    with new_tag(FORWARD, origin) as tag:
        duals = [make_dual(x, t, tag) for x, t in zip(args.leaves, directions, strict=True)]
        _, gradient, _ = flat_gradient(args, Mode.REVERSE, False, duals)  # type: ignore[arg-type]
    pairs = [split_dual(g, tag) for g in gradient]
    grads = tuple(args.parts([primal for primal, _ in pairs]))
    products = tuple(args.parts([tangent for _, tangent in pairs]))
    return grads, products


def linearize(f: Callable[..., _R], *primals: object) -> tuple[_R, Callable[..., _R]]:
    """`(f(*primals), f_jvp)`: `f_jvp(*tangents)` is the jvp of `f` at `primals`.

    `f` runs once, here. `f_jvp` takes one tangent per primal, each of the primal's
    structure, and returns the tangent of the output in the output's structure, from the
    partial derivatives recorded at `primals`: `f` is not called again. It may be called
    any number of times, from any thread.

    >>> import rulegrad as rg
    >>> out, f_jvp = rg.linearize(lambda x, y: [x * y, rg.sin(x)], 0.0, 3.0)
    >>> out, f_jvp(1.0, 0.0), f_jvp(0.0, 1.0)
    ([0.0, 0.0], [3.0, 1.0], [0.0, 0.0])
    """
    origin = "rg.linearize"
    check_function(f, origin)
    args = Args(f, primals, {}, tuple(range(len(primals))), False, origin)
    tag, nodes, out = trace_reverse(args)
    leaves, treedef = flat_output(out, origin)
    roots = [leaf for leaf in leaves if type(leaf) is Value and leaf._tag is tag]
    linear = _Linearized(args, tag, nodes, toposort(roots, tag), leaves, treedef)
    value: _R = treedef.unflatten([lower(leaf, tag) for leaf in leaves])
    return value, linear


@final
class _Step:
    """One recorded node: its op, its inputs, and its partials there, computed once per set
    of inputs that carry a tangent (a rule's error is raised only if a tangent needs it, and
    only the partials a tangent needs are computed, as forward mode does)."""

    __slots__ = ("_partials", "inputs", "node", "op", "primals")

    def __init__(self, node: Value, tag: Tag) -> None:
        op = node.op
        assert op is not None  # leaves are not steps
        self.node = node
        self.op: Op = op
        self.inputs = node.inputs
        self.primals: tuple[Scalar, ...] = tuple(
            a.data if type(a) is Value and a._tag is tag else a for a in self.inputs
        )
        # which inputs carry a tangent -> their partials, or the error computing them gave
        self._partials: dict[tuple[bool, ...], list[Scalar] | RulegradError] = {}

    def tangent(self, tangents: Sequence[Scalar]) -> Scalar:
        op = self.op
        if op.jvp is not None:
            return op.jvp(self.node.data, self.primals, tuple(tangents))  # type: ignore[arg-type]
        wanted = tuple(moving(t) for t in tangents)
        found = self._partials.get(wanted)
        if found is None:
            try:
                if op.partials is None:
                    raise MissingRuleError(op.name, "forward")
                found = op.partials_at(self.node.data, self.primals, wanted)
            except RulegradError as error:
                found = error
            self._partials[wanted] = found  # the same for every thread: a race is harmless
        if isinstance(found, RulegradError):
            raise found
        return contract(found, tangents)


_ZERO: Final = 0.0


@final
class _Linearized:
    """The jvp of `f` at the recorded point, as a function of the tangents."""

    __slots__ = ("__wrapped__", "_args", "_leaves", "_nodes", "_steps", "_tag", "_treedef")

    def __init__(
        self,
        args: Args,
        tag: Tag,
        nodes: list[Value],
        order: list[Value],
        leaves: list[Any],
        treedef: TreeDef,
    ) -> None:
        self._args = args
        self._tag = tag
        self._nodes = nodes
        self._steps = [_Step(node, tag) for node in order if node.op is not None]
        self._leaves = leaves
        self._treedef = treedef
        self.__wrapped__ = args.f

    def __call__(self, *tangents: object) -> Any:
        origin = "rg.linearize: f_jvp"
        directions = tangent_leaves(self._args, tangents, origin)
        known: dict[Value, Scalar] = dict(zip(self._nodes, directions, strict=True))
        for step in self._steps:
            incoming = [
                known.get(a, _ZERO) if type(a) is Value and a._tag is self._tag else _ZERO
                for a in step.inputs
            ]
            if not any(map(moving, incoming)):
                continue  # no tangent reaches this node: its rules are never asked
            known[step.node] = step.tangent(incoming)
        tag = self._tag
        out = [
            known.get(leaf, _ZERO) if type(leaf) is Value and leaf._tag is tag else _ZERO
            for leaf in self._leaves
        ]
        return self._treedef.unflatten(out)

    def __repr__(self) -> str:
        name = getattr(self._args.f, "__qualname__", "f")
        return f"<rg.linearize jvp of {name}: {len(self._steps)} recorded steps>"
