"""Functional transforms: `grad`, `value_and_grad`, `jvp`, `vjp`.

Each call of a transformed function opens a fresh tag, wraps the differentiated arguments
as nodes of that tag, runs `f`, and reads the derivative back out. Anything `f` closes over
keeps its own (lower) tag and is a constant here, so transforms nest in any mix of modes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import Literal, ParamSpec, TypeAlias, overload

from rulegrad.kernel import ArgumentError, ModeError
from rulegrad.transforms._tracing import (
    as_scalar,
    differentiated,
    forward_pass,
    outputs_of,
    pull_back,
    split_dual,
    trace_reverse,
    unwrap_reverse,
)

__all__ = ["Mode", "ModeLike", "P", "grad", "jvp", "normalize_mode", "value_and_grad", "vjp"]

P = ParamSpec("P")


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


def _argnums(
    argnums: int | Sequence[int], nargs: int, origin: str, keywords: Iterable[str]
) -> tuple[int, ...]:
    """`argnums` as non-negative positions among `nargs` positional arguments, checked."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if isinstance(n, bool) or not isinstance(n, int):
            raise ArgumentError(f"{origin}: argnums must be ints, got {n!r}")
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


def _value_and_grads(
    f: Callable[..., object],
    mode: Mode,
    args: tuple[object, ...],
    nums: tuple[int, ...],
    origin: str,
    kwargs: dict[str, object],
) -> tuple[float, list[float]]:
    if mode is Mode.REVERSE:
        tag, leaves, out = trace_reverse(f, args, nums, origin, kwargs)
        outputs_of(out, origin, allow_sequence=False)
        return unwrap_reverse(out, tag), pull_back(tag, leaves, [(out, 1.0)])
    if not nums:
        out = f(*args, **kwargs)
        outputs_of(out, origin, allow_sequence=False)
        return as_scalar(out), []
    value, grads = 0.0, []
    for i in nums:  # one forward pass per differentiated argument
        out, tag = forward_pass(f, args, {i: 1.0}, origin, kwargs)
        outputs_of(out, origin, allow_sequence=False)
        value, tangent = split_dual(out, tag)
        grads.append(tangent)
    return value, grads


@overload
def value_and_grad(
    f: Callable[P, float], argnums: int = 0, *, mode: ModeLike = "reverse"
) -> Callable[P, tuple[float, float]]: ...
@overload
def value_and_grad(
    f: Callable[P, float], argnums: tuple[int, ...], *, mode: ModeLike = "reverse"
) -> Callable[P, tuple[float, tuple[float, ...]]]: ...


def value_and_grad(
    f: Callable[P, float], argnums: int | tuple[int, ...] = 0, *, mode: ModeLike = "reverse"
) -> Callable[P, tuple[float, float]] | Callable[P, tuple[float, tuple[float, ...]]]:
    """Like `grad`, but the function returns `(f(*args), gradient)` from one pass.

    >>> import rulegrad as rg
    >>> rg.value_and_grad(lambda x: x * x)(3.0)
    (9.0, 6.0)
    """
    checked = normalize_mode(mode)

    @functools.wraps(f)
    def value_and_grad_f(*args: P.args, **kwargs: P.kwargs) -> tuple[float, object]:
        nums = _argnums(argnums, len(args), "rg.value_and_grad", kwargs)
        value, grads = _value_and_grads(f, checked, args, nums, "rg.value_and_grad", kwargs)
        return value, (grads[0] if isinstance(argnums, int) else tuple(grads))

    return value_and_grad_f  # type: ignore[return-value]


@overload
def grad(
    f: Callable[P, float], argnums: int = 0, *, mode: ModeLike = "reverse"
) -> Callable[P, float]: ...
@overload
def grad(
    f: Callable[P, float], argnums: tuple[int, ...], *, mode: ModeLike = "reverse"
) -> Callable[P, tuple[float, ...]]: ...


def grad(
    f: Callable[P, float], argnums: int | tuple[int, ...] = 0, *, mode: ModeLike = "reverse"
) -> Callable[P, float] | Callable[P, tuple[float, ...]]:
    """The gradient of scalar `f` with respect to the argument(s) `argnums`.

    An int `argnums` gives a float, a tuple gives a tuple. Transforms nest:
    `grad(grad(f))` is the second derivative, in any mix of modes.

    >>> import rulegrad as rg
    >>> rg.grad(lambda x, y: x * rg.sin(y), argnums=(0, 1))(2.0, 0.0)
    (0.0, 2.0)
    """
    checked = normalize_mode(mode)

    @functools.wraps(f)
    def grad_f(*args: P.args, **kwargs: P.kwargs) -> object:
        nums = _argnums(argnums, len(args), "rg.grad", kwargs)
        _, grads = _value_and_grads(f, checked, args, nums, "rg.grad", kwargs)
        return grads[0] if isinstance(argnums, int) else tuple(grads)

    return grad_f  # type: ignore[return-value]


def jvp(
    f: Callable[..., float], primals: Sequence[float], tangents: Sequence[float]
) -> tuple[float, float]:
    """Forward mode: `(f(*primals), directional derivative of f along tangents)`.

    >>> import rulegrad as rg
    >>> rg.jvp(lambda x, y: x * y, (2.0, 3.0), (1.0, 0.0))
    (6.0, 3.0)
    """
    if len(primals) != len(tangents):
        raise ArgumentError(
            f"rg.jvp: {len(primals)} primals but {len(tangents)} tangents; "
            "give one tangent per primal"
        )
    directions = {i: differentiated(t, "rg.jvp tangent", i) for i, t in enumerate(tangents)}
    out, tag = forward_pass(f, tuple(primals), directions, "rg.jvp", {})
    outputs_of(out, "rg.jvp", allow_sequence=False)
    return split_dual(out, tag)


@overload
def vjp(
    f: Callable[..., float], *primals: float
) -> tuple[float, Callable[[float], tuple[float, ...]]]: ...
@overload
def vjp(
    f: Callable[..., Sequence[float]], *primals: float
) -> tuple[list[float], Callable[[Sequence[float]], tuple[float, ...]]]: ...


def vjp(
    f: Callable[..., object], *primals: float
) -> tuple[object, Callable[..., tuple[float, ...]]]:
    """Reverse mode: `(f(*primals), pullback)`; `pullback(cotangent)` gives one per primal.

    `f` may return a scalar (the cotangent is a float) or a sequence of scalars (the
    cotangent is a sequence of the same length). The pullback can be called many times.

    >>> import rulegrad as rg
    >>> out, pullback = rg.vjp(lambda x, y: x * y, 2.0, 3.0)
    >>> out, pullback(1.0)
    (6.0, (3.0, 2.0))
    """
    tag, leaves, out = trace_reverse(f, primals, tuple(range(len(primals))), "rg.vjp", {})
    outputs = outputs_of(out, "rg.vjp", allow_sequence=True)

    def pullback(cotangent: float | Sequence[float]) -> tuple[float, ...]:
        if outputs is None:
            seeds = [(out, differentiated(cotangent, "rg.vjp pullback", 0))]
        else:
            if (
                isinstance(cotangent, (str, bytes))
                or not isinstance(cotangent, Sequence)
                or (len(cotangent) != len(outputs))
            ):
                raise ArgumentError(
                    f"rg.vjp: f returned {len(outputs)} outputs, so the pullback takes a "
                    f"sequence of {len(outputs)} cotangents"
                )
            seeds = [(o, differentiated(c, "rg.vjp pullback", i))
                     for i, (o, c) in enumerate(zip(outputs, cotangent, strict=True))]  # fmt: skip
        return tuple(pull_back(tag, leaves, seeds))

    if outputs is None:
        return unwrap_reverse(out, tag), pullback
    return [unwrap_reverse(o, tag) for o in outputs], pullback
