"""How a transform runs `f` at a fresh tag and reads its derivatives back out.

The transforms are built from these steps: take the differentiated arguments apart into
leaves (`Args`), run `f` with the leaves as nodes of a new tag (`trace_reverse`,
`forward_pass`), check what `f` returned (`split_aux`, `scalar_output`, `flat_output`), and
pull the derivatives out (`pull_back`, `split_dual`, `lower`).
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, final

from rulegrad.kernel import (
    ArgumentError,
    Dual,
    Node,
    NonScalarOutputError,
    Scalar,
    Tag,
    Value,
    new_tag,
)
from rulegrad.kernel.collector import growing_graph
from rulegrad.modes.forward import CHECKING_FORWARD, FORWARD, ForwardEngine, make_dual
from rulegrad.modes.reverse import REVERSE, backward, make_value
from rulegrad.transforms.tree import LEAF, TreeDef, tree_flatten, tree_map

__all__ = [
    "Args",
    "argument_name",
    "differentiated",
    "flat_output",
    "forward_pass",
    "is_scalar",
    "lower",
    "lower_tree",
    "numeric_leaves",
    "outputs_of",
    "pull_back",
    "scalar_output",
    "split_aux",
    "split_dual",
    "trace_reverse",
]


def differentiated(x: object, what: str) -> float:
    """A differentiated number: a real number as a float, or a node of an enclosing transform.

    `what` names it in the error for anything else, e.g. "rg.grad: params['w'][2]".
    """
    if type(x) is float or isinstance(x, Node):  # Node: Value, Dual, Taylor's Series
        return x  # type: ignore[return-value]
    if isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:
            shown = repr(x)
            shown = (
                shown if len(shown) <= 20 else f"{shown[:8]}...{shown[-4:]}, {len(shown)} digits"
            )
            raise ArgumentError(f"{what} is too large for a float ({shown})") from None
    shape = f" of {len(x)}" if isinstance(x, (list, tuple, dict)) else ""
    raise ArgumentError(
        f"{what} is differentiated, so it must be a real number (or a container of them), "
        f"not {type(x).__name__}{shape}"
    )


def numeric_leaves(leaves: list[Any], treedef: TreeDef, root: str, what: str) -> list[float]:
    """`leaves` as differentiated numbers; `ArgumentError` naming the path of a bad one."""
    checked: list[float] = []
    for i, leaf in enumerate(leaves):
        if type(leaf) is float:
            checked.append(leaf)
            continue
        try:
            checked.append(differentiated(leaf, what))
        except ArgumentError:
            path = treedef.paths(root)[i]
            checked.append(differentiated(leaf, f"{what}: {path}"))
    return checked


def argument_name(f: Callable[..., object], position: int) -> str:
    """How `f` calls its positional argument `position`: its parameter name, or `args[i]`."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return f"args[{position}]"
    named = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if position < len(named):
        return named[position].name
    rest = [p for p in parameters if p.kind is p.VAR_POSITIONAL]
    return f"{rest[0].name}[{position - len(named)}]" if rest else f"args[{position}]"


@final
class Args:
    """One call of a transformed function: its arguments, with the differentiated ones
    (`nums`) taken apart into `leaves`, which `call` puts back in place.

    `single` says the derivative is shaped like one argument (an int `argnums`) rather than
    a tuple of them.
    """

    __slots__ = (
        "args", "f", "flat", "kwargs", "leaves", "nums", "origin", "single", "treedefs",
    )  # fmt: skip

    def __init__(
        self,
        f: Callable[..., object],
        args: Sequence[object],
        kwargs: Mapping[str, object],
        nums: tuple[int, ...],
        single: bool,
        origin: str,
    ) -> None:
        self.f = f
        self.args = tuple(args)
        self.kwargs = kwargs
        self.nums = nums
        self.single = single
        self.origin = origin
        self.leaves: list[float] = []
        self.treedefs: list[TreeDef] = []
        self.flat = True  # every differentiated argument a bare number: one leaf each
        for i in nums:
            x = args[i]
            if type(x) is float or isinstance(x, Node):
                self.leaves.append(x)  # type: ignore[arg-type]
                self.treedefs.append(LEAF)
                continue
            found, treedef = tree_flatten(x)
            if treedef.is_leaf:
                self.leaves.append(differentiated(x, f"{origin}: {argument_name(f, i)}"))
                treedef = LEAF
            else:
                self.flat = False
                root = argument_name(f, i)
                self.leaves.extend(numeric_leaves(found, treedef, root, origin))
            self.treedefs.append(treedef)

    @property
    def all_scalars(self) -> bool:
        """Whether every differentiated argument is a bare number (no container)."""
        return self.flat

    def parts(self, values: Sequence[object]) -> list[object]:
        """`values`, one per leaf, shaped like each differentiated argument in turn."""
        if self.flat:
            return list(values)
        parts: list[object] = []
        start = 0
        for treedef in self.treedefs:
            count = treedef.num_leaves
            parts.append(treedef.unflatten(list(values[start : start + count])))
            start += count
        return parts

    def call(self, leaves: Sequence[object]) -> object:
        """`f` with the differentiated arguments rebuilt from `leaves`."""
        call_args = list(self.args)
        for i, part in zip(self.nums, leaves if self.flat else self.parts(leaves), strict=True):
            call_args[i] = part
        return self.f(*call_args, **self.kwargs)

    def structure(self, values: Sequence[object]) -> object:
        """`values` (one per leaf) shaped as the derivative is: one argument's structure, or
        a tuple of them."""
        parts = self.parts(values)
        return parts[0] if self.single else tuple(parts)


def trace_reverse(
    args: Args, leaves: Sequence[float] | None = None
) -> tuple[Tag, list[Value], object]:
    """Run `f` with its leaves (`args.leaves`, or `leaves`) as fresh nodes of a new reverse tag."""
    with new_tag(REVERSE, args.origin) as tag, growing_graph():
        nodes = [make_value(x, (), None, tag) for x in (args.leaves if leaves is None else leaves)]
        out = args.call(nodes)
    return tag, nodes, out


def pull_back(tag: Tag, leaves: list[Value], seeds: Sequence[tuple[object, Scalar]]) -> list[float]:
    """The cotangents of `leaves` for output cotangents `seeds` (output, cotangent).

    It writes `.grad` on the graph's nodes: callers that share a graph between threads hold
    a lock around it (see `vjp`).
    """
    roots = [(out, ct) for out, ct in seeds if type(out) is Value and out._tag is tag]
    for leaf in leaves:
        leaf.grad = 0.0
    if roots:
        backward(roots, accumulate=False)
    return [leaf.grad for leaf in leaves]


def forward_pass(
    args: Args, tangents: Mapping[int, float], leaves: Sequence[float] | None = None
) -> tuple[Tag, object]:
    """Run `f` with the leaves numbered in `tangents` as duals of a new forward tag."""
    points: list[object] = list(args.leaves if leaves is None else leaves)
    tag, out = _forward_call(args, tangents, points, FORWARD)
    if _non_finite_tangent(out, tag) and _finite(points) and _finite(tangents.values()):
        # Say where: rerun with every op's tangent checked (RangeError at the first op
        # whose tangent is not finite although its inputs are); if none is, keep `out`.
        _forward_call(args, tangents, points, CHECKING_FORWARD)
    return tag, out


def _forward_call(
    args: Args, tangents: Mapping[int, float], points: list[object], engine: ForwardEngine
) -> tuple[Tag, object]:
    values = list(points)
    with new_tag(engine, args.origin, fast=engine is FORWARD) as tag:
        for k, tangent in tangents.items():
            values[k] = make_dual(values[k], tangent, tag)  # type: ignore[arg-type]
        return tag, args.call(values)


def _non_finite_tangent(out: object, tag: Tag) -> bool:
    """Whether an output of `tag` has a non-finite tangent and a finite primal."""
    if type(out) is Dual:
        outputs: list[object] = [out]
    elif type(out) is float or isinstance(out, Node):
        return False
    else:
        outputs = tree_flatten(out)[0]
    for leaf in outputs:
        if type(leaf) is Dual and leaf._tag is tag:
            primal, tangent = leaf.primal, leaf.tangent
            if type(tangent) is float and not math.isfinite(tangent):
                return type(primal) is not float or math.isfinite(primal)
    return False


def _finite(numbers_: Iterable[object]) -> bool:
    return all(type(x) is not float or math.isfinite(x) for x in numbers_)


def split_dual(out: object, tag: Tag) -> tuple[object, float]:
    """(primal, tangent) of an output of a forward pass; anything else has tangent 0.0."""
    if type(out) is Dual and out._tag is tag:
        return out.primal, out.tangent
    return out, 0.0


def lower(x: object, tag: Tag) -> object:
    """`x` one level down: a node of `tag` becomes its number at the enclosing level."""
    kind = type(x)
    if kind is Value and x._tag is tag:  # type: ignore[attr-defined]
        return x.data  # type: ignore[attr-defined]
    if kind is Dual and x._tag is tag:  # type: ignore[attr-defined]
        return x.primal  # type: ignore[attr-defined]
    return x


def lower_tree(x: object, tag: Tag) -> object:
    """`x` with every node of `tag` among its leaves lowered (an auxiliary output)."""
    if x is None or type(x) is float:
        return x
    return tree_map(lambda leaf: lower(leaf, tag), x)


def split_aux(out: object, has_aux: bool, origin: str) -> tuple[object, object]:
    """(out, aux) from what `f` returned: the pair itself with `has_aux`, else (out, None)."""
    if not has_aux:
        return out, None
    if type(out) in (tuple, list) and len(out) == 2:  # type: ignore[arg-type]
        return out[0], out[1]  # type: ignore[index]
    shape = f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""
    raise ArgumentError(
        f"{origin}: with has_aux=True, f must return a pair (out, aux), "
        f"but it returned {type(out).__name__}{shape}"
    )


def is_scalar(x: object) -> bool:
    """A number a transform can differentiate or return: a node, or a real number."""
    return (
        type(x) is float
        or isinstance(x, Node)
        or (isinstance(x, numbers.Real) and not isinstance(x, bool))
    )


def scalar_output(out: object, origin: str) -> None:
    """`NonScalarOutputError` unless `out` is a scalar."""
    if is_scalar(out):
        return
    shape = f" of length {len(out)}" if isinstance(out, (list, tuple, dict)) else ""
    hint = "; use rg.jacobian for functions with several outputs" if shape else ""
    raise NonScalarOutputError(
        f"{origin} needs f to return a scalar (a float, Value or Dual), "
        f"but it returned {type(out).__name__}{shape}{hint}"
    )


_OUT: Final = "out"


def flat_output(out: object, origin: str) -> tuple[list[Any], TreeDef]:
    """The leaves and structure of `out`; `NonScalarOutputError` naming a leaf that is not
    a number."""
    if type(out) is float or isinstance(out, Node):
        return [out], LEAF
    leaves, treedef = tree_flatten(out)
    if treedef.is_leaf:
        scalar_output(out, origin)  # the same words as every transform of a scalar f
    for i, leaf in enumerate(leaves):
        if not is_scalar(leaf):
            path = treedef.paths(_OUT)[i]
            where = "f returned" if path == _OUT else f"{path} of what f returned is"
            raise NonScalarOutputError(
                f"{origin}: {where} a {type(leaf).__name__}, not a number; outputs may be "
                "numbers or containers of them (lists, tuples, dicts, ...)"
            )
    return leaves, treedef


def outputs_of(out: object, origin: str, *, allow_sequence: bool) -> list[float] | None:
    """`out` as a list of scalars if it is a sequence (and that is allowed), else None.

    Kept for the compiler's recorder, which accepts a scalar output only.
    """
    if is_scalar(out):
        return None
    if allow_sequence and isinstance(out, Sequence) and not isinstance(out, str):
        items = list(out)
        for i, item in enumerate(items):
            if not is_scalar(item):
                raise NonScalarOutputError(
                    f"{origin}: output {i} of f is a {type(item).__name__}, not a scalar"
                )
        return items
    scalar_output(out, origin)
    return None
