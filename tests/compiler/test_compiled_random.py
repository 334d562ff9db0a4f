"""Property tests: `rg.compile` gives the dynamic modes' numbers, and their errors.

A random program is a list of steps over three inputs and a few constants; each step
applies one op to earlier results, so operands are shared and used twice. The ops are every
built-in op (most with code templates), Python's operators, the n-ary `sum` and `dot`, and
ops without templates (called rules, a hand-written jvp/vjp, an op with no derivative).
Inputs are not kept inside the ops' domains: a program that fails must fail the same way,
with the same error type and message, compiled or not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from hypothesis import given, settings
from hypothesis import strategies as st

import rulegrad as rg

NVARS: Final = 3
NCONSTS: Final = 2


def _softsign_jvp(out: float, primals: tuple[float, ...], tangents: tuple[float, ...]) -> float:
    return tangents[0] / (1.0 + abs(primals[0])) ** 2


def _softsign_vjp(out: float, primals: tuple[float, ...], cotangent: float) -> tuple[float]:
    return (cotangent / (1.0 + abs(primals[0])) ** 2,)


# Ops with no code template: rg.compile calls their forward and rules.
UNTEMPLATED: Final[dict[str, rg.Op]] = {
    "cube": rg.Op("cube", forward=lambda x: x * x * x, partials=lambda out, x: (3.0 * x * x,)),
    "sin_called": rg.Op("sin_called", forward=math.sin, partials=rg.sin.partials),
    "softsign": rg.Op(
        "softsign",
        forward=lambda x: x / (1.0 + math.fabs(x)),
        partials=None,
        jvp=_softsign_jvp,
        vjp=_softsign_vjp,
    ),
    "floor": rg.Op("floor", forward=lambda x: float(math.floor(x)), partials=None),
    "mean": rg.Op(
        "mean",
        forward=lambda *xs: sum(xs) / len(xs),
        partials=lambda out, *xs: (1.0 / len(xs),) * len(xs),
    ),
}

OPS: Final[dict[str, tuple[int, Callable[..., float]]]] = {
    "+": (2, lambda x, y: x + y),
    "-": (2, lambda x, y: x - y),
    "*": (2, lambda x, y: x * y),
    "/": (2, lambda x, y: x / y),
    "**": (2, lambda x, y: x**y),
    "unary -": (1, lambda x: -x),
    "sum": (3, lambda x, y, z: rg.sum([x, y, z])),
    "dot": (4, lambda a, b, c, d: rg.dot([a, b], [c, d])),
    "mean": (3, UNTEMPLATED["mean"]),
    **{name: (1, op) for name, op in UNTEMPLATED.items() if name != "mean"},
    **{op.name: (op.arity, op) for op in rg.registry if op.source == rg.kernel.BUILTIN
       and op.arity is not None},
}  # fmt: skip


@dataclass(frozen=True)
class Program:
    """Steps `(op name, argument slots)` over the slots [inputs..., constants..., results...]."""

    steps: tuple[tuple[str, tuple[int, ...]], ...]
    constants: tuple[float, ...]

    def __call__(self, *xs: float) -> float:
        slots = [*xs, *self.constants]
        for name, args in self.steps:
            slots.append(OPS[name][1](*(slots[i] for i in args)))
        return slots[-1]


special = st.sampled_from([0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 3.0])
# Where numbers misbehave: near overflow and underflow, subnormals, the edges of domains.
extreme = st.sampled_from([
    1e308, -1e308, 1.7e308, 1e-308, -1e-308, 5e-324, -5e-324, 2.2250738585072014e-308,
    709.78, 710.0, -745.0, -746.0, 1e154, 1e-154, 1.0 - 1e-16, -1.0 + 1e-16, 1.0 + 1e-15,
    1e16, -1e16, math.pi / 2.0, 1e-200, -1e-200,
])  # fmt: skip
numbers = st.one_of(special, extreme, st.floats(-3.0, 3.0, allow_nan=False))


@st.composite
def programs(draw: st.DrawFn) -> Program:
    steps = []
    for k in range(draw(st.integers(1, 8))):
        name = draw(st.sampled_from(sorted(OPS)))
        arity = OPS[name][0]
        slot = st.integers(0, NVARS + NCONSTS + k - 1)
        steps.append((name, tuple(draw(st.lists(slot, min_size=arity, max_size=arity)))))
    constants = tuple(draw(st.lists(numbers, min_size=NCONSTS, max_size=NCONSTS)))
    return Program(tuple(steps), constants)


points = st.tuples(*[numbers for _ in range(NVARS)])


ORIGINS: Final = re.compile(r"rg\.(compile|vjp|value_and_grad|jvp)\b")


def outcome(run: Callable[[], object]) -> object:
    """What a call gives: its result, or the type and message of what it raised.

    Messages that name the entry point (`rg.compile needs f to return a scalar`) are
    compared without that name.
    """
    try:
        return run()
    except Exception as exc:
        return (type(exc), ORIGINS.sub("rg.<transform>", str(exc)))


def same(got: object, expected: object) -> bool:
    """Equal outcomes; numbers to 1e-12 relative (nan equals nan)."""
    if isinstance(got, tuple) and isinstance(expected, tuple):
        return len(got) == len(expected) and all(map(same, got, expected))
    if isinstance(got, float) and isinstance(expected, float):
        if math.isnan(got) or math.isnan(expected):
            return math.isnan(got) and math.isnan(expected)
        return math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-300)
    return got == expected


@settings(max_examples=300, deadline=None)
@given(programs(), points, points)
def test_compiled_equals_dynamic(
    program: Program, point: tuple[float, ...], direction: tuple[float, ...]
) -> None:
    compiled = rg.compile(program)
    every = tuple(range(NVARS))
    value = outcome(lambda: compiled(*point))
    assert same(value, outcome(lambda: rg.vjp(program, *point)[0])), program
    gradient = outcome(lambda: compiled.value_and_grad(*point))
    expected = outcome(lambda: rg.value_and_grad(program, argnums=every)(*point))
    assert same(gradient, expected), program
    tangent = outcome(lambda: compiled.jvp(point, direction))
    assert same(tangent, outcome(lambda: rg.jvp(program, point, direction))), program
    # A second call runs the cached code and must agree with the first.
    assert same(outcome(lambda: compiled.value_and_grad(*point)), gradient)


@settings(max_examples=100, deadline=None)
@given(programs(), points)
def test_compiled_grad_is_bit_identical_where_defined(
    program: Program, point: tuple[float, ...]
) -> None:
    # The reverse sweep adds contributions in the dynamic backward pass's order, so the
    # numbers are not just close but equal (zeros may differ in sign only).
    expected = outcome(lambda: rg.value_and_grad(program, argnums=tuple(range(NVARS)))(*point))
    got = outcome(lambda: rg.compile(program).value_and_grad(*point))
    if isinstance(expected, tuple) and isinstance(expected[0], float):
        assert repr(got).replace("-0.0", "0.0") == repr(expected).replace("-0.0", "0.0"), program


MODES_: Final = ("forward", "reverse")
MIXES: Final = [(outer, inner) for outer in MODES_ for inner in MODES_]


@settings(max_examples=60, deadline=None)
@given(programs(), points, points, st.sampled_from(MIXES))
def test_compiled_second_order_equals_dynamic_in_every_mode_mix(
    program: Program, point: tuple[float, ...], direction: tuple[float, ...], mix: tuple[str, str]
) -> None:
    # rg.compile of a gradient (taken in the inner mode) traces through the inner gradient's
    # rules; its reverse sweep is the dynamic reverse mode over it, its jvp the dynamic
    # forward mode over it: the same numbers, or the same error.
    outer, inner = mix
    first = rg.grad(program, argnums=0, mode=inner)  # type: ignore[call-overload]
    compiled = rg.compile(first)
    if outer == "reverse":
        got = outcome(lambda: compiled.value_and_grad(*point))
        expected = outcome(lambda: rg.value_and_grad(first, argnums=tuple(range(NVARS)))(*point))
    else:
        got = outcome(lambda: compiled.jvp(point, direction))
        expected = outcome(lambda: rg.jvp(first, point, direction))
    failed = isinstance(expected, tuple) and isinstance(expected[0], type)
    if failed and not issubclass(expected[0], rg.RulegradError):  # type: ignore[index]
        # The program itself failed on plain floats (Python's own `x ** y`), where the
        # compiled trace saw nodes: Python's error, not rulegrad's, so not comparable.
        return
    assert same(got, expected), (program, mix)
