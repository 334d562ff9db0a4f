"""The plugin author's own tests: rulegrad.check_op on every op, and known values."""

from __future__ import annotations

import math

import pytest
from rulegrad_special import register

import rulegrad as rg

NAMES = ["digamma", "gelu", "lgamma"]
EULER_GAMMA = 0.5772156649015329


@pytest.fixture(scope="module")
def ops() -> rg.OpRegistry:
    own = rg.OpRegistry()  # the plugin's ops alone, whatever else is installed
    register(own)
    return own


@pytest.mark.parametrize("name", NAMES)
def test_rules_agree_with_finite_differences(ops: rg.OpRegistry, name: str) -> None:
    report = rg.check_op(name, registry=ops)
    assert report.points == ops.get(name).samples


def test_registers_exactly_its_ops(ops: rg.OpRegistry) -> None:
    assert ops.names() == NAMES


@pytest.mark.parametrize(
    ("order", "x", "expected"),
    [
        (0, 1.0, -EULER_GAMMA),
        (0, 0.5, -EULER_GAMMA - 2 * math.log(2.0)),
        (0, -0.5, 2 - EULER_GAMMA - 2 * math.log(2.0)),  # psi(x + 1) = psi(x) + 1 / x
        (1, 1.0, math.pi**2 / 6),
        (1, 0.5, math.pi**2 / 2),
        (2, 1.0, -2 * 1.2020569031595942),  # -2 zeta(3)
        (3, 1.0, math.pi**4 / 15),
    ],
)
def test_digamma_and_its_derivatives(
    ops: rg.OpRegistry, order: int, x: float, expected: float
) -> None:
    assert rg.derivative(ops.get("digamma"), order=order)(x) == pytest.approx(expected, rel=1e-12)


def test_lgamma_derivative_is_digamma(ops: rg.OpRegistry) -> None:
    for x in (-2.5, 0.3, 1.0, 7.25, 1e6):
        assert rg.grad(ops.get("lgamma"))(x) == ops.get("digamma")(x)


def test_gelu_in_the_tail(ops: rg.OpRegistry) -> None:
    # x Phi(x) at x = -30 is about -30 * 4.9e-198: 1 + erf(x) would give exactly 0.0
    assert ops.get("gelu")(-30.0) == pytest.approx(-30 * 0.5 * math.erfc(30 / math.sqrt(2)))
    assert ops.get("gelu")(-30.0) != 0.0


@pytest.mark.parametrize("name", ["digamma", "lgamma"])
def test_poles_are_domain_errors(ops: rg.OpRegistry, name: str) -> None:
    with pytest.raises(rg.DomainError, match=f"{name}.*poles"):
        ops.get(name)(-3.0)
