"""Functional transforms: `grad`, `value_and_grad`, `jvp`, `vjp`.

Each call of a transformed function opens a fresh tag, wraps the leaves of the
differentiated arguments as nodes of that tag, runs `f`, and reads the derivative back out,
shaped like the arguments. Anything `f` closes over keeps its own (lower) tag and is a
constant here, so transforms nest in any mix of modes.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import Any, Concatenate, Literal, ParamSpec, Protocol, TypeAlias, TypeVar, overload

from rulegrad.kernel import ArgumentError, ModeError, Tag
from rulegrad.transforms._tracing import (
    Args,
    flat_output,
    forward_pass,
    lower,
    lower_tree,
    numeric_leaves,
    pull_back,
    scalar_output,
    split_aux,
    split_dual,
    trace_reverse,
)
from rulegrad.transforms.tree import TreeDef, flatten_like

__all__ = [
    "A",
    "A_co",
    "GradientAndAuxOf",
    "GradientOf",
    "Mode",
    "ModeLike",
    "P",
    "R",
    "ValueAndGradientOf",
    "ValueAuxAndGradientOf",
    "check_function",
    "check_has_aux",
    "flat_gradient",
    "grad",
    "jvp",
    "normalize_mode",
    "positions",
    "tangent_leaves",
    "value_and_grad",
    "vjp",
]

P = ParamSpec("P")
R = TypeVar("R")  # what f returns
A = TypeVar("A")  # f's auxiliary output, with has_aux=True
A_co = TypeVar("A_co", covariant=True)


class Mode(str, Enum):
    """The two differentiation modes; plain strings `"forward"`/`"reverse"` work as well."""

    FORWARD = "forward"
    REVERSE = "reverse"


ModeLike: TypeAlias = Mode | Literal["forward", "reverse"]


def normalize_mode(mode: object) -> Mode:
    """`mode` as a `Mode`; `ModeError` (a `ValueError`) for anything else."""
    try:
        return Mode(mode)
    except ValueError:
        raise ModeError(mode) from None


def check_function(f: object, origin: str) -> None:
    """`ArgumentError` unless `f` can be called."""
    if not callable(f):
        raise ArgumentError(f"{origin} needs a function to transform, not {type(f).__name__}")


def check_has_aux(has_aux: object, origin: str) -> bool:
    if type(has_aux) is not bool:
        raise ArgumentError(f"{origin}: has_aux must be True or False, not {has_aux!r}")
    return has_aux


def _check_argnums(argnums: object, origin: str) -> None:
    """`ArgumentError` unless `argnums` is an int or a tuple (or list) of ints."""
    nums = argnums if isinstance(argnums, (tuple, list)) else (argnums,)
    for n in nums:
        if isinstance(n, bool) or not isinstance(n, int):
            raise ArgumentError(
                f"{origin}: argnums must be an int or a tuple of ints, got {argnums!r}"
            )


def positions(
    argnums: int | Sequence[int], nargs: int, origin: str, keywords: Iterable[str]
) -> tuple[int, ...]:
    """`argnums` as non-negative positions among `nargs` positional arguments, checked."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not -nargs <= n < nargs:
            names = ", ".join(keywords)
            hint = (
                f"; keyword arguments ({names}) are held constant, so pass the arguments "
                "to differentiate positionally"
                if names
                else ""
            )
            raise ArgumentError(
                f"{origin}: argnums={argnums!r} needs at least {(n if n >= 0 else -n - 1) + 1} "
                f"positional argument{'' if n in (0, -1) else 's'}, but the function was "
                f"called with {nargs}{hint}"
            )
    normalized = tuple(n % nargs for n in nums)
    if len(set(normalized)) != len(normalized):
        raise ArgumentError(f"{origin}: argnums={argnums!r} names an argument twice")
    return normalized


def flat_gradient(
    args: Args, mode: Mode, has_aux: bool, leaves: Sequence[float] | None = None
) -> tuple[object, list[float], object]:
    """(value, gradient, aux) of scalar `f` with respect to each leaf of `args`.

    `leaves` replaces `args.leaves` (an enclosing transform's nodes, say). Reverse mode makes
    one pass and one backward sweep; forward mode one pass per leaf.
    """
    origin = args.origin
    values = args.leaves if leaves is None else leaves
    if mode is Mode.REVERSE:
        tag, nodes, result = trace_reverse(args, values)
        out, aux = split_aux(result, has_aux, origin)
        scalar_output(out, origin)
        return lower(out, tag), pull_back(tag, nodes, [(out, 1.0)]), lower_tree(aux, tag)
    if not values:
        out, aux = split_aux(args.call(values), has_aux, origin)
        scalar_output(out, origin)
        return out, [], aux
    value: object = 0.0
    first_aux: object = None
    gradient: list[float] = []
    for k in range(len(values)):  # one forward pass per leaf
        tag, result = forward_pass(args, {k: 1.0}, values)
        out, aux = split_aux(result, has_aux, origin)
        scalar_output(out, origin)
        value, tangent = split_dual(out, tag)
        gradient.append(tangent)
        if k == 0:
            first_aux = lower_tree(aux, tag)
    return value, gradient, first_aux


def _evaluate(
    f: Callable[..., object],
    argnums: int | tuple[int, ...],
    mode: Mode,
    has_aux: bool,
    origin: str,
    args: tuple[object, ...],
    kwargs: dict[str, object],
) -> tuple[object, object, object]:
    nums = positions(argnums, len(args), origin, kwargs)
    spec = Args(f, args, kwargs, nums, isinstance(argnums, int), origin)
    value, gradient, aux = flat_gradient(spec, mode, has_aux)
    return value, spec.structure(gradient), aux


def _transform(
    f: Callable[..., object],
    argnums: int | tuple[int, ...],
    mode: object,
    has_aux: object,
    origin: str,
) -> tuple[Mode, bool]:
    check_function(f, origin)
    _check_argnums(argnums, origin)
    return normalize_mode(mode), check_has_aux(has_aux, origin)


# Typing. The gradient of the first argument (argnums=0, the default) is typed as that
# argument: a `dict[str, list[float]]` in, the same out. The transformed function is a
# Protocol whose `__call__` takes the first argument's type from the call itself, so an
# unannotated lambda still gives a float for a float. Another int argnums gives a float (a
# container there is typed as a float: Python's types cannot pick argument n of P), and a
# tuple of argnums a tuple of Any.
_T = TypeVar("_T")


class GradientOf(Protocol[P]):
    """What `rg.grad(f)` returns: the gradient with respect to the first argument."""

    __name__: str

    def __call__(self, x: _T, /, *args: P.args, **kwargs: P.kwargs) -> _T: ...


class GradientAndAuxOf(Protocol[P, A_co]):
    """What `rg.grad(f, has_aux=True)` returns: `(gradient, aux)`."""

    __name__: str

    def __call__(self, x: _T, /, *args: P.args, **kwargs: P.kwargs) -> tuple[_T, A_co]: ...


class ValueAndGradientOf(Protocol[P]):
    """What `rg.value_and_grad(f)` returns: `(value, gradient)`."""

    __name__: str

    def __call__(self, x: _T, /, *args: P.args, **kwargs: P.kwargs) -> tuple[float, _T]: ...


class ValueAuxAndGradientOf(Protocol[P, A_co]):
    """What `rg.value_and_grad(f, has_aux=True)` returns: `((value, aux), gradient)`."""

    __name__: str

    def __call__(
        self, x: _T, /, *args: P.args, **kwargs: P.kwargs
    ) -> tuple[tuple[float, A_co], _T]: ...


@overload
def value_and_grad(  # type: ignore[overload-overlap]
    f: Callable[Concatenate[Any, P], float],
    argnums: Literal[0] = 0,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[False] = False,
) -> ValueAndGradientOf[P]: ...
@overload
def value_and_grad(
    f: Callable[P, float],
    argnums: int,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[False] = False,
) -> Callable[P, tuple[float, float]]: ...
@overload
def value_and_grad(
    f: Callable[P, float],
    argnums: tuple[int, ...],
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[False] = False,
) -> Callable[P, tuple[float, tuple[Any, ...]]]: ...
@overload
def value_and_grad(  # type: ignore[overload-overlap]
    f: Callable[Concatenate[Any, P], tuple[float, A]],
    argnums: Literal[0] = 0,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[True],
) -> ValueAuxAndGradientOf[P, A]: ...
@overload
def value_and_grad(
    f: Callable[P, tuple[float, A]],
    argnums: int,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[True],
) -> Callable[P, tuple[tuple[float, A], float]]: ...
@overload
def value_and_grad(
    f: Callable[P, tuple[float, A]],
    argnums: tuple[int, ...],
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[True],
) -> Callable[P, tuple[tuple[float, A], tuple[Any, ...]]]: ...


def value_and_grad(
    f: Callable[..., object],
    argnums: int | tuple[int, ...] = 0,
    *,
    mode: ModeLike = "reverse",
    has_aux: bool = False,
) -> Callable[..., object]:
    """Like `grad`, but the function returns `(f(*args), gradient)` from one pass.

    With `has_aux=True`, `f` returns `(out, aux)` and the result is `((out, aux), gradient)`.

    >>> import rulegrad as rg
    >>> rg.value_and_grad(lambda x: x * x)(3.0)
    (9.0, 6.0)
    >>> rg.value_and_grad(lambda p: (p["a"] ** 2, {"a": p["a"]}), has_aux=True)({"a": 3.0})
    ((9.0, {'a': 3.0}), {'a': 6.0})
    """
    origin = "rg.value_and_grad"
    checked, aux_wanted = _transform(f, argnums, mode, has_aux, origin)

    @functools.wraps(f)
    def value_and_grad_f(*args: object, **kwargs: object) -> tuple[object, object]:
        value, gradient, aux = _evaluate(f, argnums, checked, aux_wanted, origin, args, kwargs)
        return ((value, aux) if aux_wanted else value), gradient

    return value_and_grad_f


@overload
def grad(  # type: ignore[overload-overlap]
    f: Callable[Concatenate[Any, P], float],
    argnums: Literal[0] = 0,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[False] = False,
) -> GradientOf[P]: ...
@overload
def grad(
    f: Callable[P, float],
    argnums: int,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[False] = False,
) -> Callable[P, float]: ...
@overload
def grad(
    f: Callable[P, float],
    argnums: tuple[int, ...],
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[False] = False,
) -> Callable[P, tuple[Any, ...]]: ...
@overload
def grad(  # type: ignore[overload-overlap]
    f: Callable[Concatenate[Any, P], tuple[float, A]],
    argnums: Literal[0] = 0,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[True],
) -> GradientAndAuxOf[P, A]: ...
@overload
def grad(
    f: Callable[P, tuple[float, A]],
    argnums: int,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[True],
) -> Callable[P, tuple[float, A]]: ...
@overload
def grad(
    f: Callable[P, tuple[float, A]],
    argnums: tuple[int, ...],
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[True],
) -> Callable[P, tuple[tuple[Any, ...], A]]: ...


def grad(
    f: Callable[..., object],
    argnums: int | tuple[int, ...] = 0,
    *,
    mode: ModeLike = "reverse",
    has_aux: bool = False,
) -> Callable[..., object]:
    """The gradient of scalar `f` with respect to the argument(s) `argnums`.

    The gradient has the structure of the argument: a float for a float, a dict of lists
    for a dict of lists (any nesting of lists, tuples, dicts, NamedTuples and registered
    containers), with float leaves. An int `argnums` gives one such structure, a tuple
    gives a tuple of them. With `has_aux=True`, `f` returns `(out, aux)` and the result is
    `(gradient, aux)`, every traced number in `aux` lowered to its value. Transforms nest:
    `grad(grad(f))` is the second derivative, in any mix of modes.

    >>> import rulegrad as rg
    >>> rg.grad(lambda x, y: x * rg.sin(y), argnums=(0, 1))(2.0, 0.0)
    (0.0, 2.0)
    >>> rg.grad(lambda p: p["w"][0] * p["w"][1] + p["b"])({"w": [2.0, 3.0], "b": 1.0})
    {'w': [3.0, 2.0], 'b': 1.0}
    """
    origin = "rg.grad"
    checked, aux_wanted = _transform(f, argnums, mode, has_aux, origin)

    @functools.wraps(f)
    def grad_f(*args: object, **kwargs: object) -> object:
        _, gradient, aux = _evaluate(f, argnums, checked, aux_wanted, origin, args, kwargs)
        return (gradient, aux) if aux_wanted else gradient

    return grad_f


def _arguments(given: object, what: str, origin: str) -> tuple[object, ...]:
    """`primals` or `tangents` as a tuple: they must be a tuple or list, one per argument."""
    if not isinstance(given, (tuple, list)):
        raise ArgumentError(
            f"{origin}: {what} must be a tuple (or list) with one entry per argument of f, "
            f"not {type(given).__name__}; write {what}=(x,) for a function of one argument"
        )
    return tuple(given)


def tangent_leaves(args: Args, tangents: object, origin: str) -> list[float]:
    """The leaves of `tangents`, which must match the differentiated arguments one for one,
    each with the same structure as its primal."""
    given = _arguments(tangents, "tangents", origin)
    if len(given) != len(args.nums):
        raise ArgumentError(
            f"{origin}: {len(args.nums)} primals but {len(given)} tangents; "
            "give one tangent per primal"
        )
    if args.flat and all(type(t) is float for t in given):
        return list(given)  # type: ignore[arg-type]
    leaves: list[float] = []
    for i, (tangent, treedef) in enumerate(zip(given, args.treedefs, strict=True)):
        root = f"tangents[{i}]"
        found = flatten_like(tangent, treedef, root, origin)
        leaves.extend(numeric_leaves(found, treedef, root, origin))
    return leaves


@overload
def jvp(
    f: Callable[..., R],
    primals: Sequence[float],
    tangents: Sequence[float],
    has_aux: Literal[False] = False,
) -> tuple[R, R]: ...
@overload
def jvp(
    f: Callable[..., R],
    primals: tuple[object, ...],
    tangents: tuple[object, ...],
    has_aux: Literal[False] = False,
) -> tuple[R, R]: ...
@overload
def jvp(
    f: Callable[..., tuple[R, A]],
    primals: Sequence[object],
    tangents: Sequence[object],
    has_aux: Literal[True],
) -> tuple[R, R, A]: ...


def jvp(
    f: Callable[..., object],
    primals: Sequence[object],
    tangents: Sequence[object],
    has_aux: bool = False,
) -> tuple[object, ...]:
    """Forward mode: `(f(*primals), directional derivative of f along tangents)`.

    `primals` holds one entry per argument of `f`, and `tangents` one of the same structure
    per primal. `f` may return any container of numbers: the tangent comes back in that
    structure. With `has_aux=True`, `f` returns `(out, aux)` and so the result is
    `(out, tangent, aux)`.

    >>> import rulegrad as rg
    >>> rg.jvp(lambda x, y: x * y, (2.0, 3.0), (1.0, 0.0))
    (6.0, 3.0)
    >>> rg.jvp(lambda p: {"sum": p[0] + p[1], "prod": p[0] * p[1]}, ([2.0, 3.0],), ([1.0, 0.0],))
    ({'sum': 5.0, 'prod': 6.0}, {'sum': 1.0, 'prod': 3.0})
    """
    origin = "rg.jvp"
    check_function(f, origin)
    aux_wanted = check_has_aux(has_aux, origin)
    given = _arguments(primals, "primals", origin)
    args = Args(f, given, {}, tuple(range(len(given))), False, origin)
    directions = tangent_leaves(args, tangents, origin)
    tag, result = forward_pass(args, dict(enumerate(directions)))
    out, aux = split_aux(result, aux_wanted, origin)
    leaves, treedef = flat_output(out, origin)
    pairs = [split_dual(leaf, tag) for leaf in leaves]
    value = treedef.unflatten([primal for primal, _ in pairs])
    tangent = treedef.unflatten([tangent for _, tangent in pairs])
    return (value, tangent, lower_tree(aux, tag)) if aux_wanted else (value, tangent)


# The pullback returns a tuple shaped like the primals; Python's types cannot spell that
# from P, so its entries are `Any`.
@overload
def vjp(  # type: ignore[overload-overlap]
    f: Callable[..., tuple[R, A]], *primals: object, has_aux: Literal[True], **kwargs: object
) -> tuple[R, Callable[[R], tuple[Any, ...]], A]: ...
@overload
def vjp(
    f: Callable[P, R], *primals: P.args, **kwargs: P.kwargs
) -> tuple[R, Callable[[R], tuple[Any, ...]]]: ...


def vjp(f: Callable[..., object], *primals: object, **kwargs: object) -> tuple[Any, ...]:
    """Reverse mode: `(f(*primals), pullback)`; `pullback(cotangent)` gives a tuple shaped like
    `primals`.

    `f` may return a number (the cotangent is a number) or any container of numbers (the
    cotangent has the same structure; a list and a tuple stand for each other). Keyword
    arguments are passed to `f` as constants, except `has_aux`: with `has_aux=True`, `f`
    returns `(out, aux)` and the result is `(out, pullback, aux)`. The pullback can be
    called many times, and from many threads at once.

    >>> import rulegrad as rg
    >>> out, pullback = rg.vjp(lambda x, y: x * y, 2.0, 3.0)
    >>> out, pullback(1.0)
    (6.0, (3.0, 2.0))
    >>> out, pullback = rg.vjp(lambda p: [p["a"] * 2.0, p["a"] ** 2], {"a": 3.0})
    >>> out, pullback([1.0, 1.0])
    ([6.0, 9.0], ({'a': 8.0},))
    """
    has_aux = kwargs.pop("has_aux", False)
    origin = "rg.vjp"
    check_function(f, origin)
    aux_wanted = check_has_aux(has_aux, origin)
    args = Args(f, primals, kwargs, tuple(range(len(primals))), False, origin)
    tag, nodes, result = trace_reverse(args)
    out, aux = split_aux(result, aux_wanted, origin)
    leaves, treedef = flat_output(out, origin)
    pullback = _Pullback(args, tag, nodes, leaves, treedef)
    value = treedef.unflatten([lower(leaf, tag) for leaf in leaves])
    if aux_wanted:
        return value, pullback, lower_tree(aux, tag)
    return value, pullback


class _Pullback:
    """The pullback of one `vjp` call. It reuses the recorded graph, whose nodes hold the
    cotangents of a sweep while it runs, so sweeps take turns (a lock per graph)."""

    __slots__ = ("__wrapped__", "_args", "_leaves", "_lock", "_nodes", "_tag", "_treedef")

    def __init__(
        self, args: Args, tag: Tag, nodes: list[Any], leaves: list[Any], treedef: TreeDef
    ) -> None:
        self._args = args
        self._tag = tag
        self._nodes = nodes
        self._leaves = leaves
        self._treedef = treedef
        self._lock = threading.Lock()
        self.__wrapped__ = args.f

    def __call__(self, cotangent: object) -> tuple[Any, ...]:
        origin = "rg.vjp pullback"
        found = flatten_like(cotangent, self._treedef, "cotangent", origin)
        cotangents = numeric_leaves(found, self._treedef, "cotangent", origin)
        seeds = list(zip(self._leaves, cotangents, strict=True))
        with self._lock:
            gradient = pull_back(self._tag, self._nodes, seeds)
        return tuple(self._args.parts(gradient))

    def __repr__(self) -> str:
        name = getattr(self._args.f, "__qualname__", "f")
        return f"<rg.vjp pullback of {name} at {len(self._nodes)} inputs>"
