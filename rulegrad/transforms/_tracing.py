"""How a transform runs `f` at a fresh tag and reads its derivatives back out.

The transforms in `transforms.py` and `matrices.py` are built from these steps: wrap the
differentiated arguments as nodes of a new tag (`trace_reverse`, `forward_pass`), check
what `f` returned (`outputs_of`), and pull the derivatives out (`pull_back`, `split_dual`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

from rulegrad.kernel import ArgumentError, Dual, Node, NonScalarOutputError, Tag, Value, new_tag
from rulegrad.modes.forward import FORWARD, make_dual
from rulegrad.modes.reverse import REVERSE, backward, make_value

__all__ = [
    "as_scalar",
    "differentiated",
    "forward_pass",
    "outputs_of",
    "pull_back",
    "split_dual",
    "trace_reverse",
    "unwrap_reverse",
]


def differentiated(x: object, origin: str, position: int) -> float:
    """A differentiated argument: a real number, or a node of an enclosing transform."""
    if type(x) is float or isinstance(x, Node):  # Node: Value, Dual, Taylor's Series
        return x  # type: ignore[return-value]
    if isinstance(x, numbers.Real):
        return float(x)
    raise ArgumentError(
        f"{origin}: argument {position} is differentiated, so it must be a real number, "
        f"not {type(x).__name__}"
    )


def outputs_of(out: object, origin: str, *, allow_sequence: bool) -> list[float] | None:
    """`out` as a list of scalars if it is a sequence (and that is allowed), else None.

    Raises `NonScalarOutputError` for anything that is neither a scalar nor, where allowed,
    a sequence of scalars.
    """
    if _is_scalar(out):
        return None
    if allow_sequence and isinstance(out, Sequence) and not isinstance(out, str):
        items = list(out)
        for i, item in enumerate(items):
            if not _is_scalar(item):
                raise NonScalarOutputError(
                    f"{origin}: output {i} of f is a {type(item).__name__}, not a scalar"
                )
        return items
    shape = f" of length {len(out)}" if isinstance(out, Sequence) else ""
    hint = "; use rg.jacobian for functions with several outputs" if shape else ""
    raise NonScalarOutputError(
        f"{origin} needs f to return a scalar (a float, Value or Dual), "
        f"but it returned {type(out).__name__}{shape}{hint}"
    )


def _is_scalar(x: object) -> bool:
    return isinstance(x, Node) or (isinstance(x, numbers.Real) and not isinstance(x, bool))


def as_scalar(x: object) -> float:
    return x if type(x) is float or isinstance(x, Node) else float(x)  # type: ignore[return-value,arg-type]


def trace_reverse(
    f: Callable[..., object],
    args: Sequence[object],
    argnums: tuple[int, ...],
    origin: str,
    kwargs: dict[str, object],
) -> tuple[Tag, list[Value], object]:
    """Run `f` with the `argnums` arguments as fresh leaves of a new reverse tag."""
    call_args = list(args)
    with new_tag(REVERSE, origin) as tag:
        leaves = []
        for i in argnums:
            leaf = make_value(differentiated(args[i], origin, i), (), None, tag)
            leaves.append(leaf)
            call_args[i] = leaf
        out = f(*call_args, **kwargs)
    return tag, leaves, out


def pull_back(tag: Tag, leaves: list[Value], seeds: list[tuple[object, float]]) -> list[float]:
    """The cotangents of `leaves` for output cotangents `seeds` (output, cotangent)."""
    roots = [(out, ct) for out, ct in seeds if type(out) is Value and out._tag is tag]
    for leaf in leaves:
        leaf.grad = 0.0
    if roots:
        backward(roots, accumulate=False)
    return [leaf.grad for leaf in leaves]


def unwrap_reverse(out: object, tag: Tag) -> float:
    """The value of an output of a reverse trace, at the level enclosing `tag`."""
    return out.data if type(out) is Value and out._tag is tag else as_scalar(out)


def forward_pass(
    f: Callable[..., object],
    args: Sequence[object],
    tangents: dict[int, float],
    origin: str,
    kwargs: dict[str, object],
) -> tuple[object, Tag]:
    """Run `f` with the arguments in `tangents` as duals of a new forward tag."""
    call_args = list(args)
    with new_tag(FORWARD, origin) as tag:
        for i, tangent in tangents.items():
            call_args[i] = make_dual(differentiated(args[i], origin, i), tangent, tag)
        return f(*call_args, **kwargs), tag


def split_dual(out: object, tag: Tag) -> tuple[float, float]:
    """(primal, tangent) of an output of a forward pass; constants have tangent 0.0."""
    if type(out) is Dual and out._tag is tag:
        return out.primal, out.tangent
    return as_scalar(out), 0.0
