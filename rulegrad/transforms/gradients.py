"""Gradients: `grad` and `value_and_grad` (`jvp` and `vjp` are in `directional.py`).

Each call of a transformed function opens a fresh tag, wraps the leaves of the
differentiated arguments as nodes of that tag, runs `f`, and reads the derivative back out,
shaped like the arguments. Anything `f` closes over keeps its own (lower) tag and is a
constant here, so transforms nest in any mix of modes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import Any, Concatenate, Literal, ParamSpec, Protocol, TypeAlias, TypeVar, overload

from rulegrad.kernel import ArgumentError, ModeError
from rulegrad.transforms._tracing import (
    Args,
    forward_pass,
    lower,
    lower_tree,
    pull_back,
    scalar_output,
    split_aux,
    split_dual,
    trace_reverse,
)

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
    "normalize_mode",
    "positions",
    "value_and_grad",
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
