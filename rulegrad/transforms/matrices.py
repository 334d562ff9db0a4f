"""Transforms built from the basic ones: `jacobian`, `hessian`, `derivative`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol, TypeAlias, overload

from rulegrad.kernel import ArgumentError, new_tag
from rulegrad.modes.forward import FORWARD, make_dual
from rulegrad.transforms._tracing import (
    Args,
    flat_output,
    forward_pass,
    lower_tree,
    pull_back,
    scalar_output,
    split_aux,
    split_dual,
    trace_reverse,
)
from rulegrad.transforms.gradients import (
    A,
    A_co,
    Mode,
    ModeLike,
    P,
    check_function,
    check_has_aux,
    flat_gradient,
    normalize_mode,
    positions,
)
from rulegrad.transforms.tree import TreeDef

__all__ = [
    "MatrixAndAuxOf",
    "MatrixOf",
    "hessian",
    "hessian_rows",
    "jacobian",
    "jacobian_rows",
]

Matrix = list[list[float]]
# Outputs that are containers other than a flat sequence of numbers.
_Nested: TypeAlias = "Mapping[Any, Any] | Sequence[Sequence[Any] | Mapping[Any, Any]] | None"


def _check_argnums(argnums: object, origin: str) -> None:
    if argnums is None:
        return
    nums = argnums if isinstance(argnums, (tuple, list)) else (argnums,)
    if any(isinstance(n, bool) or not isinstance(n, int) for n in nums):
        raise ArgumentError(
            f"{origin}: argnums must be None, an int or a tuple of ints, got {argnums!r}"
        )


def _arguments(
    f: Callable[..., object],
    argnums: int | tuple[int, ...] | None,
    origin: str,
    args: tuple[object, ...],
    kwargs: dict[str, object],
) -> Args:
    """The differentiated arguments: `argnums`, or every positional argument for None (the
    derivative then has one argument's structure when there is one argument)."""
    if argnums is None:
        return Args(f, args, kwargs, tuple(range(len(args))), len(args) == 1, origin)
    nums = positions(argnums, len(args), origin, kwargs)
    return Args(f, args, kwargs, nums, isinstance(argnums, int), origin)


def _flat_jacobian(args: Args, mode: Mode, has_aux: bool) -> tuple[Matrix, TreeDef, object]:
    """Rows d out_i / d leaf_j over the leaves of the output and of the arguments."""
    origin = args.origin
    if mode is Mode.REVERSE:  # one backward sweep per output
        tag, nodes, result = trace_reverse(args)
        out, aux = split_aux(result, has_aux, origin)
        leaves, treedef = flat_output(out, origin)
        rows = [pull_back(tag, nodes, [(leaf, 1.0)]) for leaf in leaves]
        return rows, treedef, lower_tree(aux, tag)
    if not args.leaves:
        out, aux = split_aux(args.call(args.leaves), has_aux, origin)
        leaves, treedef = flat_output(out, origin)
        return [[] for _ in leaves], treedef, aux
    columns: list[list[float]] = []  # one forward pass per input
    structure: TreeDef | None = None
    first_aux: object = None
    for k in range(len(args.leaves)):
        tag, result = forward_pass(args, {k: 1.0})
        out, aux = split_aux(result, has_aux, origin)
        leaves, treedef = flat_output(out, origin)
        if structure is not None and treedef != structure:
            raise ArgumentError(f"{origin}: f returned {structure!r}, then {treedef!r}")
        structure = treedef
        columns.append([split_dual(leaf, tag)[1] for leaf in leaves])
        if k == 0:
            first_aux = lower_tree(aux, tag)
    assert structure is not None  # there was at least one pass
    rows = [[column[i] for column in columns] for i in range(structure.num_leaves)]
    return rows, structure, first_aux


def _shape_jacobian(args: Args, rows: Matrix, treedef: TreeDef) -> object:
    """Rows for positional numbers and a flat output; else nested as JAX's: the output's
    structure outside, the arguments' inside."""
    if args.all_scalars and (treedef.is_leaf or treedef.is_flat_sequence):
        return rows
    return treedef.unflatten([args.structure(row) for row in rows])


class MatrixOf(Protocol[P]):
    """What `rg.jacobian(f)` and `rg.hessian(f)` return: rows of floats when every positional
    argument is a number, else a nested structure (typed `Any`: Python's types cannot
    spell it)."""

    __name__: str

    @overload
    def __call__(self, *args: float, **kwargs: Any) -> list[list[float]]: ...
    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any: ...


class MatrixAndAuxOf(Protocol[P, A_co]):
    """What `rg.jacobian(f, has_aux=True)` and `rg.hessian(f, has_aux=True)` return."""

    __name__: str

    @overload
    def __call__(self, *args: float, **kwargs: Any) -> tuple[list[list[float]], A_co]: ...
    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> tuple[Any, A_co]: ...


@overload
def jacobian(
    f: Callable[P, float | Sequence[float]],
    argnums: int | tuple[int, ...] | None = None,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[False] = False,
) -> MatrixOf[P]: ...
@overload
def jacobian(
    f: Callable[P, _Nested],
    argnums: int | tuple[int, ...] | None = None,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[False] = False,
) -> Callable[P, Any]: ...
@overload
def jacobian(
    f: Callable[P, tuple[float | Sequence[float], A]],
    argnums: int | tuple[int, ...] | None = None,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[True],
) -> MatrixAndAuxOf[P, A]: ...
@overload
def jacobian(
    f: Callable[P, tuple[_Nested, A]],
    argnums: int | tuple[int, ...] | None = None,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[True],
) -> Callable[P, tuple[Any, A]]: ...


def jacobian(
    f: Callable[..., object],
    argnums: int | tuple[int, ...] | None = None,
    *,
    mode: ModeLike = "reverse",
    has_aux: bool = False,
) -> Callable[..., object]:
    """The Jacobian of `f` with respect to `argnums` (default: every positional argument).

    For numbers in and a number or a list of numbers out, it is m rows of n floats (a
    scalar `f` gives one row). With containers, it nests as JAX's does: the output's
    structure outside, and at each output leaf the derivative shaped like the arguments
    (one argument's structure for an int `argnums` or a single argument, else a tuple).
    Reverse mode makes one backward sweep per output, forward mode one forward pass per
    input: pick the mode whose count is smaller. Keyword arguments are constants. With
    `has_aux=True`, `f` returns `(out, aux)` and the result is `(jacobian, aux)`.

    >>> import rulegrad as rg
    >>> rg.jacobian(lambda x, y: [x * y, x + y])(2.0, 3.0)
    [[3.0, 2.0], [1.0, 1.0]]
    >>> rg.jacobian(lambda p: {"r": p["a"] * p["b"]}, mode="forward")({"a": 2.0, "b": 3.0})
    {'r': {'a': 3.0, 'b': 2.0}}
    """
    origin = "rg.jacobian"
    check_function(f, origin)
    _check_argnums(argnums, origin)
    checked = normalize_mode(mode)
    aux_wanted = check_has_aux(has_aux, origin)

    @functools.wraps(f)
    def jacobian_f(*args: object, **kwargs: object) -> object:
        spec = _arguments(f, argnums, origin, args, kwargs)
        rows, treedef, aux = _flat_jacobian(spec, checked, aux_wanted)
        result = _shape_jacobian(spec, rows, treedef)
        return (result, aux) if aux_wanted else result

    return jacobian_f


def jacobian_rows(
    f: Callable[..., object], point: Sequence[float], mode: ModeLike = "reverse"
) -> Matrix:
    """`jacobian(f, mode=mode)(*point)` as rows, for callers that hold `f` as
    `Callable[..., ...]` (the public overloads cannot type that case)."""
    spec = Args(f, point, {}, tuple(range(len(point))), False, "rg.jacobian")
    return _flat_jacobian(spec, normalize_mode(mode), False)[0]


def hessian_rows(
    f: Callable[..., object], point: Sequence[float], mode: ModeLike = "reverse"
) -> Matrix:
    """`hessian(f, mode=mode)(*point)` as rows, for callers that hold `f` as
    `Callable[..., float]`."""
    spec = Args(f, point, {}, tuple(range(len(point))), False, "rg.hessian")
    return _flat_hessian(spec, normalize_mode(mode), False)[0]


def _flat_hessian(args: Args, mode: Mode, has_aux: bool) -> tuple[Matrix, object]:
    """The symmetric matrix d^2 f / d leaf_i d leaf_j: a forward pass per leaf through the
    gradient in `mode`; the two mixed partials of each pair are averaged."""
    origin = args.origin
    n = len(args.leaves)
    if n == 0:
        out, aux = split_aux(args.call([]), has_aux, origin)
        scalar_output(out, origin)
        return [], aux
    columns: list[list[float]] = []
    first_aux: object = None
    for j in range(n):
        with new_tag(FORWARD, origin) as tag:
            leaves: list[float] = list(args.leaves)
            leaves[j] = make_dual(leaves[j], 1.0, tag)  # type: ignore[call-overload]
            _, gradient, aux = flat_gradient(args, mode, has_aux, leaves)
        columns.append([split_dual(g, tag)[1] for g in gradient])
        if j == 0:
            first_aux = lower_tree(aux, tag)
    matrix = [[0.5 * (columns[j][i] + columns[i][j]) for j in range(n)] for i in range(n)]
    return matrix, first_aux


@overload
def hessian(
    f: Callable[P, float],
    argnums: int | tuple[int, ...] | None = None,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[False] = False,
) -> MatrixOf[P]: ...
@overload
def hessian(
    f: Callable[P, tuple[float, A]],
    argnums: int | tuple[int, ...] | None = None,
    *,
    mode: ModeLike = "reverse",
    has_aux: Literal[True],
) -> MatrixAndAuxOf[P, A]: ...


def hessian(
    f: Callable[..., object],
    argnums: int | tuple[int, ...] | None = None,
    *,
    mode: ModeLike = "reverse",
    has_aux: bool = False,
) -> Callable[..., object]:
    """The Hessian of scalar `f` with respect to `argnums` (default: every positional one).

    Forward over `mode`: one forward pass per input through the gradient, taken in `mode`
    (reverse by default; "forward" builds no graph at all). The result is symmetric (the
    two mixed partials are averaged). For numbers in it is a list of rows; with containers
    it nests as JAX's `hessian` does (the arguments' structure, and inside each leaf the
    arguments' structure again). Keyword arguments are constants. With `has_aux=True`, `f`
    returns `(out, aux)` and the result is `(hessian, aux)`.

    >>> import rulegrad as rg
    >>> rg.hessian(lambda x, y: x * x * y)(1.0, 2.0)
    [[4.0, 2.0], [2.0, 0.0]]
    >>> rg.hessian(lambda p: p[0] * p[0] * p[1])([1.0, 2.0])
    [[4.0, 2.0], [2.0, 0.0]]
    """
    origin = "rg.hessian"
    check_function(f, origin)
    _check_argnums(argnums, origin)
    checked = normalize_mode(mode)
    aux_wanted = check_has_aux(has_aux, origin)

    @functools.wraps(f)
    def hessian_f(*args: object, **kwargs: object) -> object:
        spec = _arguments(f, argnums, origin, args, kwargs)
        matrix, aux = _flat_hessian(spec, checked, aux_wanted)
        if spec.all_scalars:
            result: object = matrix
        else:
            result = spec.structure([spec.structure(row) for row in matrix])
        return (result, aux) if aux_wanted else result

    return hessian_f
