"""check_grads (section 10): any function, containers, both modes, any order; the error
names mode, order, argument path, expected and got."""

from __future__ import annotations

import math

import pytest

import rulegrad as rg


def loss(params: dict[str, list[float]], x: float) -> float:
    w, b = params["w"], params["b"]
    return (w[0] * x + w[1] * rg.sin(x * x) + b[0] - 1.0) ** 2


PARAMS = {"w": [0.5, -0.25], "b": [0.1]}


def test_right_functions_pass_at_every_order_and_output_structure() -> None:
    rg.check_grads(loss, (PARAMS, 2.0))
    rg.check_grads(loss, (PARAMS, 2.0), order=3, modes=("reverse",))
    rg.check_grads(lambda x, y: {"a": [x * y, rg.exp(x)], "b": rg.atan2(y, x)}, (0.3, 0.7), order=2)
    rg.check_grads(lambda p: p**2, (1.5,), order=1, eps=1e-3)
    rg.check_grads(rg.sin, (0.4,))


def bad_op() -> rg.Op:
    """Right at first order, wrong at second: the partial is computed on plain floats."""
    return rg.define_op(
        "cube_floats", forward=lambda x: x**3,
        partials=lambda out, x: (3.0 * rg.to_float(x) ** 2,), registry=rg.OpRegistry(),
    )  # fmt: skip


def test_a_wrong_second_derivative_is_named_with_mode_order_and_path() -> None:
    cube = bad_op()
    rg.check_grads(lambda p: cube(p["a"][1]), ({"a": [1.0, 2.0]},), order=1)
    with pytest.raises(rg.RuleCheckError) as caught:
        rg.check_grads(lambda p: cube(p["a"][1]) + p["a"][0], ({"a": [1.0, 2.0]},))
    error = caught.value
    assert (error.mode, error.order, error.path) == ("forward/forward", 2, "p['a'][1]")
    assert error.expected == pytest.approx(12.0, rel=1e-6) and error.got == 0.0
    message = str(error)
    assert "forward/forward mode (forward over forward, order 2)" in message
    assert "d/dp['a'][1] (df/dp['a'][1]) is 0.0, expected 12.0" in message
    assert "at p['a'][0]=1.0, p['a'][1]=2.0" in message


def test_a_wrong_first_derivative_and_a_mode_that_raises() -> None:
    @rg.custom_jvp
    def wrong(x: float, y: float) -> float:
        return x * y

    wrong.defjvp(lambda p, t: (wrong(*p), p[1] * t[0] + 2.0 * p[0] * t[1]))
    with pytest.raises(
        rg.RuleCheckError, match=r"forward mode \(order 1\).*dwrong/dy is 3.0, expected 1.5"
    ):
        rg.check_grads(wrong, (1.5, 2.0), order=1)

    @rg.custom_vjp
    def reverse_only(x: float) -> float:
        return math.sin(x)

    reverse_only.defvjp(lambda x: (math.sin(x), x), lambda x, ct: (math.cos(x) * ct,))
    rg.check_grads(reverse_only, (0.5,), order=1, modes=("reverse",))
    with pytest.raises(rg.RuleCheckError, match="raised MissingRuleError") as caught:
        rg.check_grads(reverse_only, (0.5,), order=1)
    assert isinstance(caught.value.__cause__, rg.MissingRuleError) and caught.value.got is None


def test_check_grads_refuses_bad_arguments() -> None:
    with pytest.raises(rg.ArgumentError, match="args must be a tuple"):
        rg.check_grads(rg.sin, 0.5)  # type: ignore[arg-type]
    with pytest.raises(rg.ArgumentError, match="order must be a positive int"):
        rg.check_grads(rg.sin, (0.5,), order=0)
    with pytest.raises(rg.ModeError):
        rg.check_grads(rg.sin, (0.5,), modes=("sideways",))  # type: ignore[arg-type]
    with pytest.raises(rg.ArgumentError, match="modes must be a non-empty tuple"):
        rg.check_grads(rg.sin, (0.5,), modes="forward")  # type: ignore[arg-type]
    with pytest.raises(rg.ArgumentError, match="eps must be positive"):
        rg.check_grads(rg.sin, (0.5,), eps=0.0)
    with pytest.raises(rg.ArgumentError, match=r"params\['w'\]\[0\] is differentiated"):
        rg.check_grads(loss, ({"w": ["a", 1.0], "b": [0.0]}, 1.0))
    with pytest.raises(rg.DomainError, match="not finite"):
        rg.check_grads(lambda x: 1.0 / x if x > 0.05 else math.inf, (0.0,))
