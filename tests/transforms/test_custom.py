"""custom_jvp and custom_vjp (section 9): JAX's API and semantics, every transform, both
modes and higher orders, containers and int outputs, rg.compile, Value graphs, threads."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest

import rulegrad as rg
from tests.helpers import MODE_PAIRS, MODES, assert_trees_close


@rg.custom_jvp
def log1pexp(x: float) -> float:
    """log(1 + e^x) without overflow, on plain floats."""
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals: tuple[float], tangents: tuple[float]) -> tuple[float, float]:
    (x,), (t,) = primals, tangents
    return log1pexp(x), rg.sigmoid(x) * t


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.mark.parametrize("mode", MODES)
def test_custom_jvp_first_order_both_modes(mode: rg.ModeLike) -> None:
    for x in (-30.0, -1.0, 0.0, 2.0, 800.0):
        assert rg.grad(log1pexp, mode=mode)(x) == pytest.approx(sigmoid(x), rel=1e-15)
    assert log1pexp(800.0) == 800.0  # the function itself, on floats: no overflow


@pytest.mark.parametrize(("outer", "inner"), MODE_PAIRS)
def test_custom_jvp_every_order_from_a_rule_in_rg_ops(
    outer: rg.ModeLike, inner: rg.ModeLike
) -> None:
    second = rg.grad(rg.grad(log1pexp, mode=inner), mode=outer)
    for x in (-1.0, 0.0, 2.0):
        s = sigmoid(x)
        assert second(x) == pytest.approx(s * (1 - s), rel=1e-13)
    third = rg.grad(rg.grad(rg.grad(log1pexp, mode=inner), mode=outer))(0.5)
    s = sigmoid(0.5)
    assert third == pytest.approx(s * (1 - s) * (1 - 2 * s), rel=1e-12)
    assert rg.hessian(log1pexp, mode=inner)(0.5) == [[pytest.approx(s * (1 - s), rel=1e-13)]]
    assert rg.derivative(log1pexp, order=3)(0.5) == pytest.approx(third, rel=1e-12)


def test_the_rule_is_used_not_the_function(jax: Any) -> None:
    """As in JAX, a custom rule wins even where it disagrees with the function."""

    @rg.custom_jvp
    def f(x: float) -> float:
        return x * x

    f.defjvp(lambda primals, tangents: (f(primals[0]), 10.0 * tangents[0]))

    @jax.custom_jvp  # type: ignore[untyped-decorator]
    def f_jax(x: Any) -> Any:
        return x * x

    f_jax.defjvp(lambda primals, tangents: (f_jax(primals[0]), 10.0 * tangents[0]))
    for mode in MODES:
        assert rg.grad(lambda x: f(x) * x, mode=mode)(3.0) == float(
            jax.grad(lambda x: f_jax(x) * x)(3.0)
        )


def test_several_outputs_containers_in_and_int_outputs() -> None:
    @rg.custom_jvp
    def polar(p: dict[str, float]) -> tuple[float, float, int]:
        return math.hypot(p["x"], p["y"]), math.atan2(p["y"], p["x"]), 42

    @polar.defjvp
    def _(primals: tuple[dict[str, Any]], tangents: tuple[dict[str, Any]]) -> tuple[Any, Any]:
        (p,), (t,) = primals, tangents
        r = rg.hypot(p["x"], p["y"])
        dr = (p["x"] * t["x"] + p["y"] * t["y"]) / r
        dtheta = (p["x"] * t["y"] - p["y"] * t["x"]) / (r * r)
        return polar(p), (dr, dtheta, 0.0)

    def direct(p: dict[str, float]) -> tuple[float, float]:
        return rg.hypot(p["x"], p["y"]), rg.atan2(p["y"], p["x"])

    point = {"x": 1.2, "y": -0.7}
    r, theta, count = polar(point)
    assert count == 42 and type(count) is int
    for mode in MODES:
        jac = rg.jacobian(lambda p: polar(p)[:2], mode=mode)(point)
        assert_trees_close(jac, rg.jacobian(direct, mode=mode)(point), f"jacobian {mode}")
        h = rg.hessian(lambda p: polar(p)[0] * polar(p)[1], mode=mode)(point)
        h_direct = rg.hessian(lambda p: direct(p)[0] * direct(p)[1], mode=mode)(point)
        assert_trees_close(h, h_direct, f"hessian {mode}", 1e-12)
    out, tangent = rg.jvp(polar, (point,), ({"x": 1.0, "y": 0.0},))
    assert out == (r, theta, 42) and type(out[2]) is int and tangent[2] == 0.0
    on_nodes: Callable[..., Any] = polar  # typed over floats; called here on a Value
    traced = on_nodes({"x": rg.Value(1.2), "y": -0.7})
    assert traced[2] == 42 and type(traced[2]) is int
    assert rg.grad(lambda p: float(polar(p)[2]) + polar(p)[0])(point)["y"] == pytest.approx(
        -0.7 / r
    )


def test_nondiff_argnums_take_functions_and_go_first_to_the_rule() -> None:
    def solve(g: Callable[[float, float], float], a: float) -> float:
        lo, hi = 0.0, max(1.0, a)  # bisection for g(x, a) = 0 on [0, max(1, a)]
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if g(mid, a) < 0 else (lo, mid)
        return 0.5 * (lo + hi)

    root = rg.custom_jvp(solve, nondiff_argnums=(0,))

    @root.defjvp
    def _(
        g: Callable[[float, float], float], primals: tuple[float], tangents: tuple[float]
    ) -> tuple[float, float]:
        (a,), (t,) = primals, tangents
        x = root(g, a)
        slope_x = rg.grad(g, argnums=0)(x, a)
        slope_a = rg.grad(g, argnums=1)(x, a)
        return x, -slope_a / slope_x * t

    cube = lambda x, a: x * x * x - a
    for mode in MODES:
        assert rg.grad(lambda a: root(cube, a), mode=mode)(8.0) == pytest.approx(1 / 12, rel=1e-12)
    assert rg.grad(rg.grad(lambda a: root(cube, a)))(8.0) == pytest.approx(-2 / 9 / 32, rel=1e-9)
    with pytest.raises(
        rg.ArgumentError, match="argument 1 is in nondiff_argnums but holds a traced"
    ):
        rg.grad(lambda a: rg.custom_jvp(lambda x, y: x, nondiff_argnums=(1,))(1.0, a))(2.0)


def newton_sqrt_vjp() -> rg.custom_vjp[[float], float]:
    @rg.custom_vjp
    def sqrt(a: float) -> float:
        return math.sqrt(a)

    def fwd(a: float) -> tuple[float, float]:
        root = math.sqrt(a)
        return root, root

    def bwd(root: float, cotangent: float) -> tuple[float]:
        return (cotangent / (2.0 * root),)

    sqrt.defvjp(fwd, bwd)
    return sqrt


def test_custom_vjp_reverse_mode_and_forward_mode_refused(jax: Any) -> None:
    sqrt = newton_sqrt_vjp()
    assert sqrt(4.0) == 2.0
    assert rg.grad(sqrt)(4.0) == 0.25
    assert rg.vjp(sqrt, 9.0)[1](1.0) == (1.0 / 6.0,)
    attempts: list[Callable[[], object]] = [
        lambda: rg.grad(sqrt, mode="forward")(4.0),
        lambda: rg.jvp(sqrt, (4.0,), (1.0,)),
        lambda: rg.hessian(sqrt)(4.0),
        lambda: rg.linearize(sqrt, 4.0)[1](1.0),
    ]
    for attempt in attempts:
        with pytest.raises(rg.MissingRuleError, match=r"no forward rule for 'sqrt'.*custom_vjp"):
            attempt()
    # Reverse over reverse through a fwd on plain floats: a clear error, not a silent zero.
    with pytest.raises(rg.MissingRuleError, match=r"no reverse rule for 'sqrt'.*order 1 only"):
        rg.grad(rg.grad(sqrt))(4.0)

    @jax.custom_vjp  # type: ignore[untyped-decorator]
    def clip(x: Any) -> Any:
        return x

    clip.defvjp(lambda x: (x, None), lambda res, ct: (jax.numpy.clip(ct, -1.0, 1.0),))

    @rg.custom_vjp
    def clip_rg(x: float) -> float:
        return x

    clip_rg.defvjp(lambda x: (x, None), lambda res, ct: (rg.maximum(-1.0, rg.minimum(1.0, ct)),))
    for scale in (0.5, 5.0, -3.0):
        expected = float(jax.grad(lambda x, s=scale: s * clip(x))(2.0))
        assert rg.grad(lambda x, s=scale: s * clip_rg(x))(2.0) == expected


def test_custom_vjp_in_rg_ops_differentiates_again() -> None:
    @rg.custom_vjp
    def softplus(x: float) -> float:
        return math.log1p(math.exp(x))

    softplus.defvjp(lambda x: (rg.log1p(rg.exp(x)), x), lambda x, ct: (rg.sigmoid(x) * ct,))
    s = sigmoid(0.3)
    assert rg.grad(softplus)(0.3) == pytest.approx(s, rel=1e-15)
    assert rg.grad(rg.grad(softplus))(0.3) == pytest.approx(s * (1 - s), rel=1e-13)


def test_custom_vjp_several_outputs_and_none_cotangents() -> None:
    @rg.custom_vjp
    def both(x: float, y: float) -> dict[str, float]:
        return {"prod": x * y, "sin": math.sin(x)}

    def fwd(x: float, y: float) -> tuple[dict[str, float], tuple[float, float]]:
        return both(x, y), (x, y)

    def bwd(res: tuple[float, float], ct: dict[str, float]) -> tuple[float, float | None]:
        x, y = res
        return ct["prod"] * y + ct["sin"] * rg.cos(x), None if ct["prod"] == 0.0 else ct["prod"] * x

    both.defvjp(fwd, bwd)
    f = lambda x, y: both(x, y)["prod"] + 3.0 * both(x, y)["sin"]
    assert rg.grad(f, argnums=(0, 1))(1.0, 2.0) == pytest.approx((2.0 + 3 * math.cos(1.0), 1.0))
    assert rg.grad(lambda x, y: both(x, y)["sin"], argnums=1)(1.0, 2.0) == 0.0


def test_value_and_dual_graphs_use_the_rules() -> None:
    # Custom functions are typed over floats, as users write them; nodes go in all the same.
    on_nodes: Callable[..., Any] = log1pexp
    x = rg.Value(2.0)
    y = on_nodes(x) * x
    y.backward()
    assert x.grad == pytest.approx(sigmoid(2.0) * 2.0 + log1pexp(2.0))
    d = on_nodes(rg.Dual(2.0, 1.0))
    assert (d.primal, d.tangent) == (log1pexp(2.0), pytest.approx(sigmoid(2.0)))
    v = rg.Value(4.0)
    sqrt_on_nodes: Callable[..., Any] = newton_sqrt_vjp()
    sqrt_on_nodes(v).backward()
    assert v.grad == 0.25


def test_custom_functions_are_called_by_compiled_code() -> None:
    calls: list[float] = []

    @rg.custom_jvp
    def counted(x: float) -> float:
        calls.append(x)
        return math.tanh(x)

    counted.defjvp(lambda p, t: (counted(p[0]), (1.0 - rg.tanh(p[0]) ** 2) * t[0]))
    sqrt = newton_sqrt_vjp()
    f = rg.compile(lambda x, y: counted(x) * y + sqrt(y))
    for x, y in ((0.5, 4.0), (-1.0, 9.0), (2.0, 0.25)):
        assert f(x, y) == math.tanh(x) * y + math.sqrt(y)
        value, grads = f.value_and_grad(x, y)
        assert (value, grads) == rg.value_and_grad(
            lambda a, b: counted(a) * b + sqrt(b), argnums=(0, 1)
        )(x, y)
        assert f.jvp((x, y), (1.0, 0.0)) == (value, grads[0])
    # Called, not inlined: each reached by a generated name, never its own.
    source = f.source(2)
    assert re.search(r"v2 = _g\d+\(v0\)", source) and "counted" not in source
    calls.clear()
    f(0.75, 4.0)
    assert calls == [0.75]  # one call per compiled evaluation, whatever the outputs


def test_int_outputs_under_compile_are_not_frozen() -> None:
    @rg.custom_jvp
    def steps(x: float) -> tuple[float, int]:
        return x * 2.0, int(x)

    steps.defjvp(lambda p, t: (steps(p[0]), (2.0 * t[0], 0.0)))
    f = rg.compile(lambda x: steps(x)[0] + 1.0)
    assert f(3.5) == 8.0 and f(10.0) == 21.0
    with pytest.raises(rg.TracingError):
        rg.compile(lambda x: steps(x)[0] * steps(x)[1])(3.5)
    with pytest.raises(rg.TracingError, match="needs the numbers of the call being compiled"):
        rg.compile(lambda x: steps(x)[0]).source(1)


def test_a_compiled_custom_function_shared_by_threads() -> None:
    f = rg.compile(lambda x, y: log1pexp(x * y) + newton_sqrt_vjp()(y))
    points = [(0.1 * k - 0.3, 1.0 + k) for k in range(8)]
    expected = [f.value_and_grad(*p) for p in points]
    results: dict[int, list[Any]] = {k: [] for k in range(8)}
    barrier = threading.Barrier(8)

    def work(k: int) -> None:
        barrier.wait()
        for _ in range(40):
            results[k].append(f.value_and_grad(*points[k]))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[k] == [expected[k]] * 40 for k in range(8))


def test_rule_errors_name_the_function() -> None:
    @rg.custom_jvp
    def no_rule(x: float) -> float:
        return x

    assert no_rule(2.0) == 2.0  # plain numbers never need the rule
    with pytest.raises(rg.RuleError, match=r"no_rule: a rg\.custom_jvp function has no jvp rule"):
        rg.grad(no_rule)(2.0)

    @rg.custom_jvp
    def broken(x: float) -> float:
        return x

    broken.defjvp(lambda primals, tangents: (primals[0], (tangents[0], 1.0)))
    with pytest.raises(rg.ArgumentError, match=r"tangent_out must be a number, not a tuple"):
        rg.grad(broken)(2.0)
    broken.defjvp(lambda primals, tangents: primals[0])
    with pytest.raises(rg.RuleError, match="must return a pair"):
        rg.grad(broken, mode="forward")(2.0)
    broken.defjvp(lambda primals, tangents: int("x"))
    with pytest.raises(rg.RuleError, match="broken: its jvp rule raised ValueError"):
        rg.grad(broken)(2.0)

    @rg.custom_vjp
    def short(x: float, y: float) -> float:
        return x * y

    short.defvjp(lambda x, y: (x * y, None), lambda res, ct: (ct,))
    with pytest.raises(rg.RuleError, match="bwd must return a tuple of 2 cotangents"):
        rg.grad(short)(1.0, 2.0)
    with pytest.raises(rg.ArgumentError, match=r"args\[0\]\[1\] is a str.*nondiff_argnums"):
        rg.grad(lambda x: rg.custom_jvp(lambda p: p[0])([x, "s"]))(1.0)
    with pytest.raises(rg.ArgumentError, match="nondiff_argnums must be a tuple of non-negative"):
        rg.custom_jvp(lambda x: x, nondiff_argnums=(-1,))


def test_check_grads_passes_on_the_custom_functions() -> None:
    rg.check_grads(log1pexp, (0.7,), order=3)
    rg.check_grads(newton_sqrt_vjp(), (2.0,), order=1, modes=("reverse",))
