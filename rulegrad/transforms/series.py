"""Transforms on Taylor mode: `taylor`, `jet` and `derivative`.

`taylor` and `derivative` expand a function of one variable along x(t) = x + t; `jet`
pushes given series through a function of several, with JAX's convention for the terms.
All three cost a time polynomial in the order (see `taylor.py`), where nesting forward mode
k times costs about 3^k.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Final, overload

from rulegrad.kernel import ArgumentError, Node, new_tag
from rulegrad.modes.taylor import TaylorEngine, complete, is_ours, make_series
from rulegrad.transforms._tracing import differentiated, outputs_of
from rulegrad.transforms.directional import jvp
from rulegrad.transforms.gradients import check_function

__all__ = ["derivative", "expand", "jet", "taylor"]

# Up to this order `derivative` nests forward mode, which is faster there than building
# series (about 2x at orders 1 and 2; Taylor mode is faster from order 3 on, see the
# benchmark suite's `taylor` workload).
_FORWARD_UP_TO: Final = 2


def expand(
    f: Callable[..., object],
    inputs: Sequence[Sequence[float]],
    order: int,
    origin: str,
    *,
    scalar_only: bool = False,
    engine: TaylorEngine | None = None,
) -> tuple[bool, list[list[float]]]:
    """Run `f` on series with the given coefficients (x_k, not derivatives) to `order`.

    Returns whether `f` returned a scalar, and the coefficients 0..order of each output.
    A fresh engine is used unless one is given (tests pass one without recurrences, or
    count the series it made).
    """
    with new_tag(engine or TaylorEngine(), origin) as tag:
        leaves = [make_series(tag, list(coefficients), None) for coefficients in inputs]
        out = f(*leaves)
        outputs = outputs_of(out, origin, allow_sequence=not scalar_only)
        series = []
        for item in [out] if outputs is None else outputs:
            if is_ours(item, tag):
                series.append(complete(item, order))
            else:  # does not depend on the inputs
                series.append([_as_number(item)] + [0.0] * order)
    return outputs is None, series


def _as_number(x: object) -> float:
    """An output that does not depend on the inputs: a node of an outer level, or a float."""
    return x if type(x) is float or isinstance(x, Node) else float(x)  # type: ignore[return-value,arg-type]


# Taylor mode's cost grows with the square of the order: past this it would run for days.
MAX_ORDER: Final = 100_000


def _check_order(order: object, origin: str) -> int:
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise ArgumentError(f"{origin}: order must be a non-negative int, got {order!r}")
    if order > MAX_ORDER:
        digits = str(order)
        shown = digits if len(digits) <= 12 else f"{digits[:6]}... ({len(digits)} digits)"
        raise ArgumentError(
            f"{origin}: order {shown} is more than {MAX_ORDER:,}; the cost grows with the "
            "square of the order"
        )
    return order


def taylor(f: Callable[[float], float], order: int) -> Callable[[float], list[float]]:
    """The Taylor coefficients of `f` at x: `[f(x), f'(x), f''(x)/2!, ..., f^(k)(x)/k!]`.

    Each op's coefficients come from its partials rule (Taylor mode), so the cost grows
    polynomially with `order`. Nests with the other transforms: the coefficients are
    differentiable with respect to anything `f` closes over.

    >>> import rulegrad as rg
    >>> rg.taylor(lambda x: 1.0 / (1.0 - x), order=4)(0.0)
    [1.0, 1.0, 1.0, 1.0, 1.0]
    >>> [round(c, 12) for c in rg.taylor(rg.exp, order=3)(0.0)]
    [1.0, 1.0, 0.5, 0.166666666667]
    """
    check_function(f, "rg.taylor")
    checked = _check_order(order, "rg.taylor")

    @functools.wraps(f)
    def taylor_f(x: float) -> list[float]:
        x0 = differentiated(x, "rg.taylor: x")
        line = [x0, 1.0, *[0.0] * (checked - 1)][: checked + 1]
        _, (coefficients,) = expand(f, [line], checked, "rg.taylor", scalar_only=True)
        return coefficients

    return taylor_f


@overload
def jet(
    f: Callable[..., float], primals: Sequence[float], series: Sequence[Sequence[float]]
) -> tuple[float, list[float]]: ...
@overload
def jet(
    f: Callable[..., Sequence[float]],
    primals: Sequence[float],
    series: Sequence[Sequence[float]],
) -> tuple[list[float], list[list[float]]]: ...


def jet(
    f: Callable[..., object], primals: Sequence[float], series: Sequence[Sequence[float]]
) -> tuple[object, object]:
    """Push truncated Taylor series through `f`, as `jax.experimental.jet.jet` does.

    Input i follows x_i(t) = primals[i] + s1 t + s2 t^2/2! + ... + sK t^K/K! where
    `series[i] = [s1, ..., sK]` (derivatives, JAX's convention); every input has the same K.
    Returns `(f(*primals), [d1, ..., dK])` with dk the k-th derivative of f(x(t)) at t = 0,
    or lists of both, one entry per output, if `f` returns a sequence.

    >>> import rulegrad as rg
    >>> rg.jet(lambda x, y: x * y, (2.0, 3.0), ([1.0, 0.0], [0.0, 2.0]))
    (6.0, [3.0, 4.0])
    """
    check_function(f, "rg.jet")
    checked, terms_in = _jet_arguments(primals, series)
    order = len(terms_in[0]) if terms_in else 0
    scale = [float(math.factorial(k)) for k in range(order + 1)]
    inputs = [
        [_number(x, f"primals[{i}]")]
        + [_number(s, f"series[{i}][{k}]") / scale[k + 1] for k, s in enumerate(terms)]
        for i, (x, terms) in enumerate(zip(checked, terms_in, strict=True))
    ]
    scalar, outputs = expand(f, inputs, order, "rg.jet")
    terms_out = [[c * scale[k] for k, c in enumerate(out) if k > 0] for out in outputs]
    if scalar:
        return outputs[0][0], terms_out[0]
    return [out[0] for out in outputs], terms_out


def _jet_arguments(
    primals: object, series: object
) -> tuple[Sequence[object], list[Sequence[object]]]:
    """The arguments of `jet`, checked: one series per primal, all of one length."""
    primals = _sequence(primals, "primals")
    listed = enumerate(_sequence(series, "series"))
    checked = [_sequence(terms, f"series[{i}]") for i, terms in listed]
    if len(primals) != len(checked):
        raise ArgumentError(
            f"rg.jet: {len(primals)} primals but {len(checked)} series; give one series "
            "(a sequence of Taylor terms) per primal"
        )
    lengths = sorted({len(terms) for terms in checked})
    if len(lengths) > 1:
        raise ArgumentError(f"rg.jet: every series must have as many terms, got {lengths}")
    return primals, checked


def _number(given: object, what: str) -> float:
    if type(given) is float or isinstance(given, Node):  # a node of an enclosing transform
        return given  # type: ignore[return-value]
    if isinstance(given, numbers.Real) and not isinstance(given, bool):
        return float(given)
    raise ArgumentError(f"rg.jet: {what} must be a real number, not {type(given).__name__}")


def _sequence(given: object, what: str) -> Sequence[object]:
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
        raise ArgumentError(f"rg.jet: {what} must be a sequence, got {type(given).__name__}")
    return given


def derivative(f: Callable[[float], float], order: int = 1) -> Callable[[float], float]:
    """The `order`-th derivative of a scalar function of one variable.

    Taylor mode: `order!` times coefficient `order` of `rg.taylor`, at a cost polynomial in
    the order. (Orders 1 and 2 nest forward mode, which is faster there.)

    >>> import rulegrad as rg
    >>> rg.derivative(lambda x: x ** 4, order=3)(1.0)
    24.0
    """
    check_function(f, "rg.derivative")
    checked = _check_order(order, "rg.derivative")
    if checked == 0:
        return f
    if checked <= _FORWARD_UP_TO:
        result = f
        for _ in range(checked):
            result = _first_derivative(result)
        return result
    scale = float(math.factorial(checked))
    expand_f = taylor(f, checked)

    @functools.wraps(f)
    def derivative_f(x: float) -> float:
        return expand_f(x)[checked] * scale

    return derivative_f


def _first_derivative(f: Callable[[float], float]) -> Callable[[float], float]:
    @functools.wraps(f)
    def derivative_f(x: float) -> float:
        return jvp(f, (x,), (1.0,))[1]

    return derivative_f
