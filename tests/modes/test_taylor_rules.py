"""Taylor mode and the rules it is given: user ops, missing rules, domain edges, `jet`."""

from __future__ import annotations

import importlib
import math
import random
from collections.abc import Callable
from typing import Any

import pytest

import rulegrad as rg


def _catalogue() -> rg.OpRegistry:
    return rg.OpRegistry()


def test_a_user_op_with_rg_op_partials_has_every_order() -> None:
    softplus = rg.define_op(
        "softplus", forward=lambda x: math.log1p(math.exp(x)),
        partials=lambda out, x: (rg.sigmoid(x),), registry=_catalogue(),
    )  # fmt: skip
    got = rg.taylor(softplus, order=12)(0.3)
    expected = rg.taylor(lambda x: rg.log1p(rg.exp(x)), order=12)(0.3)
    assert got == pytest.approx(expected, rel=1e-13)


def _float_only() -> rg.Op:
    return rg.define_op(
        "softplus_f", forward=lambda x: math.log1p(math.exp(x)),
        partials=lambda out, x: (1.0 / (1.0 + math.exp(-x)),), registry=_catalogue(),
    )  # fmt: skip


def test_a_rule_over_plain_floats_gives_order_one_only() -> None:
    op = _float_only()
    slope = 1.0 / (1.0 + math.exp(-0.5))
    assert rg.taylor(op, order=1)(0.5) == [math.log1p(math.exp(0.5)), slope]
    assert rg.derivative(op, order=1)(0.5) == slope
    missing = r"no taylor rule for 'softplus_f' at order 2"
    with pytest.raises(rg.MissingRuleError, match=missing) as e:
        rg.taylor(lambda x: 2.0 * op(x), order=4)(0.5)
    assert (e.value.op_name, e.value.mode, e.value.order) == ("softplus_f", "taylor", 2)
    assert "rg.cos(x), not math.cos(x)" in str(e.value)
    with pytest.raises(rg.MissingRuleError, match="at order 2"):
        rg.derivative(op, order=3)(0.5)


def test_a_float_rule_serves_an_input_that_starts_moving_late() -> None:
    # x(t) = 0.5 + t^2: coefficient 2 of op(x(t)) needs the slope at 0.5 only.
    op = _float_only()
    _, terms = rg.jet(op, (0.5,), ([0.0, 2.0],))
    assert terms == [0.0, pytest.approx(2.0 / (1.0 + math.exp(-0.5)), rel=1e-15)]
    with pytest.raises(rg.MissingRuleError, match="at order 3"):
        rg.jet(op, (0.5,), ([0.0, 2.0, 0.0],))


def test_a_float_rule_under_an_enclosing_transform_is_a_missing_rule() -> None:
    op = _float_only()
    with pytest.raises(rg.MissingRuleError, match="differentiated again by an enclosing"):
        rg.grad(lambda p: rg.taylor(lambda x: op(p * x), order=1)(1.0)[1])(0.5)


def test_ops_without_a_rule_for_taylor_mode() -> None:
    floor = rg.define_op("floor", forward=math.floor, partials=None, registry=_catalogue())
    with pytest.raises(rg.MissingRuleError, match="no taylor rule for 'floor': it was registered"
                       " without partials or jvp"):  # fmt: skip
        rg.taylor(floor, order=1)(0.5)
    assert rg.taylor(lambda x: floor(2.5) * x, order=2)(0.5) == [1.0, 2.0, 0.0]  # a constant
    pullback_only = rg.define_op(
        "triple", forward=lambda x: 3.0 * x, partials=None,
        vjp=lambda out, primals, cotangent: (3.0 * cotangent,), registry=_catalogue(),
    )  # fmt: skip
    with pytest.raises(rg.MissingRuleError, match="no taylor rule for 'triple'"):
        rg.taylor(pullback_only, order=1)(0.5)


def test_an_op_with_only_a_jvp_rule_gets_every_order_from_it() -> None:
    logcosh = rg.define_op(
        "logcosh", forward=lambda x: math.log(math.cosh(x)), partials=None,
        jvp=lambda out, primals, tangents: rg.tanh(primals[0]) * tangents[0],
        registry=_catalogue(),
    )  # fmt: skip
    f = lambda x: logcosh(x * x) * x
    expected = rg.taylor(lambda x: rg.log(rg.cosh(x * x)) * x, order=8)(0.6)
    assert rg.taylor(f, order=8)(0.6) == pytest.approx(expected, rel=1e-13)
    floats = rg.define_op(
        "logcosh_f", forward=lambda x: math.log(math.cosh(x)), partials=None,
        jvp=lambda out, primals, tangents: math.tanh(primals[0]) * tangents[0],
        registry=_catalogue(),
    )  # fmt: skip
    assert rg.taylor(floats, order=1)(0.6)[1] == pytest.approx(math.tanh(0.6), rel=1e-15)
    with pytest.raises(rg.MissingRuleError, match="'logcosh_f' at order 2"):
        rg.taylor(floats, order=2)(0.6)


def test_rules_written_with_helper_ops_of_plain_float_forwards() -> None:
    # Branch-free rules: the kink and the singularity move into helper ops whose forward is
    # plain float code and whose own partials are written with rg ops.
    catalogue = _catalogue()
    sign = rg.define_op(
        "sign", forward=lambda x: math.copysign(1.0, x) if x else 0.0,
        partials=lambda out, x: (0.0,), registry=catalogue,
    )  # fmt: skip

    def _slope(x: float, y: float) -> float:
        if x == 0.0 and y < 1.0:
            raise ValueError("infinite slope at 0")
        return y * math.pow(x, y - 1.0)

    def _slope_partials(out: float, x: float, y: float) -> tuple[float, float]:
        return rg.mul(y, slope(x, y - 1.0)), 0.0  # the exponent is a constant here

    slope = rg.define_op("pow_slope", forward=_slope, partials=_slope_partials, registry=catalogue)
    absolute = rg.define_op(
        "abs2", forward=math.fabs, partials=lambda out, x: (sign(x),), registry=catalogue
    )
    power = rg.define_op(
        "pow2", forward=lambda x, y: x**y,
        partials=lambda out, x, y: (slope(x, y), 0.0), registry=catalogue,
    )  # fmt: skip
    assert rg.taylor(lambda x: absolute(x * x - 4.0), order=3)(1.0) == [3.0, -2.0, -1.0, 0.0]
    expected = rg.taylor(lambda x: x**2.5, order=6)(1.5)
    assert rg.taylor(lambda x: power(x, 2.5), order=6)(1.5) == pytest.approx(expected, rel=1e-14)
    # At 0 the helper's forward raises: a domain error, at the order nested forward has it.
    assert rg.taylor(lambda x: power(x, 2.5), order=2)(0.0) == [0.0, 0.0, 0.0]
    with pytest.raises(rg.DomainError, match="infinite slope at 0"):
        rg.taylor(lambda x: power(x, 2.5), order=3)(0.0)
    assert _nested_forward_raises(lambda x: power(x, 2.5), 0.0, 3)
    assert not _nested_forward_raises(lambda x: power(x, 2.5), 0.0, 2)


def _nested_forward_raises(f: Callable[[float], float], x: float, order: int) -> bool:
    g = f
    for _ in range(order):
        g = (lambda h: lambda t: rg.jvp(h, (t,), (1.0,))[1])(g)
    try:
        g(x)
    except rg.DomainError:
        return True
    return False


@pytest.mark.parametrize(
    ("f", "x", "fine_up_to"),
    [
        (rg.sqrt, 0.0, 0),  # infinite slope at 0
        (lambda x: rg.sqrt(x * x), 0.0, 1),  # |x|: the first coefficient is 0, the second needs 1/0
        (lambda x: x**2.5, 0.0, 2),  # t^2.5: the third derivative is infinite
        (rg.acosh, 1.0, 0),
        (rg.asin, 1.0, 0),
        (rg.acos, -1.0, 0),
        (lambda x: rg.hypot(x, x), 0.0, 0),  # a cone at the origin
        (lambda x: rg.atan2(x, x), 0.0, 0),
    ],
    ids=["sqrt", "sqrt(x*x)", "x**2.5", "acosh", "asin", "acos", "hypot", "atan2"],
)
def test_domain_edges_raise_when_a_coefficient_needs_them(
    f: Callable[[float], float], x: float, fine_up_to: int
) -> None:
    assert len(rg.taylor(f, order=fine_up_to)(x)) == fine_up_to + 1
    with pytest.raises(rg.DomainError, match=r"the derivative of \w+ is undefined"):
        rg.taylor(f, order=fine_up_to + 1)(x)
    # Nested forward mode draws the line at the same order.
    assert not _nested_forward_raises(f, x, fine_up_to)
    assert _nested_forward_raises(f, x, fine_up_to + 1)


def test_domain_errors_match_the_other_modes() -> None:
    with pytest.raises(rg.DomainError) as taylor_error:
        rg.taylor(rg.sqrt, order=3)(0.0)
    with pytest.raises(rg.DomainError) as forward_error:
        rg.grad(rg.sqrt, mode="forward")(0.0)
    assert str(taylor_error.value) == str(forward_error.value)
    with pytest.raises(rg.DomainError, match=r"log\(x=0\.0\) is undefined"):
        rg.taylor(rg.log, order=2)(0.0)  # the value itself
    with pytest.raises(rg.DivisionByZeroError):
        rg.taylor(lambda x: 1.0 / (x - 1.0), order=2)(1.0)


def test_an_undefined_partial_that_is_not_needed_is_never_raised() -> None:
    # d/dy x ** y is undefined for x < 0, but the exponent is a constant here.
    assert rg.taylor(lambda x: x**3.0, order=4)(-1.5) == pytest.approx(
        [-3.375, 6.75, -4.5, 1.0, 0.0], rel=1e-15
    )
    assert rg.jet(rg.sqrt, (0.0,), ([0.0, 0.0],)) == (0.0, [0.0, 0.0])  # x does not move
    assert rg.taylor(lambda x: x**3, order=4)(0.0) == [0.0, 0.0, 0.0, 1.0, 0.0]
    assert rg.taylor(abs, order=2)(-2.0) == [2.0, -1.0, 0.0]


def test_jet_follows_jax_conventions() -> None:
    # x(t) = 0.4 + t: jet's terms are the derivatives, taylor's the coefficients.
    f = lambda x: rg.exp(rg.sin(x)) * x
    primal, terms = rg.jet(f, (0.4,), ([1.0, 0.0, 0.0, 0.0],))
    coefficients = rg.taylor(f, order=4)(0.4)
    assert primal == coefficients[0]
    assert terms == pytest.approx([c * math.factorial(k) for k, c in enumerate(coefficients)][1:])
    # Two inputs, two outputs; x(t) = 2 + t, y(t) = 3 + t^2 (y'' = 2).
    outs, series = rg.jet(lambda x, y: [x * y, x + y], (2.0, 3.0), ([1.0, 0.0], [0.0, 2.0]))
    assert outs == [6.0, 5.0]
    assert series == [[3.0, 4.0], [1.0, 2.0]]  # (xy)' = x'y + xy' = 3, (xy)'' = 2x'y' + xy'' = 4
    assert rg.jet(rg.sin, (0.5,), ([],)) == (math.sin(0.5), [])
    assert rg.jet(lambda x: 3, (0.5,), ([1.0],)) == (3.0, [0.0])


@pytest.mark.parametrize(
    ("primals", "series", "message"),
    [
        (0.5, [[1.0]], "primals must be a sequence, got float"),
        ((0.5,), [1.0], r"series\[0\] must be a sequence, got float"),
        ((0.5,), ([1.0], [1.0]), "1 primals but 2 series"),
        ((0.5, 1.0), ([1.0], [1.0, 2.0]), r"every series must have as many terms, got \[1, 2\]"),
        ((0.5,), (["a"],), r"series\[0\]\[0\] must be a real number, not str"),
        (("a",), ([1.0],), r"primals\[0\] must be a real number, not str"),
    ],
)
def test_jet_argument_errors(primals: Any, series: Any, message: str) -> None:
    with pytest.raises(rg.ArgumentError, match=message):
        rg.jet(lambda *xs: rg.sum(xs), primals, series)


def test_taylor_and_derivative_argument_errors() -> None:
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(rg.ArgumentError, match="order must be a non-negative int"):
            rg.taylor(rg.sin, order=bad)  # type: ignore[arg-type]
        with pytest.raises(rg.ArgumentError, match="order must be a non-negative int"):
            rg.derivative(rg.sin, order=bad)  # type: ignore[arg-type]
    with pytest.raises(rg.NonScalarOutputError, match=r"rg\.taylor needs f to return a scalar"):
        rg.taylor(lambda x: [x, x], order=2)(0.5)  # type: ignore[arg-type, return-value]
    with pytest.raises(rg.ArgumentError, match=r"rg\.taylor: x is differentiated"):
        rg.taylor(rg.sin, order=2)("x")  # type: ignore[arg-type]
    assert rg.taylor(rg.sin, order=0)(0.5) == [math.sin(0.5)]
    assert rg.derivative(rg.sin, order=0) is rg.sin


# `jax.experimental.jet` has rules for these primitives (not for tan, atan, asin, acos or
# relu, which rulegrad gets from their partials like every other op).
_JAX_CASES: list[tuple[str, Callable[[Any, Any, Any], Any]]] = [
    ("exp(sin(x)) * y", lambda m, x, y: m.exp(m.sin(x)) * y),
    ("log1p, expm1, sqrt", lambda m, x, y: m.log1p(x * x) * m.expm1(y) / m.sqrt(1.0 + x * y)),
    ("tanh, sinh, cosh", lambda m, x, y: m.tanh(x - y) + m.sinh(x) * m.cosh(y)),
    ("erf, sigmoid", lambda m, x, y: m.erf(x) * m.sigmoid(y) + m.erfc(x * y)),
    ("pow", lambda m, x, y: x**2.5 + y**3 + x**y),
    ("inverse hyperbolic", lambda m, x, y: m.asinh(x) + m.atanh(y / 3.0) + m.acosh(x + 2.0)),
    ("log, atan2, hypot", lambda m, x, y: m.log(x + y) + m.atan2(x, y) + m.hypot(x, y)),
]


def _jax_namespace() -> Any:
    jax = pytest.importorskip("jax", reason="JAX is the reference for jet (in the dev extra)")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import jax.scipy.special as special

    class Jax:
        exp, sin, log1p, expm1 = jnp.exp, jnp.sin, jnp.log1p, jnp.expm1
        sqrt, tanh, sinh, cosh, log = jnp.sqrt, jnp.tanh, jnp.sinh, jnp.cosh, jnp.log
        erf, erfc, sigmoid = special.erf, special.erfc, jax.nn.sigmoid
        asinh, atanh, acosh = jnp.arcsinh, jnp.arctanh, jnp.arccosh
        atan2, hypot = jnp.arctan2, jnp.hypot

    return Jax


@pytest.mark.parametrize(("name", "f"), _JAX_CASES, ids=[name for name, _ in _JAX_CASES])
def test_jet_agrees_with_jax_experimental_jet(name: str, f: Callable[[Any, Any, Any], Any]) -> None:
    namespace = _jax_namespace()
    jax_jet: Any = importlib.import_module("jax.experimental.jet").jet

    rng = random.Random(name)
    primals = (rng.uniform(0.6, 1.4), rng.uniform(0.6, 1.4))
    series = tuple([rng.uniform(-1.0, 1.0) for _ in range(6)] for _ in primals)
    out, terms = rg.jet(lambda x, y: f(rg, x, y), primals, series)
    jax_out, jax_terms = jax_jet(lambda x, y: f(namespace, x, y), primals, series)
    assert out == pytest.approx(float(jax_out), rel=1e-13)
    assert terms == pytest.approx([float(t) for t in jax_terms], rel=1e-9, abs=1e-12)
