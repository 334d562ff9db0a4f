"""Issue 10, section 5, for the transforms: bad input raises a RulegradError subclass that
also subclasses the matching builtin, naming the cause; never a bare TypeError."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import rulegrad as rg


def f(x: float, y: float) -> float:
    return x * y


def g(params: dict[str, list[float]]) -> float:
    return params["w"][0] * params["w"][1]


P = {"w": [1.0, 2.0]}

# (what is tried, the error class, a part of its message)
CASES: list[tuple[str, Callable[[], object], type[rg.RulegradError], str]] = [
    ("grad of a number",
     lambda: rg.grad(3.0),  # type: ignore[call-overload]
     rg.ArgumentError, "needs a function"),
    ("argnums a float",
     lambda: rg.grad(f, argnums=1.0),  # type: ignore[call-overload]
     rg.ArgumentError, "argnums must be an int"),
    ("argnums a str",
     lambda: rg.value_and_grad(f, argnums="0"),  # type: ignore[call-overload]
     rg.ArgumentError, "argnums"),
    ("argnums floats",
     lambda: rg.jacobian(f, argnums=(0.0,)),  # type: ignore[arg-type]
     rg.ArgumentError, "argnums"),
    ("argnums a bool",
     lambda: rg.hessian(f, argnums=True),
     rg.ArgumentError, "argnums"),
    ("argnums too large",
     lambda: rg.grad(f, argnums=2)(1.0, 2.0),
     rg.ArgumentError, "at least 3"),
    ("argnums twice",
     lambda: rg.jacobian(f, argnums=(0, -2))(1.0, 2.0),
     rg.ArgumentError, "twice"),
    ("a bad mode",
     lambda: rg.hessian(f, mode="up"),  # type: ignore[call-overload]
     rg.ModeError, "got 'up'"),
    ("has_aux not a bool",
     lambda: rg.jacobian(f, has_aux="yes"),  # type: ignore[call-overload]
     rg.ArgumentError, "has_aux"),
    ("a str leaf",
     lambda: rg.grad(g)({"w": [1.0, "2"]}),
     rg.ArgumentError, r"params\['w'\]\[1\]"),
    ("a huge int",
     lambda: rg.grad(f)(10**400, 1.0),
     rg.ArgumentError, "too large for a float"),
    ("jvp primals a float",
     lambda: rg.jvp(f, 1.0, 1.0),  # type: ignore[call-overload]
     rg.ArgumentError, "primals must be a tuple"),
    ("jvp primals a dict",
     lambda: rg.jvp(g, P, P),  # type: ignore[call-overload]
     rg.ArgumentError, "primals must be a tuple"),
    ("jvp tangents a float",
     lambda: rg.jvp(f, (1.0, 2.0), 1.0),  # type: ignore[call-overload]
     rg.ArgumentError, "tangents must be a tuple"),
    ("jvp counts differ",
     lambda: rg.jvp(f, (1.0, 2.0), (1.0,)),
     rg.ArgumentError, "one tangent per primal"),
    ("an int for a list",
     lambda: rg.jvp(g, (P,), ({"w": 1},)),
     rg.ArgumentError, r"tangents\[0\]\['w'\] must be a list"),
    ("a bool for a dict",
     lambda: rg.jvp(g, (P,), (True,)),
     rg.ArgumentError, r"must be a dict of 1 entry"),
    ("a list for a tuple's keys",
     lambda: rg.jvp(g, (P,), ({"v": [1.0, 2.0]},)),
     rg.ArgumentError, "has keys"),
    ("jvp of a number",
     lambda: rg.jvp(3.0, (1.0,), (1.0,)),  # type: ignore[call-overload]
     rg.ArgumentError, "needs a function"),
    ("vjp of a number",
     lambda: rg.vjp(3.0, 1.0),  # type: ignore[call-overload]
     rg.ArgumentError, "needs a function"),
    ("pullback of a list",
     lambda: rg.vjp(f, 1.0, 2.0)[1]([1.0]),  # type: ignore[arg-type]
     rg.ArgumentError, "cotangent must be a number"),
    ("pullback of an int",
     lambda: rg.vjp(lambda x: [x, x], 1.0)[1](1),  # type: ignore[arg-type]
     rg.ArgumentError, "must be a list of 2"),
    ("hvp primals a float",
     lambda: rg.hvp(f, 1.0, 1.0),  # type: ignore[call-overload]
     rg.ArgumentError, "primals must be a tuple"),
    ("hvp tangents short",
     lambda: rg.hvp(f, (1.0, 2.0), (1.0,)),
     rg.ArgumentError, "one tangent per primal"),
    ("linearize a str",
     lambda: rg.linearize(f, "a", 1.0),
     rg.ArgumentError, "must be a real number"),
    ("f_jvp short",
     lambda: rg.linearize(f, 1.0, 2.0)[1](1.0),
     rg.ArgumentError, "one tangent per primal"),
    ("derivative order",
     lambda: rg.derivative(rg.sin, order=1.5),  # type: ignore[arg-type]
     rg.ArgumentError, "order"),
    ("derivative of a number",
     lambda: rg.derivative(2.0),  # type: ignore[arg-type]
     rg.ArgumentError, "needs a function"),
    ("custom_jvp of a number",
     lambda: rg.custom_jvp(1.0),  # type: ignore[arg-type]
     rg.ArgumentError, "needs a function"),
    ("defjvp of a number",
     lambda: rg.custom_jvp(f).defjvp(1.0),  # type: ignore[type-var]
     rg.ArgumentError, "defjvp needs a function"),
    ("defvjp of a number",
     lambda: rg.custom_vjp(f).defvjp(f, 1.0),  # type: ignore[arg-type]
     rg.ArgumentError, "bwd must be a function"),
    ("nondiff_argnums a str",
     lambda: rg.custom_vjp(f, nondiff_argnums="0"),  # type: ignore[arg-type]
     rg.ArgumentError, "nondiff_argnums"),
    ("custom call too short",
     lambda: rg.custom_jvp(f, nondiff_argnums=(3,))(1.0, 2.0),
     rg.ArgumentError, r"nondiff_argnums=\(3,\) but it was called with 2"),
    ("custom call bad keyword",
     lambda: rg.custom_jvp(f)(1.0, z=2.0),  # type: ignore[call-arg]
     rg.ArgumentError, "missing a required argument: 'y'"),
    ("tree_unflatten of a number",
     lambda: rg.tree_unflatten(3, [1.0]),  # type: ignore[arg-type]
     rg.ArgumentError, "needs a TreeDef"),
    ("tree_unflatten too few",
     lambda: rg.tree_unflatten(rg.tree_flatten([1.0, 2.0])[1], [1.0]),
     rg.ArgumentError, "holds 2 leaves"),
    ("register a number",
     lambda: rg.register_container(3, f, f),  # type: ignore[arg-type]
     rg.ArgumentError, "needs a class"),
    ("stop_gradient of a str",
     lambda: rg.stop_gradient("a"),  # type: ignore[call-overload]
     rg.OperandTypeError, "stop_gradient"),
    ("compile jvp shapes",
     lambda: rg.compile(g).jvp((P,), ([1.0, 2.0],)),
     rg.ArgumentError, r"tangents\[0\] must be a dict"),
    ("compile a str leaf",
     lambda: rg.compile(g)({"w": [1.0, "x"]}),  # type: ignore[list-item]
     rg.ArgumentError, r"params\['w'\]\[1\]"),
    ("functional_call keys",
     lambda: rg.nn.functional_call(rg.nn.Neuron(1), {"w.0": 1.0}, [1.0]),
     rg.nn.ShapeError, "missing 'b'"),
    ("functional_call of a list",
     lambda: rg.nn.functional_call(rg.nn.Neuron(1), [1.0], [1.0]),  # type: ignore[arg-type]
     rg.ArgumentError, "dict of numbers"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "attempt", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_a_rulegrad_error(
    what: str, attempt: Callable[[], object], error: type[rg.RulegradError], message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        attempt()
    assert isinstance(caught.value, rg.RulegradError)
    assert isinstance(caught.value, (TypeError, ValueError)), "and the matching builtin"


def test_more_bad_input_is_a_rulegrad_error() -> None:
    names: list[object] = [None, [], 3]
    for name in names:
        with pytest.raises(rg.ArgumentError, match="an op's name is a str"):
            rg.registry.get(name)  # type: ignore[arg-type]
    for order in (10**400, 100_001):
        with pytest.raises(rg.ArgumentError, match="is more than 100,000"):
            rg.derivative(rg.sin, order)
        with pytest.raises(rg.ArgumentError, match="is more than 100,000"):
            rg.taylor(rg.sin, order=order)
    with pytest.raises(rg.RangeError, match="too large for a float"):
        rg.Value(10**400)
    for bad in (5, "ab", None):
        with pytest.raises(rg.ArgumentError, match="must be an iterable"):
            rg.sum(bad)  # type: ignore[arg-type]
        with pytest.raises(rg.ArgumentError, match="must be an iterable"):
            rg.dot(bad, [1.0])  # type: ignore[arg-type]
