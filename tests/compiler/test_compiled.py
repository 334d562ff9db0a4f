"""`rg.compile`: generated code, templates, caching, nesting, big graphs."""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Callable, Sequence
from typing import NoReturn

import pytest

import rulegrad as rg
from rulegrad.compiler import compiled as compiled_module
from rulegrad.compiler._codegen import generate

Function = Callable[..., float]


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a compiled call reruns f dynamically instead of running its code."""

    def fail(*args: object) -> NoReturn:
        raise AssertionError("the compiled call fell back to the dynamic mode")

    for name in ("_dynamic_value", "_dynamic_gradient"):
        monkeypatch.setattr(rg.Compiled, name, fail)
    monkeypatch.setattr(compiled_module, "jvp", fail)


def f(x: float, y: float) -> float:
    return x * rg.sin(y) + y**2


@pytest.mark.usefixtures("no_fallback")
def test_values_and_derivatives_equal_the_dynamic_modes() -> None:
    compiled: rg.Compiled[[float, float]] = rg.compile(f)
    value: float = compiled(1.5, -0.5)
    gradient: tuple[float, ...] = compiled.grad(1.5, -0.5)
    assert value == f(1.5, -0.5)
    assert gradient == rg.grad(f, argnums=(0, 1))(1.5, -0.5)
    assert compiled.value_and_grad(1.5, -0.5) == rg.value_and_grad(f, argnums=(0, 1))(1.5, -0.5)
    assert compiled.jvp((1.5, -0.5), (0.25, 2.0)) == rg.jvp(f, (1.5, -0.5), (0.25, 2.0))


def test_templated_ops_become_plain_arithmetic() -> None:
    compiled = rg.compile(lambda x, y: x * y + rg.exp(x) - y / 2.0)
    source = compiled.source(2)
    assert "v2 = v0 * v1" in source and "v3 = _exp(v0)" in source
    assert "g0 = g0 + v1 * g6" in source  # d(x*y)/dx = y, times the adjoint, added
    assert "g5 = -g6" in source  # a partial -1.0: no product
    # A partial 1.0 (the sums) passes the adjoint on under its own name: no copy is made.
    assert "g4 =" not in source and "g2 =" not in source
    assert "_partials" not in source and "_mul(" not in source
    assert compiled.source(2, "value").startswith("def value(v0, v1):")
    assert compiled.source(2, "jvp").startswith("def jvp(v0, v1, t0, t1):")


TEMPLATED = [op for op in rg.registry if op.code is not None and op.samples]


@pytest.mark.usefixtures("no_fallback")
@pytest.mark.parametrize("op", TEMPLATED, ids=[op.name for op in TEMPLATED])
def test_every_template_computes_what_its_rules_compute(op: rg.Op) -> None:
    compiled = rg.compile(op)
    for point in op.samples:
        every = tuple(range(len(point)))
        assert compiled(*point) == op(*point)
        assert compiled.value_and_grad(*point) == rg.value_and_grad(op, every)(*point)
        tangents = [0.5 + i for i in every]
        assert compiled.jvp(point, tangents) == rg.jvp(op, point, tangents)


def test_the_common_built_ins_have_templates() -> None:
    names = {op.name for op in TEMPLATED}
    assert {"add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sin", "cos", "tanh",
            "relu", "sqrt", "abs", "maximum"} <= names  # fmt: skip


def test_templates_state_forward_values_only() -> None:
    # Every derivative comes from the rule: an OpCode says how the forward value is computed,
    # over floats and over arrays (rg.vmap), and nothing else.
    assert list(rg.OpCode.__dataclass_fields__) == ["forward", "array", "arithmetic"]


def test_ops_without_a_template_are_called_and_their_rules_inlined() -> None:
    cube = rg.Op("cube", forward=lambda x: x * x * x, partials=lambda out, x: (3.0 * x * x,))
    compiled = rg.compile(lambda x: cube(x) + x)
    source = compiled.source(1)
    assert "cube" not in source  # reached by a generated name, never by the op's own
    assert re.fullmatch(r"    v1 = _g\d+\(v0\)", source.splitlines()[1])  # forward, called
    assert "3.0 * v0" in source  # the rule, traced and written out
    assert compiled.value_and_grad(2.0) == (10.0, (13.0,))
    assert compiled.jvp((2.0,), (0.5,)) == (10.0, 6.5)


def test_a_rule_that_branches_is_called() -> None:
    kink = rg.Op(
        "kink", forward=lambda x: x if x > 0 else 0.5 * x,
        partials=lambda out, x: (1.0 if x > 0 else 0.5,),
    )  # fmt: skip
    assert kink.program(1) is None
    compiled = rg.compile(lambda x: kink(x) * x)
    for x in (2.0, -2.0):
        value, slope = rg.value_and_grad(lambda x: kink(x) * x)(x)
        assert compiled.value_and_grad(x) == (value, (slope,))


def test_a_user_op_can_carry_a_template() -> None:
    cube = rg.define_op(
        "cube_compiled",
        forward=lambda x: x * x * x,
        partials=lambda out, x: (3.0 * x * x,),
        code=rg.OpCode("{0} * {0} * {0}"),
        registry=rg.OpRegistry(),
    )
    compiled = rg.compile(lambda x: cube(x) + x)
    assert "v1 = v0 * v0 * v0" in compiled.source(1)
    assert re.search(r"_g\d", compiled.source(1)) is None  # nothing called
    assert compiled.value_and_grad(2.0) == (10.0, (13.0,))
    with pytest.raises(rg.RuleError, match="code must be an OpCode"):
        rg.Op("bad", forward=lambda x: x, partials=None, code="{0}")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{0} +", "not a Python expression"),
        ("{3}", "fails"),
        ("{x}", "fails"),
        ("_m.nope({0})", "not a math function"),
        ("_m.pi * {0}", "not a math function"),
        ("__import__('os').system('true') or {0}", "not a math function"),
        ("{0}.__class__", "not a math function"),
        ("open({0})", "calls open"),
        ("[{0}][0]", "may not contain"),
        ("{0} if True else {0}", "literal True"),
        ("'a' * {0}", "literal 'a'"),
        ("y * {0}", "uses 'y'"),
        ("(lambda: {0})()", "calls"),
    ],
)
def test_a_malformed_template_is_refused_when_the_op_is_defined(
    template: str, problem: str
) -> None:
    with pytest.raises(rg.RuleError, match=problem):
        rg.Op("bad", forward=lambda x: x, partials=None, code=rg.OpCode(template))
    with pytest.raises(rg.RuleError, match=problem):
        rg.define_op(
            "bad", forward=lambda x: x, partials=None, code=rg.OpCode(template),
            registry=rg.OpRegistry(),
        )  # fmt: skip


def test_ops_whose_names_look_alike_are_never_confused() -> None:
    # "fi" and "\ufb01" are one identifier to Python's parser (NFKC), two ops to rulegrad.
    first = rg.Op("fi", forward=lambda x: 2.0 * x, partials=lambda out, x: (2.0,))
    second = rg.Op("\ufb01", forward=lambda x: 3.0 * x, partials=lambda out, x: (3.0,))
    compiled = rg.compile(lambda x: first(x) + second(x))
    assert compiled(1.0) == 5.0 and compiled.grad(1.0) == (5.0,)
    assert compiled.jvp((1.0,), (1.0,)) == (5.0, 5.0)


@pytest.mark.usefixtures("no_fallback")
def test_hand_written_jvp_and_vjp_rules_are_called() -> None:
    calls: list[str] = []

    def jvp(out: float, primals: tuple[float, ...], tangents: tuple[float, ...]) -> float:
        calls.append("jvp")
        return 2.0 * primals[0] * tangents[0]

    def vjp(out: float, primals: tuple[float, ...], cotangent: float) -> tuple[float]:
        calls.append("vjp")
        return (2.0 * primals[0] * cotangent,)

    square = rg.Op("square", forward=lambda x: x * x, partials=None, jvp=jvp, vjp=vjp)
    compiled = rg.compile(lambda x: square(x) * 3.0)
    assert compiled.grad(2.0) == (12.0,)
    assert compiled.jvp((2.0,), (1.0,)) == (12.0, 12.0)
    assert calls == ["vjp", "jvp"]


def test_traced_once_per_argument_count() -> None:
    traces: list[int] = []

    def total(*xs: float) -> float:
        traces.append(len(xs))
        return rg.sum([x * x for x in xs])

    compiled = rg.compile(total)
    assert "not traced yet" not in repr(compiled) and "none yet" in repr(compiled)
    for _ in range(3):
        assert compiled(1.0, 2.0) == 5.0
        assert compiled.grad(1.0, 2.0) == (2.0, 4.0)
        assert compiled.jvp((1.0, 2.0), (1.0, 1.0)) == (5.0, 6.0)
    assert compiled.value_and_grad(1.0, 2.0, 3.0) == (14.0, (2.0, 4.0, 6.0))
    assert compiled(3.0) == 9.0
    assert traces == [2, 3, 1]
    assert "argument counts: 1, 2, 3" in repr(compiled)


@pytest.mark.parametrize(
    ("function", "point", "expected"),
    [
        (lambda x: x - x, (3.0,), (0.0,)),
        (lambda x: x / x, (3.0,), (0.0,)),
        (lambda x: x * x + x, (3.0,), (7.0,)),
        (lambda a, b: (a + a) * (b * a), (2.0, 5.0), (40.0, 8.0)),
        (lambda x, y: rg.dot([x, y, x], [y, 2.0, x]), (2.0, 3.0), (7.0, 4.0)),
        (lambda x, y: rg.sum([x, 1.0, y, x]), (2.0, 3.0), (2.0, 1.0)),
    ],
)
@pytest.mark.usefixtures("no_fallback")
def test_operands_used_twice_and_reductions(
    function: Function, point: tuple[float, ...], expected: tuple[float, ...]
) -> None:
    compiled = rg.compile(function)
    assert compiled.grad(*point) == expected
    assert compiled.grad(*point) == rg.grad(function, argnums=tuple(range(len(point))))(*point)


def test_constants_and_untouched_arguments() -> None:
    assert rg.compile(lambda x, y: 3).value_and_grad(1.0, 2.0) == (3.0, (0.0, 0.0))
    assert rg.compile(lambda x, y: y * 2.0).grad(1.0, 5.0) == (0.0, 2.0)
    assert rg.compile(lambda x: x).value_and_grad(4.0) == (4.0, (1.0,))
    assert rg.compile(lambda: 2.5).value_and_grad() == (2.5, ())
    assert rg.compile(lambda x: x * math.inf).jvp((1.0,), (1.0,)) == (math.inf, math.inf)
    assert rg.compile(lambda x: x + -0.5 * (x - -1.5)).source(1, "value").count("(-") == 2


def test_ints_and_bools_are_numbers_as_for_rg_grad() -> None:
    compiled = rg.compile(lambda x, y: x * y)
    assert compiled(2, 3) == 6.0 and type(compiled(2, 3)) is float
    assert compiled.grad(True, 3) == (3.0, 1.0)


@pytest.mark.usefixtures("no_fallback")
def test_wide_sum_is_one_flat_expression() -> None:
    xs = [random.Random(1).uniform(-1.0, 1.0) + i / 10_000 for i in range(10_000)]
    compiled = rg.compile(lambda *x: rg.sum([xi * xi for xi in x]))
    assert compiled.value_and_grad(*xs) == rg.value_and_grad(
        compiled.f, argnums=tuple(range(10_000))
    )(*xs)
    assert compiled.jvp(xs, [1.0] * len(xs)) == rg.jvp(compiled.f, xs, [1.0] * len(xs))


def test_compiled_functions_nest_inside_transforms() -> None:
    compiled = rg.compile(f)
    assert rg.grad(compiled)(1.5, -0.5) == rg.grad(f)(1.5, -0.5)
    assert rg.grad(lambda x: compiled.grad(x, 2.0)[0], mode="forward")(1.0) == 0.0
    second = rg.grad(lambda y: compiled.grad(1.0, y)[1])(0.5)
    assert second == pytest.approx(-math.sin(0.5) + 2.0)
    tangent = compiled.jvp((rg.Value(1.0), 2.0), (1.0, 0.0))[1]
    assert tangent == rg.jvp(f, (1.0, 2.0), (1.0, 0.0))[1]


def test_transforms_inside_f_are_traced_through() -> None:
    def f_with_grad(x: float) -> float:
        return rg.grad(lambda y: rg.sin(y) * x)(x) + rg.jvp(rg.exp, (x,), (2.0,))[1]

    compiled = rg.compile(f_with_grad)
    assert compiled.value_and_grad(0.7) == rg.value_and_grad(f_with_grad, argnums=(0,))(0.7)


def test_generated_source_compiles_for_each_kind_and_is_straight_line() -> None:
    compiled = rg.compile(lambda x, y: rg.maximum(x, y) * rg.relu(x) + abs(y))
    trace = compiled._trace(2)
    for kind in ("value", "value_and_grad", "jvp"):
        source = generate(trace, kind)
        assert source == compiled.source(2, kind) + "\n"
        assert not any(word in source for word in ("for ", "while ", "def _", "lambda"))


def test_compile_traces_through_rg_grad_inside_f() -> None:
    # The rules are straight-line, so a gradient taken inside f is recorded, not refused.
    def f(x: float) -> float:
        return rg.grad(lambda y: y**2.5 * rg.sin(y))(x)

    compiled = rg.compile(f)
    for x in (0.5, 1.0, 2.0):
        assert compiled.value_and_grad(x) == rg.value_and_grad(f, argnums=(0,))(x)


def test_a_dropped_compiled_function_is_freed_by_reference_counting() -> None:
    import gc
    import weakref

    gc.disable()
    try:
        compiled = rg.compile(lambda x, y: x * rg.sin(y) + y**2)
        compiled.value_and_grad(1.0, 2.0)
        compiled.jvp((1.0, 2.0), (1.0, 0.0))
        compiled(1.0, 2.0)
        functions = [weakref.ref(fn) for table in (compiled._values, compiled._gradients,
                     compiled._jvps) for fn in table.values()]  # fmt: skip
        program = weakref.ref(compiled._traces[2].traces[0].program)
        del compiled
        assert all(ref() is None for ref in functions) and program() is None
    finally:
        gc.enable()


@pytest.mark.slow
@pytest.mark.usefixtures("no_fallback")
def test_a_chain_of_ten_thousand_ops_compiles() -> None:
    def chain(x: float) -> float:
        for _ in range(5_000):
            x = x * 0.9999 + rg.sin(x) * 1e-4
        return x

    compiled = rg.compile(chain)
    assert len(compiled._trace(1).program.steps) == 20_000
    assert compiled.value_and_grad(0.5) == rg.value_and_grad(chain, argnums=(0,))(0.5)
    assert compiled.jvp((0.5,), (1.0,)) == rg.jvp(chain, (0.5,), (1.0,))


def _mlp_svm_loss(points: Sequence[tuple[float, float]], labels: Sequence[float]) -> Function:
    """micrograd's demo loss: MLP 2-16-16-1 with ReLU, SVM margin, L2 on 337 parameters."""
    sizes = (2, 16, 16, 1)

    def loss(*params: float) -> float:
        margins = []
        for point, label in zip(points, labels, strict=True):
            h: list[float] = list(point)
            k = 0
            for depth, (nin, nout) in enumerate(itertools.pairwise(sizes)):
                rows = [params[k + i * (nin + 1) : k + (i + 1) * (nin + 1)] for i in range(nout)]
                k += nout * (nin + 1)
                h = [rg.dot(row[:-1], h) + row[-1] for row in rows]
                h = h if depth == len(sizes) - 2 else [rg.relu(v) for v in h]
            margins.append(rg.relu(1.0 + -label * h[0]))
        return rg.sum(margins) * (1.0 / len(margins)) + 1e-4 * rg.sum([p * p for p in params])

    return loss


@pytest.mark.slow
@pytest.mark.usefixtures("no_fallback")
def test_micrograd_mlp_step_compiles_and_matches_the_dynamic_gradient() -> None:
    rng = random.Random(0)
    points = [(rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0)) for _ in range(100)]
    labels = [1.0 if x * y > 0 else -1.0 for x, y in points]
    loss = _mlp_svm_loss(points, labels)
    params = [rng.uniform(-1.0, 1.0) for _ in range(337)]
    compiled = rg.compile(loss)
    value, gradient = compiled.value_and_grad(*params)
    assert (value, gradient) == rg.value_and_grad(loss, argnums=tuple(range(337)))(*params)
    assert len(gradient) == 337 and any(g != 0.0 for g in gradient)
    assert compiled(*params) == value


def test_a_square_is_a_product_in_the_derivative_and_matches_the_rule_exactly() -> None:
    def f(x: float) -> float:
        return x**2 * rg.exp(-x)

    compiled = rg.compile(f)
    assert "2.0 * v0" in compiled.source(1) and "_pow(v0, 2.0 - 1.0)" not in compiled.source(1)
    rng = random.Random(7)
    for _ in range(200):
        x = rng.uniform(-30.0, 30.0)
        value, slope = rg.value_and_grad(f)(x)
        assert compiled.value_and_grad(x) == (value, (slope,))
        assert compiled.jvp((x,), (1.0,)) == rg.jvp(f, (x,), (1.0,))
