"""Cross-checks of rulegrad against PyTorch and JAX, in float64, on the same expressions.

Every expression is written once, against a small namespace of math functions (`ns.sin`,
`ns.maximum`, ...) and Python's operators, and is evaluated by rulegrad, by PyTorch's
autograd and by JAX. Values, gradients, Hessians and the Jacobian of a two-output variant
must agree to float64 precision. Each reference library is imported by a fixture, so a
missing one skips only its own tests; the checks of rulegrad against itself (forward mode
against reverse mode, `Value.backward` against the transforms) always run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypeVar

import pytest
from typing_extensions import Self

import rulegrad as rg

REL: Final = 1e-10
ABS: Final = 1e-12
SELF_REL: Final = 1e-12  # rulegrad against itself: the modes differ only in rounding
MODES: Final[tuple[rg.ModeLike, ...]] = ("reverse", "forward")


# --------------------------------------------------------------------------------------
# The namespace protocol and its three implementations
# --------------------------------------------------------------------------------------


class Arith(Protocol):
    """What an expression does with its numbers through Python's operators."""

    def __add__(self, other: Self | float, /) -> Self: ...
    def __radd__(self, other: float, /) -> Self: ...
    def __sub__(self, other: Self | float, /) -> Self: ...
    def __rsub__(self, other: float, /) -> Self: ...
    def __mul__(self, other: Self | float, /) -> Self: ...
    def __rmul__(self, other: float, /) -> Self: ...
    def __truediv__(self, other: Self | float, /) -> Self: ...
    def __rtruediv__(self, other: float, /) -> Self: ...
    def __pow__(self, other: Self | float, /) -> Self: ...
    def __rpow__(self, other: float, /) -> Self: ...
    def __neg__(self) -> Self: ...


N = TypeVar("N", bound=Arith)


class Namespace(Protocol[N]):
    """The math functions an expression may call, for numbers of type N."""

    def exp(self, x: N, /) -> N: ...
    def log(self, x: N, /) -> N: ...
    def log1p(self, x: N, /) -> N: ...
    def expm1(self, x: N, /) -> N: ...
    def log2(self, x: N, /) -> N: ...
    def log10(self, x: N, /) -> N: ...
    def sqrt(self, x: N, /) -> N: ...
    def sin(self, x: N, /) -> N: ...
    def cos(self, x: N, /) -> N: ...
    def tan(self, x: N, /) -> N: ...
    def asin(self, x: N, /) -> N: ...
    def acos(self, x: N, /) -> N: ...
    def atan(self, x: N, /) -> N: ...
    def sinh(self, x: N, /) -> N: ...
    def cosh(self, x: N, /) -> N: ...
    def tanh(self, x: N, /) -> N: ...
    def asinh(self, x: N, /) -> N: ...
    def acosh(self, x: N, /) -> N: ...
    def atanh(self, x: N, /) -> N: ...
    def sigmoid(self, x: N, /) -> N: ...
    def relu(self, x: N, /) -> N: ...
    def abs(self, x: N, /) -> N: ...
    def erf(self, x: N, /) -> N: ...
    def erfc(self, x: N, /) -> N: ...
    def atan2(self, y: N, x: N, /) -> N: ...
    def hypot(self, x: N, y: N, /) -> N: ...
    def maximum(self, x: N, y: N | float, /) -> N: ...
    def minimum(self, x: N, y: N | float, /) -> N: ...
    def sum(self, xs: Sequence[N | float], /) -> N: ...
    def dot(self, xs: Sequence[N | float], ys: Sequence[N | float], /) -> N: ...


S = TypeVar("S", float, rg.Value)


class RulegradNamespace(Generic[S]):
    """rulegrad's ops, for floats or for `Value`s.

    Under a transform the arguments are nodes, though to the type checker they are floats.
    """

    def exp(self, x: S) -> S:
        return rg.exp(x)

    def log(self, x: S) -> S:
        return rg.log(x)

    def log1p(self, x: S) -> S:
        return rg.log1p(x)

    def expm1(self, x: S) -> S:
        return rg.expm1(x)

    def log2(self, x: S) -> S:
        return rg.log2(x)

    def log10(self, x: S) -> S:
        return rg.log10(x)

    def sqrt(self, x: S) -> S:
        return rg.sqrt(x)

    def sin(self, x: S) -> S:
        return rg.sin(x)

    def cos(self, x: S) -> S:
        return rg.cos(x)

    def tan(self, x: S) -> S:
        return rg.tan(x)

    def asin(self, x: S) -> S:
        return rg.asin(x)

    def acos(self, x: S) -> S:
        return rg.acos(x)

    def atan(self, x: S) -> S:
        return rg.atan(x)

    def sinh(self, x: S) -> S:
        return rg.sinh(x)

    def cosh(self, x: S) -> S:
        return rg.cosh(x)

    def tanh(self, x: S) -> S:
        return rg.tanh(x)

    def asinh(self, x: S) -> S:
        return rg.asinh(x)

    def acosh(self, x: S) -> S:
        return rg.acosh(x)

    def atanh(self, x: S) -> S:
        return rg.atanh(x)

    def sigmoid(self, x: S) -> S:
        return rg.sigmoid(x)

    def relu(self, x: S) -> S:
        return rg.relu(x)

    def abs(self, x: S) -> S:
        return rg.abs(x)

    def erf(self, x: S) -> S:
        return rg.erf(x)

    def erfc(self, x: S) -> S:
        return rg.erfc(x)

    def atan2(self, y: S, x: S) -> S:
        return rg.atan2(y, x)

    def hypot(self, x: S, y: S) -> S:
        return rg.hypot(x, y)

    def maximum(self, x: S, y: S | float) -> S:
        return rg.maximum(x, y)

    def minimum(self, x: S, y: S | float) -> S:
        return rg.minimum(x, y)

    def sum(self, xs: Sequence[S | float]) -> S:
        return rg.sum(xs)

    def dot(self, xs: Sequence[S | float], ys: Sequence[S | float]) -> S:
        return rg.dot(xs, ys)


RG: Final = RulegradNamespace[float]()  # for the transforms, which take functions of floats
RG_VALUE: Final = RulegradNamespace[rg.Value]()  # for Value.backward()


class TorchNamespace:
    """The same functions on float64 torch tensors (0-dim), constants made tensors."""

    def __init__(self, torch: Any) -> None:
        self.torch = torch

    def tensor(self, x: Any) -> Any:
        """`x` as a 0-dim float64 tensor; tensors (with their graph) pass through."""
        torch = self.torch
        return x if isinstance(x, torch.Tensor) else torch.tensor(x, dtype=torch.float64)

    def exp(self, x: Any) -> Any:
        return self.torch.exp(x)

    def log(self, x: Any) -> Any:
        return self.torch.log(x)

    def log1p(self, x: Any) -> Any:
        return self.torch.log1p(x)

    def expm1(self, x: Any) -> Any:
        return self.torch.expm1(x)

    def log2(self, x: Any) -> Any:
        return self.torch.log2(x)

    def log10(self, x: Any) -> Any:
        return self.torch.log10(x)

    def sqrt(self, x: Any) -> Any:
        return self.torch.sqrt(x)

    def sin(self, x: Any) -> Any:
        return self.torch.sin(x)

    def cos(self, x: Any) -> Any:
        return self.torch.cos(x)

    def tan(self, x: Any) -> Any:
        return self.torch.tan(x)

    def asin(self, x: Any) -> Any:
        return self.torch.asin(x)

    def acos(self, x: Any) -> Any:
        return self.torch.acos(x)

    def atan(self, x: Any) -> Any:
        return self.torch.atan(x)

    def sinh(self, x: Any) -> Any:
        return self.torch.sinh(x)

    def cosh(self, x: Any) -> Any:
        return self.torch.cosh(x)

    def tanh(self, x: Any) -> Any:
        return self.torch.tanh(x)

    def asinh(self, x: Any) -> Any:
        return self.torch.asinh(x)

    def acosh(self, x: Any) -> Any:
        return self.torch.acosh(x)

    def atanh(self, x: Any) -> Any:
        return self.torch.atanh(x)

    def sigmoid(self, x: Any) -> Any:
        return self.torch.sigmoid(x)

    def relu(self, x: Any) -> Any:
        return self.torch.relu(x)

    def abs(self, x: Any) -> Any:
        return self.torch.abs(x)

    def erf(self, x: Any) -> Any:
        return self.torch.special.erf(x)

    def erfc(self, x: Any) -> Any:
        return self.torch.special.erfc(x)

    def atan2(self, y: Any, x: Any) -> Any:
        return self.torch.atan2(self.tensor(y), self.tensor(x))

    def hypot(self, x: Any, y: Any) -> Any:
        return self.torch.hypot(self.tensor(x), self.tensor(y))

    def maximum(self, x: Any, y: Any) -> Any:
        return self.torch.maximum(self.tensor(x), self.tensor(y))

    def minimum(self, x: Any, y: Any) -> Any:
        return self.torch.minimum(self.tensor(x), self.tensor(y))

    def sum(self, xs: Sequence[Any]) -> Any:
        return self.torch.stack([self.tensor(x) for x in xs]).sum()

    def dot(self, xs: Sequence[Any], ys: Sequence[Any]) -> Any:
        stack = self.torch.stack
        return self.torch.dot(
            stack([self.tensor(x) for x in xs]), stack([self.tensor(y) for y in ys])
        )


class JaxNamespace:
    """The same functions through jax.numpy (and jax.nn, jax.scipy.special)."""

    def __init__(self, jax: Any) -> None:
        import jax.numpy
        import jax.scipy.special

        self.jax = jax
        self.jnp = jax.numpy
        self.special = jax.scipy.special

    def exp(self, x: Any) -> Any:
        return self.jnp.exp(x)

    def log(self, x: Any) -> Any:
        return self.jnp.log(x)

    def log1p(self, x: Any) -> Any:
        return self.jnp.log1p(x)

    def expm1(self, x: Any) -> Any:
        return self.jnp.expm1(x)

    def log2(self, x: Any) -> Any:
        return self.jnp.log2(x)

    def log10(self, x: Any) -> Any:
        return self.jnp.log10(x)

    def sqrt(self, x: Any) -> Any:
        return self.jnp.sqrt(x)

    def sin(self, x: Any) -> Any:
        return self.jnp.sin(x)

    def cos(self, x: Any) -> Any:
        return self.jnp.cos(x)

    def tan(self, x: Any) -> Any:
        return self.jnp.tan(x)

    def asin(self, x: Any) -> Any:
        return self.jnp.arcsin(x)

    def acos(self, x: Any) -> Any:
        return self.jnp.arccos(x)

    def atan(self, x: Any) -> Any:
        return self.jnp.arctan(x)

    def sinh(self, x: Any) -> Any:
        return self.jnp.sinh(x)

    def cosh(self, x: Any) -> Any:
        return self.jnp.cosh(x)

    def tanh(self, x: Any) -> Any:
        return self.jnp.tanh(x)

    def asinh(self, x: Any) -> Any:
        return self.jnp.arcsinh(x)

    def acosh(self, x: Any) -> Any:
        return self.jnp.arccosh(x)

    def atanh(self, x: Any) -> Any:
        return self.jnp.arctanh(x)

    def sigmoid(self, x: Any) -> Any:
        return self.jax.nn.sigmoid(x)

    def relu(self, x: Any) -> Any:
        return self.jax.nn.relu(x)

    def abs(self, x: Any) -> Any:
        return self.jnp.abs(x)

    def erf(self, x: Any) -> Any:
        return self.special.erf(x)

    def erfc(self, x: Any) -> Any:
        return self.special.erfc(x)

    def atan2(self, y: Any, x: Any) -> Any:
        return self.jnp.arctan2(y, x)

    def hypot(self, x: Any, y: Any) -> Any:
        return self.jnp.hypot(x, y)

    def maximum(self, x: Any, y: Any) -> Any:
        return self.jnp.maximum(x, y)

    def minimum(self, x: Any, y: Any) -> Any:
        return self.jnp.minimum(x, y)

    def sum(self, xs: Sequence[Any]) -> Any:
        return self.jnp.sum(self.jnp.stack(list(xs)))

    def dot(self, xs: Sequence[Any], ys: Sequence[Any]) -> Any:
        return self.jnp.dot(self.jnp.stack(list(xs)), self.jnp.stack(list(ys)))


# --------------------------------------------------------------------------------------
# The expressions
# --------------------------------------------------------------------------------------


class Expr(Protocol):
    """A scalar expression of the numbers `v`, for any namespace."""

    def __call__(self, ns: Namespace[N], v: Sequence[N], /) -> N: ...


@dataclass(frozen=True)
class Case:
    name: str
    fn: Expr
    point: tuple[float, ...]


def two_outputs(fn: Expr, ns: Namespace[N], v: Sequence[N]) -> list[N]:
    """The two-output variant of `fn` whose Jacobian is checked: (f, sin(f) * v_last + v_0^2)."""
    out = fn(ns, v)
    return [out, ns.sin(out) * v[-1] + v[0] * v[0]]


# micrograd's two classic test expressions.


def micrograd_sanity(ns: Namespace[N], v: Sequence[N]) -> N:
    (x,) = v
    z = 2 * x + 2 + x
    q = ns.relu(z) + z * x
    h = ns.relu(z * z)
    return h + q + q * x


def micrograd_more_ops(ns: Namespace[N], v: Sequence[N]) -> N:
    a, b = v
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + ns.relu(b + a)
    d += 3 * d + ns.relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


MICROGRAD: Final = (
    Case("sanity_check", micrograd_sanity, (-4.0,)),
    Case("more_ops", micrograd_more_ops, (-4.0, 2.0)),
)

# The numbers micrograd's own tests obtain from PyTorch: (output, gradient).
MICROGRAD_KNOWN: Final = {
    "sanity_check": (-20.0, (46.0,)),
    "more_ops": (24.70408163265306, (138.83381924198252, 645.5772594752186)),
}


# One operand used twice (or three times): each use must contribute.


def twice_sub(ns: Namespace[N], v: Sequence[N]) -> N:
    (x,) = v
    return x - x


def twice_div(ns: Namespace[N], v: Sequence[N]) -> N:
    (x,) = v
    return x / x


def twice_add(ns: Namespace[N], v: Sequence[N]) -> N:
    (a,) = v
    return a + a


def twice_mul(ns: Namespace[N], v: Sequence[N]) -> N:
    (x,) = v
    return x * x


def twice_pow(ns: Namespace[N], v: Sequence[N]) -> N:
    (x,) = v
    return x**x


def thrice_mul(ns: Namespace[N], v: Sequence[N]) -> N:
    (a,) = v
    return a * a * a


SHARED: Final = (
    Case("x-x", twice_sub, (1.7,)),
    Case("x/x", twice_div, (-2.3,)),
    Case("a+a", twice_add, (0.6,)),
    Case("x*x", twice_mul, (-1.3,)),
    Case("x**x", twice_pow, (1.4,)),
    Case("a*a*a", thrice_mul, (0.9,)),
)


# Mixed expressions of two or three variables, at points inside every op's domain and
# away from every kink (no ties in maximum/minimum, no zero under abs).


def exp_log_sqrt(ns: Namespace[N], v: Sequence[N]) -> N:
    x, y = v
    return ns.exp(x * y) / (1.0 + ns.log(y)) + ns.sqrt(x + y * y)


def trigonometric(ns: Namespace[N], v: Sequence[N]) -> N:
    x, y, z = v
    return ns.sin(x * y) * ns.cos(z) + ns.tan(0.5 * z - x) - ns.cos(x) / ns.sin(z)


def tanh_sigmoid(ns: Namespace[N], v: Sequence[N]) -> N:
    x, y = v
    return ns.tanh(x - 2.0 * y) * ns.sigmoid(x * y + 0.5) + ns.sigmoid(-3.0 * x)


def atan2_hypot(ns: Namespace[N], v: Sequence[N]) -> N:
    y, x = v
    return ns.atan2(y, x) * ns.hypot(x, y) + ns.atan2(x * x, y - 2.0)


def erf_power(ns: Namespace[N], v: Sequence[N]) -> N:
    x, y = v
    return ns.erf(x * y + x) - ns.erfc(y) * x**2.5


def max_min_abs(ns: Namespace[N], v: Sequence[N]) -> N:
    x, y, z = v
    return (
        ns.maximum(x * y, z) * ns.minimum(ns.sin(x), y + z)
        + ns.abs(y * z - 1.0)
        + ns.maximum(z * z, 0.1) * ns.minimum(x, 2.0)
    )


def non_integer_powers(ns: Namespace[N], v: Sequence[N]) -> N:
    x, y = v
    return x**y + 2.0 ** (x - y) + (x * y) ** 0.3 - y**-1.5


def log1p_expm1(ns: Namespace[N], v: Sequence[N]) -> N:
    x, y = v
    return ns.log1p(x * x + y) * ns.expm1(y - x) + ns.log1p(ns.expm1(x))


def inverse_trigonometric(ns: Namespace[N], v: Sequence[N]) -> N:
    x, y = v
    return ns.asin(x * y + 0.2) + ns.acos(x - y) * ns.atan(3.0 * y)


def hyperbolic(ns: Namespace[N], v: Sequence[N]) -> N:
    x, y, z = v
    return (
        ns.sinh(x * z) / ns.cosh(y) + ns.asinh(y) * ns.acosh(z + 0.5) + ns.atanh(x * y) - ns.tanh(z)
    )


def sum_dot(ns: Namespace[N], v: Sequence[N]) -> N:
    x, y, z = v
    return ns.sum([x, ns.sin(y), x * z, 2.0]) * ns.dot([x, y, z], [z, ns.exp(x), y * y])


def logarithm_bases(ns: Namespace[N], v: Sequence[N]) -> N:
    x, y = v
    return ns.log2(x * y) + ns.log10(x + y) * ns.sqrt(y) - ns.log(x) / y


def neural_unit(ns: Namespace[N], v: Sequence[N]) -> N:
    w, b, x = v
    hidden = ns.tanh(w * x + b)
    return -ns.log(ns.sigmoid(ns.dot([w, b], [hidden, 1.0]))) + 0.01 * (w * w + b * b)


MIXED: Final = (
    Case("exp_log_sqrt", exp_log_sqrt, (0.7, 1.9)),
    Case("trigonometric", trigonometric, (0.4, -1.1, 0.8)),
    Case("tanh_sigmoid", tanh_sigmoid, (0.3, -0.8)),
    Case("atan2_hypot", atan2_hypot, (-0.6, 1.3)),
    Case("erf_erfc_power", erf_power, (0.45, -0.3)),
    Case("maximum_minimum_abs", max_min_abs, (1.2, -0.7, 0.4)),
    Case("non_integer_powers", non_integer_powers, (1.7, 0.6)),
    Case("log1p_expm1", log1p_expm1, (0.25, -0.4)),
    Case("asin_acos_atan", inverse_trigonometric, (0.3, -0.45)),
    Case("hyperbolic", hyperbolic, (0.5, -0.9, 1.4)),
    Case("sum_dot", sum_dot, (0.8, -1.3, 0.45)),
    Case("log2_log10", logarithm_bases, (1.5, 2.5)),
    Case("neural_unit", neural_unit, (0.9, -0.2, 1.6)),
)

ALL_CASES: Final = MICROGRAD + SHARED + MIXED


def by_name(cases: Sequence[Case]) -> Any:
    """`cases` as pytest parameters, each with the case's name as its id."""
    return [pytest.param(case, id=case.name) for case in cases]


# --------------------------------------------------------------------------------------
# Comparison helpers
# --------------------------------------------------------------------------------------


def assert_close(got: float, expected: float, what: str, rel: float = REL) -> None:
    assert math.isclose(got, expected, rel_tol=rel, abs_tol=ABS), (
        f"{what}: rulegrad gives {got!r}, the reference {expected!r}"
    )


def assert_vectors_close(
    got: Sequence[float], expected: Sequence[float], what: str, rel: float = REL
) -> None:
    assert len(got) == len(expected), f"{what}: {len(got)} entries, expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert_close(g, e, f"{what}, entry {i}", rel)


def assert_matrices_close(
    got: Sequence[Sequence[float]],
    expected: Sequence[Sequence[float]],
    what: str,
    rel: float = REL,
) -> None:
    assert len(got) == len(expected), f"{what}: {len(got)} rows, expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert_vectors_close(g, e, f"{what}, row {i}", rel)


def as_floats(xs: Sequence[Any]) -> list[float]:
    return [float(x) for x in xs]


def as_matrix(rows: Sequence[Sequence[Any]]) -> list[list[float]]:
    return [as_floats(row) for row in rows]


# --------------------------------------------------------------------------------------
# rulegrad's side
# --------------------------------------------------------------------------------------


def rg_function(case: Case) -> Callable[..., float]:
    return lambda *args: case.fn(RG, args)


def rg_two_outputs(case: Case) -> Callable[..., list[float]]:
    return lambda *args: two_outputs(case.fn, RG, args)


def all_argnums(case: Case) -> tuple[int, ...]:
    return tuple(range(len(case.point)))


def rg_backward_grads(case: Case) -> tuple[float, list[float]]:
    """Value and gradient by micrograd-style `Value.backward()` on fresh leaves."""
    leaves = [rg.Value(p) for p in case.point]
    out = case.fn(RG_VALUE, leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def rg_grads(case: Case, mode: rg.ModeLike) -> tuple[float, list[float]]:
    value, grads = rg.value_and_grad(rg_function(case), all_argnums(case), mode=mode)(*case.point)
    return value, list(grads)


def rg_gradient_routes(case: Case) -> dict[str, tuple[float, list[float]]]:
    """Value and gradient by each of rulegrad's three routes."""
    return {
        "Value.backward": rg_backward_grads(case),
        "rg.grad reverse": rg_grads(case, "reverse"),
        "rg.grad forward": rg_grads(case, "forward"),
    }


def check_against_reference(
    case: Case,
    reference: str,
    value: float,
    grads: Sequence[float],
    hessian: Sequence[Sequence[float]],
    jacobian: Sequence[Sequence[float]],
) -> None:
    """Compare every rulegrad route with a reference's value, gradient, Hessian, Jacobian."""
    for route, (rg_value, rg_grad) in rg_gradient_routes(case).items():
        assert_close(rg_value, value, f"{case.name} value by {route} vs {reference}")
        assert_vectors_close(rg_grad, grads, f"{case.name} gradient by {route} vs {reference}")
    assert_matrices_close(
        rg.hessian(rg_function(case))(*case.point), hessian, f"{case.name} Hessian vs {reference}"
    )
    for mode in MODES:
        assert_matrices_close(
            rg.jacobian(rg_two_outputs(case), mode=mode)(*case.point),
            jacobian,
            f"{case.name} Jacobian ({mode} mode) vs {reference}",
        )


# --------------------------------------------------------------------------------------
# The references
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch_ns() -> TorchNamespace:
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed, so rulegrad is not cross-checked against it"
    )
    return TorchNamespace(torch)


@pytest.fixture(scope="module")
def jax_ns() -> Iterator[JaxNamespace]:
    jax = pytest.importorskip(
        "jax", reason="JAX is not installed, so rulegrad is not cross-checked against it"
    )
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)  # before any jnp array exists: float64
    yield JaxNamespace(jax)
    jax.config.update("jax_enable_x64", previous)


def torch_results(
    t: TorchNamespace, case: Case
) -> tuple[float, list[float], list[list[float]], list[list[float]]]:
    """PyTorch's value, gradient (autograd on requires_grad leaves), Hessian, Jacobian."""
    torch = t.torch
    leaves = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in case.point]
    out = case.fn(t, leaves)
    assert out.dtype == torch.float64
    grads = torch.autograd.grad(out, leaves)
    inputs = tuple(torch.tensor(p, dtype=torch.float64) for p in case.point)
    hessian = torch.autograd.functional.hessian(lambda *args: case.fn(t, args), inputs)
    jacobian = torch.autograd.functional.jacobian(
        lambda *args: tuple(two_outputs(case.fn, t, args)), inputs
    )
    return float(out.detach()), as_floats(grads), as_matrix(hessian), as_matrix(jacobian)


def jax_results(
    j: JaxNamespace, case: Case
) -> tuple[float, list[float], list[list[float]], list[list[float]]]:
    """JAX's value and gradient (jax.value_and_grad), Hessian, Jacobian (jax.jacfwd)."""
    jax, jnp = j.jax, j.jnp
    args = [jnp.asarray(p, dtype=jnp.float64) for p in case.point]
    argnums = all_argnums(case)

    def f(*xs: Any) -> Any:
        return case.fn(j, xs)

    def f2(*xs: Any) -> Any:
        return two_outputs(case.fn, j, xs)

    value, grads = jax.value_and_grad(f, argnums=argnums)(*args)
    assert value.dtype == jnp.float64
    hessian = jax.hessian(f, argnums=argnums)(*args)
    jacobian = jax.jacfwd(f2, argnums=argnums)(*args)
    return float(value), as_floats(grads), as_matrix(hessian), as_matrix(jacobian)


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", by_name(MICROGRAD))
def test_micrograd_expressions_give_micrograds_numbers(case: Case) -> None:
    """Without any reference installed: the outputs and gradients micrograd's tests expect."""
    value, grads = MICROGRAD_KNOWN[case.name]
    for route, (rg_value, rg_grad) in rg_gradient_routes(case).items():
        assert_close(rg_value, value, f"{case.name} value by {route}")
        assert_vectors_close(rg_grad, grads, f"{case.name} gradient by {route}")


@pytest.mark.parametrize("case", by_name(MICROGRAD))
def test_micrograd_expressions_match_torch(case: Case, torch_ns: TorchNamespace) -> None:
    check_against_reference(case, "torch", *torch_results(torch_ns, case))


@pytest.mark.parametrize("case", by_name(MICROGRAD))
def test_micrograd_expressions_match_jax(case: Case, jax_ns: JaxNamespace) -> None:
    check_against_reference(case, "jax", *jax_results(jax_ns, case))


@pytest.mark.parametrize("case", by_name(SHARED))
def test_shared_operand_matches_torch(case: Case, torch_ns: TorchNamespace) -> None:
    check_against_reference(case, "torch", *torch_results(torch_ns, case))


@pytest.mark.parametrize("case", by_name(SHARED))
def test_shared_operand_matches_jax(case: Case, jax_ns: JaxNamespace) -> None:
    check_against_reference(case, "jax", *jax_results(jax_ns, case))


@pytest.mark.parametrize("case", by_name(MIXED))
def test_mixed_expression_matches_torch(case: Case, torch_ns: TorchNamespace) -> None:
    check_against_reference(case, "torch", *torch_results(torch_ns, case))


@pytest.mark.parametrize("case", by_name(MIXED))
def test_mixed_expression_matches_jax(case: Case, jax_ns: JaxNamespace) -> None:
    check_against_reference(case, "jax", *jax_results(jax_ns, case))


@pytest.mark.parametrize("case", by_name(ALL_CASES))
def test_forward_mode_equals_reverse_mode(case: Case) -> None:
    """rulegrad against itself, on every expression above: each route to each derivative."""
    f, point, n = rg_function(case), case.point, len(case.point)
    routes = rg_gradient_routes(case)
    value, grads = routes.pop("rg.grad reverse")
    for route, (other_value, other_grads) in routes.items():
        assert_close(other_value, value, f"{case.name} value by {route}", SELF_REL)
        assert_vectors_close(other_grads, grads, f"{case.name} gradient by {route}", SELF_REL)

    # jvp along each axis gives one partial; vjp's pullback of 1 gives them all.
    for i in range(n):
        axis = [1.0 if k == i else 0.0 for k in range(n)]
        out, tangent = rg.jvp(f, point, axis)
        assert_close(out, value, f"{case.name} jvp value", SELF_REL)
        assert_close(tangent, grads[i], f"{case.name} jvp along axis {i}", SELF_REL)
    out, pullback = rg.vjp(f, *point)
    assert_close(out, value, f"{case.name} vjp value", SELF_REL)
    assert_vectors_close(pullback(1.0), grads, f"{case.name} vjp pullback", SELF_REL)

    f2 = rg_two_outputs(case)
    assert_matrices_close(
        rg.jacobian(f2, mode="forward")(*point),
        rg.jacobian(f2, mode="reverse")(*point),
        f"{case.name} Jacobian forward vs reverse",
        SELF_REL,
    )

    # rg.hessian is forward over reverse; reverse over reverse and forward over forward
    # must give the same second derivatives.
    hessian = rg.hessian(f)(*point)
    for mode in MODES:
        gradient = rg.grad(f, all_argnums(case), mode=mode)
        nested = rg.jacobian(gradient, mode=mode)(*point)
        assert_matrices_close(nested, hessian, f"{case.name} Hessian, {mode} over {mode}", 1e-11)
