"""Nothing silently wrong: each class of wrong number, with several members each.

- a partial the mode does not need is never computed, so it cannot fail;
- a finite derivative does not overflow or underflow on the way (the rules are written
  for it);
- a non-finite derivative from finite inputs is an error naming the op and the point;
- a failing backward pass leaves every `.grad` as it was;
- shared pullbacks and compiled functions give exact numbers from many threads.

Every case runs in both modes, compiled, and where it applies at second order.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import pytest

import rulegrad as rg
from tests.helpers import MODES

Function = Callable[[float], float]


def _all_ways(f: Function, x: float) -> list[tuple[str, float]]:
    """f' at x in each mode, compiled (gradient and jvp), and through Taylor mode."""
    compiled = rg.compile(f)
    return [
        *((mode, rg.grad(f, mode=mode)(x)) for mode in MODES),
        ("compiled grad", compiled.grad(x)[0]),
        ("compiled jvp", compiled.jvp((x,), (1.0,))[1]),
        ("taylor", rg.taylor(f, order=1)(x)[1]),
    ]


# --- 1. No partial is computed that the mode does not need ------------------------------

UNNEEDED: list[tuple[str, Function, float, float]] = [
    # d/dx 1e-300 ** y would overflow; x is a constant, so only d/dy is needed.
    ("1e-300 ** y", lambda y: 1e-300**y, -0.5, 1e150 * math.log(1e-300)),
    # d/dy (-2) ** y does not exist (x < 0); y is a constant.
    ("x ** 3 at x < 0", lambda x: x**3.0, -2.0, 12.0),
    # d/dx 0 ** y is infinite for y < 1; here y = 2 is a constant, only d/dx is needed.
    ("x ** 0.5 * 0 ** 2", lambda x: x**0.5 + 0.0**2.0, 4.0, 0.25),
    # d/dy x ** y at x == 0 is undefined for y <= 1, but y is the variable and x constant 0.
    ("0 ** y", lambda y: 0.0**y, 2.0, 0.0),
    # atan2's partial in its second argument is not needed when it is a constant.
    ("atan2(x, 1e-300)", lambda x: rg.atan2(x, 1e-300), 0.0, 1e300),
]


@pytest.mark.parametrize(("name", "f", "x", "expected"), UNNEEDED, ids=[u[0] for u in UNNEEDED])
def test_a_partial_no_mode_needs_is_never_computed(
    name: str, f: Function, x: float, expected: float
) -> None:
    for way, got in _all_ways(f, x):
        assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=0.0), (way, got, expected)


# --- 2. Finite derivatives stay finite on the way ---------------------------------------

# (name, f, x, f'(x) computed in higher precision by hand)
STABLE: list[tuple[str, Function, float, float]] = [
    ("atan2(x, 1e-200) at 0", lambda x: rg.atan2(x, 1e-200), 0.0, 1e200),
    ("atan2(1e-200, x) at 1e-200", lambda x: rg.atan2(1e-200, x), 1e-200, -0.5e200),
    ("asinh at 1e155", rg.asinh, 1e155, 1e-155),
    ("asinh at -1e200", rg.asinh, -1e200, 1e-200),
    ("acosh at 1e155", rg.acosh, 1e155, 1e-155),
    ("atan at 1e155", rg.atan, 1e155, 1e-310),
    ("tanh at 20", rg.tanh, 20.0, 4.0 / (math.exp(20.0) + math.exp(-20.0)) ** 2),
    ("tanh at -300", rg.tanh, -300.0, 4.0 * math.exp(-600.0)),
    ("sigmoid at 40", rg.sigmoid, 40.0, math.exp(-40.0) / (1.0 + math.exp(-40.0)) ** 2),
    ("sigmoid at -700", rg.sigmoid, -700.0, math.exp(-700.0)),
    ("expm1 at -50", rg.expm1, -50.0, math.exp(-50.0)),
    ("hypot(x, 1e-200) at 1e-200", lambda x: rg.hypot(x, 1e-200), 1e-200, 1.0 / math.sqrt(2.0)),
    ("x / 1e-200 ... d/dy at tiny", lambda y: rg.div(1e-200, y), 1e-200, -1e200),
]


@pytest.mark.parametrize(("name", "f", "x", "expected"), STABLE, ids=[s[0] for s in STABLE])
def test_a_finite_derivative_neither_overflows_nor_underflows(
    name: str, f: Function, x: float, expected: float
) -> None:
    for way, got in _all_ways(f, x):
        assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=0.0), (way, got, expected)


def test_atan2_at_the_origin_is_still_undefined() -> None:
    for mode in MODES:
        with pytest.raises(rg.DomainError, match="atan2 has no derivative at the origin"):
            rg.grad(lambda x: rg.atan2(x, 0.0), mode=mode)(0.0)


# --- 3. A non-finite derivative of finite inputs is an error naming the op ---------------

NON_FINITE: list[tuple[str, Function, float, str]] = [
    ("log(x) - log(x) at 5e-324", lambda x: rg.log(x) - rg.log(x), 5e-324, "log"),
    ("x / x at 5e-324", lambda x: x / x, 5e-324, "div"),
    ("log2(x) - log2(x) at 1e-320", lambda x: rg.log2(x) - rg.log2(x), 5e-324, "log2"),
    ("log10(x) - log10(x) at 5e-324", lambda x: rg.log10(x) - rg.log10(x), 5e-324, "log10"),
]


@pytest.mark.parametrize(("name", "f", "x", "op"), NON_FINITE, ids=[n[0] for n in NON_FINITE])
def test_a_non_finite_derivative_of_finite_inputs_names_the_op(
    name: str, f: Function, x: float, op: str
) -> None:
    assert math.isfinite(f(x))
    compiled = rg.compile(f)
    attempts: list[Callable[[], object]] = [
        *(lambda mode=mode: rg.grad(f, mode=mode)(x) for mode in MODES),
        lambda: rg.jvp(f, (x,), (1.0,)),
        lambda: rg.vjp(f, x)[1](1.0),
        lambda: compiled.grad(x),
        lambda: compiled.jvp((x,), (1.0,)),
        lambda: rg.hessian(f)(x),
    ]
    for attempt in attempts:
        with pytest.raises(rg.RangeError) as raised:
            attempt()
        assert raised.value.op_name == op and raised.value.in_derivative
        assert "not finite" in str(raised.value) and "although its inputs are" in str(raised.value)


def test_a_non_finite_value_explains_itself() -> None:
    # f itself overflows: the gradient is inf, as the value is, with no error.
    assert rg.grad(lambda x: x * 1e308 * 10.0)(1.0) == math.inf
    # And a non-finite input gives what arithmetic gives.
    assert math.isnan(rg.grad(lambda x: x - x)(math.inf)) is False


# A rule that branches with == on an input is not traced into one branch: identity
# comparison would quietly take `x == 0` as false for every x.
def test_a_rule_branching_with_equality_is_called_not_traced() -> None:
    kink = rg.Op(
        "kink_eq", forward=lambda x: x * x,
        partials=lambda out, x: (5.0 if x == 0 else 2.0 * x,),
    )  # fmt: skip
    assert kink.program(1) is None
    for way, got in _all_ways(kink, 0.0)[:4]:  # Taylor mode calls the rule on series
        assert got == 5.0, way
    for way, got in _all_ways(kink, 1.5)[:4]:
        assert got == 3.0, way


# --- 4. A failing backward pass changes nothing -----------------------------------------


def _graph_failing_at(kind: str) -> tuple[list[rg.Value], rg.Value]:
    a, b, c = rg.Value(4.0), rg.Value(0.0), rg.Value(-1.0)
    leaves = [a, b, c]
    if kind == "domain":  # sqrt's slope at 0
        out = a * a + rg.sqrt(b) + c * 3.0
    elif kind == "missing rule":
        opaque = rg.Op("opaque", forward=abs, arity=1, partials=None)
        out = a * 2.0 + opaque(c) + b
    elif kind == "non-finite":
        tiny = rg.Value(5e-324) + b
        out = rg.log(tiny) - rg.log(tiny) + a * c  # log's slope at 5e-324 is inf
    else:  # a rule that raises an error of its own
        boom = rg.Op("boom", forward=lambda x: x, partials=lambda out, x: (1.0 / 0.0,))
        out = boom(a) + b * c
    return leaves, out


@pytest.mark.parametrize("kind", ["domain", "missing rule", "non-finite", "raising rule"])
def test_a_failing_backward_leaves_every_grad_as_it_was(kind: str) -> None:
    leaves, out = _graph_failing_at(kind)
    # Gradients already accumulated by an earlier pass, on leaves and on the output.
    for k, leaf in enumerate(leaves):
        leaf.grad = 10.0 + k
    out.grad = -7.0
    before = [leaf.grad for leaf in leaves]
    with pytest.raises(rg.RulegradError):
        out.backward()
    assert [leaf.grad for leaf in leaves] == before
    assert out.grad == -7.0


def test_after_a_failure_a_good_pass_accumulates_as_usual() -> None:
    a = rg.Value(2.0)
    (a * a).backward()
    with pytest.raises(rg.DomainError):
        (a * rg.sqrt(rg.Value(0.0))).backward()
    assert a.grad == 4.0
    (a * a).backward()
    assert a.grad == 8.0


# --- 5. Threads ------------------------------------------------------------------------


def _in_threads(work: Callable[[int], object], n: int = 8, rounds: int = 40) -> list[object]:
    results: list[object] = [None] * (n * rounds)
    barrier = threading.Barrier(n)

    def run(t: int) -> None:
        barrier.wait()
        for r in range(rounds):
            results[t * rounds + r] = work(t * rounds + r)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_one_pullback_from_many_threads() -> None:
    _, pullback = rg.vjp(lambda x, y: (x * rg.sin(y) + y * y, x / y), 1.5, 0.5)
    expected = {k: pullback((float(k), 1.0 - k)) for k in range(320)}
    got = _in_threads(lambda k: pullback((float(k), 1.0 - k)))
    assert got == [expected[k] for k in range(320)]


def test_one_compiled_function_from_many_threads() -> None:
    f = rg.compile(lambda x, y: x * rg.exp(-y) + rg.sqrt(x * x + y))
    points = [(1.0 + k / 100.0, 0.5 + k / 300.0) for k in range(320)]
    expected = [rg.value_and_grad(f.f, argnums=(0, 1))(*p) for p in points]
    fresh = rg.compile(f.f)  # the first calls, which trace and build, race too
    got = _in_threads(lambda k: fresh.value_and_grad(*points[k]))
    assert got == expected
    jvps = _in_threads(lambda k: fresh.jvp(points[k], (1.0, -1.0)))
    assert jvps == [rg.jvp(f.f, p, (1.0, -1.0)) for p in points]
