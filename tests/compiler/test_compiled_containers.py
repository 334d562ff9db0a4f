"""rg.compile with containers at its boundary: flattened to positional floats on the way
in, rebuilt on the way out, with the dynamic modes' numbers and errors."""

from __future__ import annotations

import math
from typing import Any, NamedTuple, NoReturn

import pytest

import rulegrad as rg
from rulegrad.compiler import compiled as compiled_module


class Point(NamedTuple):
    x: float
    y: float


def loss(params: dict[str, list[float]], x: float) -> float:
    w, b = params["w"], params["b"]
    return (w[0] * x + w[1] * rg.exp(x * b[0]) - 1.0) ** 2


PARAMS = {"w": [0.5, -0.25], "b": [0.1]}


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> NoReturn:
        raise AssertionError("the compiled call fell back to the dynamic mode")

    for name in ("_dynamic_value", "_dynamic_gradient", "_dynamic_jvp"):
        monkeypatch.setattr(rg.Compiled, name, fail)


@pytest.mark.usefixtures("no_fallback")
def test_containers_in_give_the_dynamic_numbers() -> None:
    fast = rg.compile(loss)
    for params, x in ((PARAMS, 2.0), ({"w": [1.5, 2.0], "b": [-0.3]}, 0.5)):
        assert fast(params, x) == loss(params, x)
        assert fast.value_and_grad(params, x) == rg.value_and_grad(loss, argnums=(0, 1))(params, x)
        assert fast.grad(params, x)[0]["w"] == rg.grad(loss)(params, x)["w"]
        tangents = ({"w": [1.0, -1.0], "b": [0.5]}, 0.25)
        assert fast.jvp((params, x), tangents) == rg.jvp(loss, (params, x), tangents)
    assert len(fast._traces) == 1  # one trace for the structure, reused


@pytest.mark.usefixtures("no_fallback")
def test_containers_out_and_one_trace_per_structure() -> None:
    def polar(p: Point) -> dict[str, Any]:
        return {"r": rg.hypot(p.x, p.y), "angle": [rg.atan2(p.y, p.x)], "nothing": None}

    fast = rg.compile(polar)
    out = fast(Point(3.0, 4.0))
    assert out == {"r": 5.0, "angle": [math.atan2(4.0, 3.0)], "nothing": None}
    assert fast.jvp((Point(3.0, 4.0),), (Point(1.0, 0.0),)) == rg.jvp(
        polar, (Point(3.0, 4.0),), (Point(1.0, 0.0),)
    )
    both = rg.compile(lambda a, b: [a * b, a + b])
    assert both(2.0, 3.0) == [6.0, 5.0]  # numbers in, a list out
    assert both.jvp((2.0, 3.0), (1.0, 0.0)) == ([6.0, 5.0], [3.0, 1.0])
    fast(Point(1.0, 1.0))
    assert len(fast._traces) == 1
    flexible = rg.compile(lambda xs: rg.sum(xs))
    assert flexible([1.0, 2.0]) == 3.0 and flexible([1.0, 2.0, 3.0]) == 6.0
    assert len(flexible._traces) == 2  # a list of another length is another structure


def test_errors_and_fallbacks_match_the_dynamic_modes() -> None:
    fast = rg.compile(lambda p: rg.log(p["a"]) * p["b"])
    with pytest.raises(rg.DomainError, match="log"):
        fast({"a": -1.0, "b": 2.0})
    assert fast.grad({"a": 1.0, "b": 2.0}) == ({"a": 2.0, "b": 0.0},)
    with pytest.raises(rg.NonScalarOutputError, match="returned dict of length 2"):
        rg.compile(lambda p: {"a": p, "b": p}).grad(1.0)
    with pytest.raises(rg.ArgumentError, match=r"p\['a'\] is differentiated"):
        fast({"a": "x", "b": 1.0})
    with pytest.raises(rg.ArgumentError, match=r"tangents\[0\] has 1 entry, but 2 were"):
        fast.jvp(({"a": 1.0, "b": 2.0},), ({"a": 1.0},))
    # Nodes of an enclosing transform inside a container: f runs dynamically.
    outer = rg.grad(lambda s: fast({"a": s, "b": s * s}))(2.0)
    assert outer == pytest.approx(1.0 / 2.0 * 4.0 + math.log(2.0) * 4.0)


def test_compiled_value_and_grad_is_typed_by_the_function() -> None:
    fast = rg.compile(loss)
    value, grads = fast.value_and_grad(PARAMS, 2.0)
    assert type(value) is float and isinstance(grads, tuple) and len(grads) == 2
    assert compiled_module.compile is rg.compile
