"""Transforms built from the basic ones: `jacobian`, `hessian`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from rulegrad.kernel import ArgumentError
from rulegrad.transforms._tracing import (
    forward_pass,
    outputs_of,
    pull_back,
    split_dual,
    trace_reverse,
)
from rulegrad.transforms.gradients import Mode, ModeLike, P, grad, normalize_mode

__all__ = ["hessian", "jacobian"]

Vector = Callable[..., "float | Sequence[float]"]


def jacobian(
    f: Callable[P, float | Sequence[float]], *, mode: ModeLike = "reverse"
) -> Callable[P, list[list[float]]]:
    """The Jacobian of `f: R^n -> R^m` at the point given as n positional arguments.

    Returns m rows of n floats; a scalar `f` gives one row. Reverse mode makes one
    backward pass per output, forward mode one forward pass per input: pick the mode
    whose count is smaller. Keyword arguments are passed through as constants.

    >>> import rulegrad as rg
    >>> rg.jacobian(lambda x, y: [x * y, x + y])(2.0, 3.0)
    [[3.0, 2.0], [1.0, 1.0]]
    """
    checked = normalize_mode(mode)

    @functools.wraps(f)
    def jacobian_f(*args: P.args, **kwargs: P.kwargs) -> list[list[float]]:
        if checked is Mode.REVERSE:
            return _reverse_jacobian(f, args, kwargs)
        return _forward_jacobian(f, args, kwargs)

    return jacobian_f


def _reverse_jacobian(
    f: Vector, args: Sequence[object], kwargs: dict[str, object]
) -> list[list[float]]:
    tag, leaves, out = trace_reverse(f, args, tuple(range(len(args))), "rg.jacobian", kwargs)
    outputs = outputs_of(out, "rg.jacobian", allow_sequence=True)
    rows = [out] if outputs is None else outputs
    return [
        pull_back(tag, leaves, [(o, 1.0 if i == row else 0.0) for i, o in enumerate(rows)])
        for row in range(len(rows))
    ]


def _forward_jacobian(
    f: Vector, args: Sequence[object], kwargs: dict[str, object]
) -> list[list[float]]:
    columns: list[list[float]] = []
    height: int | None = None
    for column in range(len(args)):
        out, tag = forward_pass(f, args, {column: 1.0}, "rg.jacobian", kwargs)
        outputs = outputs_of(out, "rg.jacobian", allow_sequence=True)
        items = [out] if outputs is None else outputs
        if height is not None and len(items) != height:
            raise ArgumentError(f"rg.jacobian: f returned {height} outputs, then {len(items)}")
        height = len(items)
        columns.append([split_dual(item, tag)[1] for item in items])
    if height is None:  # no inputs: one row per output, each empty
        outputs = outputs_of(out := f(*args, **kwargs), "rg.jacobian", allow_sequence=True)
        return [[] for _ in ([out] if outputs is None else outputs)]
    return [[column[row] for column in columns] for row in range(height)]


def hessian(f: Callable[P, float]) -> Callable[P, list[list[float]]]:
    """The Hessian of scalar `f` at the point given as positional arguments.

    Forward over reverse: one forward pass per input through a reverse-mode gradient.
    The result is symmetric (the two mixed partials are averaged). Keyword arguments are
    passed through as constants.

    >>> import rulegrad as rg
    >>> rg.hessian(lambda x, y: x * x * y)(1.0, 2.0)
    [[4.0, 2.0], [2.0, 0.0]]
    """

    @functools.wraps(f)
    def hessian_f(*args: P.args, **kwargs: P.kwargs) -> list[list[float]]:
        n = len(args)
        gradient = grad(f, argnums=tuple(range(n)))
        rows = jacobian(gradient, mode="forward")(*args, **kwargs) if n else []
        return [[0.5 * (rows[i][j] + rows[j][i]) for j in range(n)] for i in range(n)]

    return hessian_f
