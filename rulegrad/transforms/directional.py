"""Directional transforms: `jvp` (forward mode) and `vjp` (reverse mode, with a pullback).

Primals, tangents and cotangents may be containers: tangents have the structure of their
primals, cotangents that of the output (a list and a tuple stand for each other).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Literal, ParamSpec, TypeVar, overload

from rulegrad.kernel import ArgumentError, Tag
from rulegrad.transforms._tracing import (
    Args,
    flat_output,
    forward_pass,
    lower,
    lower_tree,
    numeric_leaves,
    pull_back,
    split_aux,
    split_dual,
    trace_reverse,
)
from rulegrad.transforms.gradients import check_function, check_has_aux
from rulegrad.transforms.tree import TreeDef, flatten_like

__all__ = ["jvp", "primals_tuple", "tangent_leaves", "vjp"]

P = ParamSpec("P")
R = TypeVar("R")  # what f returns
A = TypeVar("A")  # f's auxiliary output, with has_aux=True


def primals_tuple(given: object, what: str, origin: str) -> tuple[object, ...]:
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
    given = primals_tuple(tangents, "tangents", origin)
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
    given = primals_tuple(primals, "primals", origin)
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
