"""Realistic rulegrad user code: it must pass `mypy --strict` and run without error.

`tests/typing/test_mypy.py` type-checks this file and executes it. Every explicit annotation
states a type the public API promises; `assert_type` pins the exact inferred type where an
annotation alone would also accept `Any` (an untyped leak would satisfy `x: float = ...`).
Nothing here may use `# type: ignore`, `cast` or `Any`.

Everything runs inside functions, so importing the module (pytest's doctest collection
does) has no side effects; custom ops go into private registries, never the global one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from typing_extensions import assert_type

import rulegrad as rg


def check(got: float, expected: float, tol: float = 1e-9) -> None:
    assert math.isclose(got, expected, rel_tol=tol, abs_tol=tol), (got, expected)


# ---------------------------------------------------------------------------------------------
# The contract's example, verbatim.


def f(x: float, y: float) -> float:
    return x * rg.sin(y) + y**2


def contract_example() -> None:
    d: float = rg.grad(f)(1.0, 2.0)  # int argnums -> float
    both: tuple[float, ...] = rg.grad(f, argnums=(0, 1))(1.0, 2.0)
    v: rg.Value = rg.sin(rg.Value(1.0))  # overloads keep the kind
    assert_type(rg.grad(f)(1.0, 2.0), float)
    assert_type(rg.sin(rg.Value(1.0)), rg.Value)
    check(d, math.sin(2.0))
    assert len(both) == 2
    check(both[1], math.cos(2.0) + 4.0)
    check(v.data, math.sin(1.0))


# ---------------------------------------------------------------------------------------------
# Nodes and Python's operators: the kind of node is kept, comparisons give bool.


def value_operators() -> None:
    x = rg.Value(2.0, label="x")
    y = rg.Value(-1.5)
    z = x * y + 3.0 * x - y / 2.0 + 1.0 / x - 2.0**y + x**2 + (-x) + abs(y) + (+x) - 1
    assert_type(z, rg.Value)
    methods: rg.Value = (
        x.relu() + x.tanh() + x.exp() + x.log() + x.sigmoid() + x.sin() + x.cos() + x.sqrt()
    )
    total = z + methods
    total.backward()
    assert_type(total.data, float)
    grad_x: float = x.grad
    grad_y: float = y.grad
    check(grad_y, 2.0 - 0.5 - math.log(2.0) * 2.0**-1.5 - 1.0)
    assert grad_x > 0.0
    name: str = x.label
    assert name == "x"

    ordered: list[bool] = [x > y, x >= 2.0, y < 0.0, y <= x]
    assert_type(x > y, bool)
    assert all(ordered)
    assert x  # truthiness of the primal
    innermost: float = rg.to_float(total)
    check(innermost, total.data)
    producer: rg.Op | None = total.op
    operands: tuple[rg.Scalar, ...] = total.inputs
    assert producer is rg.add and len(operands) == 2
    assert rg.Value(1.0).op is None

    x.grad = 0.0  # gradients accumulate; users reset them by assignment
    x.data -= 0.1 * grad_x
    w = rg.Value(3.0)
    (w * w).backward(seed=0.5)
    check(w.grad, 3.0)


def dual_numbers() -> None:
    d = rg.Dual(2.0, 1.0)
    squared: rg.Dual = d**2
    assert_type(d**2, rg.Dual)
    check(squared.primal, 4.0)
    check(squared.tangent, 4.0)

    e = d * d + rg.sin(d) - 1.0 / d + rg.exp(d) * 0.5
    assert_type(e, rg.Dual)
    primal: float = e.primal
    tangent: float = e.tangent
    check(primal, 4.0 + math.sin(2.0) - 0.5 + 0.5 * math.exp(2.0))
    check(tangent, 4.0 + math.cos(2.0) + 0.25 + 0.5 * math.exp(2.0))
    smooth: rg.Dual = d.tanh().sigmoid() + d.sqrt().log() + d.relu().cos()
    assert smooth > 0.0
    assert_type(d < 3.0, bool)

    # Directional derivative of a two-argument function by hand, along (1, 2).
    a, b = rg.Dual(1.0, 1.0), rg.Dual(2.0, 2.0)
    out = rg.atan2(a, b) + rg.hypot(a, b)
    assert_type(out, rg.Dual)
    check(out.tangent, rg.jvp(lambda p, q: rg.atan2(p, q) + rg.hypot(p, q), (1.0, 2.0),
                              (1.0, 2.0))[1])  # fmt: skip
    constant = rg.Dual(5.0)
    check(constant.tangent, 0.0)


# ---------------------------------------------------------------------------------------------
# Every op of the catalogue: all floats -> float, Values -> Value, Duals -> Dual.


def every_op_keeps_the_kind() -> None:
    # The built-in ops: other tests and the docs' examples register ops of their own.
    ops: list[rg.Op] = [op for op in rg.registry if op.source == "built-in"]
    assert len(ops) >= 29
    for op in ops:
        point = op.samples[0]
        plain: float = op(*point)
        as_values: rg.Value = op(*[rg.Value(p) for p in point])
        as_duals: rg.Dual = op(*[rg.Dual(p, 1.0) for p in point])
        mixed: rg.Value = op(rg.Value(point[0]), *point[1:])
        assert_type(op(*point), float)
        assert_type(op(*[rg.Dual(p) for p in point]), rg.Dual)
        check(as_values.data, plain)
        check(as_duals.primal, plain)
        check(mixed.data, plain)
    same: rg.Op = rg.registry.get("sin")
    assert same is rg.sin
    maximum: rg.Value = rg.maximum(rg.Value(1.0), 2.0)
    powered: rg.Dual = rg.pow(2.0, rg.Dual(3.0, 1.0))
    check(maximum.data, 2.0)
    check(powered.tangent, 8.0 * math.log(2.0))
    # Built-in ops of one and two arguments are typed by arity and by the kind of node.
    assert_type(rg.sin, rg.UnaryOp)
    assert_type(rg.atan2, rg.BinaryOp)
    assert_type(rg.atan2(1.0, rg.Value(2.0)), rg.Value)
    assert_type(rg.hypot(rg.Dual(3.0, 1.0), 4.0), rg.Dual)
    assert_type(rg.tanh(rg.Dual(0.0, 1.0)), rg.Dual)
    either: float | rg.Value = rg.Value(0.5)
    assert_type(rg.exp(either), float | rg.Value)  # mypy splits the union over the overloads


# Code generic over the kind of number: one function for floats, Values and Duals.
N = TypeVar("N", float, rg.Value, rg.Dual)


def soft_clip(x: N) -> N:
    return 2.0 * rg.tanh(x) + x**2


def generic_code() -> None:
    plain: float = soft_clip(0.5)
    check(plain, 2.0 * math.tanh(0.5) + 0.25)
    leaf = rg.Value(0.5)
    out = soft_clip(leaf)
    assert_type(out, rg.Value)
    out.backward()
    check(leaf.grad, 2.0 * (1.0 - math.tanh(0.5) ** 2) + 1.0)
    assert_type(soft_clip(rg.Dual(0.5, 1.0)), rg.Dual)
    check(soft_clip(rg.Dual(0.5, 1.0)).tangent, leaf.grad)


# ---------------------------------------------------------------------------------------------
# Reductions on lists of nodes.


def reductions() -> None:
    xs = [rg.Value(float(i), label=f"x{i}") for i in range(1, 4)]
    ws = [0.5, -1.0, 2.0]
    total: rg.Value = rg.sum(xs)
    weighted: rg.Value = rg.dot(xs, ws)
    mixed: rg.Value = rg.sum([xs[0], 1.0, xs[1] * xs[2]])
    assert_type(rg.sum(xs), rg.Value)
    assert_type(rg.dot(ws, ws), float)
    objective = total + weighted * mixed
    objective.backward()
    check(total.data, 6.0)
    check(weighted.data, 0.5 - 2.0 + 6.0)
    check(xs[0].grad, 1.0 + 0.5 * mixed.data + weighted.data)

    duals = [rg.Dual(1.0, 1.0), rg.Dual(2.0)]
    dual_sum: rg.Dual = rg.sum(duals)
    dual_dot: rg.Dual = rg.dot(duals, [3.0, 4.0])
    check(dual_sum.tangent, 1.0)
    check(dual_dot.tangent, 3.0)
    plain: float = rg.sum(x * x for x in ws)  # any iterable of floats
    check(plain, 5.25)


# ---------------------------------------------------------------------------------------------
# A micrograd-style multilayer perceptron, trained by gradient descent on Values.


class Neuron:
    def __init__(self, n_inputs: int, rng: random.Random, *, linear: bool = False) -> None:
        self.w = [rg.Value(rng.uniform(-1.0, 1.0), label=f"w{i}") for i in range(n_inputs)]
        self.b = rg.Value(0.0, label="b")
        self.linear = linear

    def __call__(self, x: Sequence[rg.Value | float]) -> rg.Value:
        act = rg.dot(self.w, x) + self.b
        return act if self.linear else act.tanh()

    def parameters(self) -> list[rg.Value]:
        return [*self.w, self.b]


class Layer:
    def __init__(self, n_in: int, n_out: int, rng: random.Random, *, linear: bool) -> None:
        self.neurons = [Neuron(n_in, rng, linear=linear) for _ in range(n_out)]

    def __call__(self, x: Sequence[rg.Value | float]) -> list[rg.Value]:
        return [neuron(x) for neuron in self.neurons]

    def parameters(self) -> list[rg.Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    def __init__(self, n_in: int, sizes: Sequence[int], seed: int = 0) -> None:
        rng = random.Random(seed)
        widths = [n_in, *sizes]
        self.layers = [
            Layer(widths[i], widths[i + 1], rng, linear=i == len(sizes) - 1)
            for i in range(len(sizes))
        ]

    def __call__(self, x: Sequence[float]) -> rg.Value:
        hidden: Sequence[rg.Value | float] = x
        for layer in self.layers[:-1]:
            hidden = layer(hidden)
        (out,) = self.layers[-1](hidden)
        return out

    def parameters(self) -> list[rg.Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0


def train_mlp(steps: int = 40, learning_rate: float = 0.05) -> tuple[float, float]:
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    model = MLP(3, [4, 4, 1])
    params = model.parameters()
    assert len(params) == 4 * 4 + 4 * 5 + 1 * 5
    losses: list[float] = []
    for _ in range(steps):
        predictions = [model(x) for x in xs]
        data_loss = rg.sum([(pred - y) ** 2 for pred, y in zip(predictions, ys, strict=True)])
        l2 = 1e-4 * rg.dot(params, params)
        loss: rg.Value = data_loss / len(xs) + l2
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= learning_rate * p.grad
        losses.append(loss.data)
    return losses[0], losses[-1]


# ---------------------------------------------------------------------------------------------
# Functions over floats, differentiated by every transform, in both modes.


def vector_field(x: float, y: float) -> list[float]:
    return [x * y, rg.exp(x) - y, rg.atan2(y, x)]


def loss_with_target(w: float, *, target: float) -> float:
    return (w * 3.0 - target) ** 2


MODES: tuple[rg.ModeLike, ...] = ("reverse", "forward", rg.Mode.REVERSE, rg.Mode.FORWARD)


def transforms_in_every_mode() -> None:
    expected_dx, expected_dy = math.sin(2.0), math.cos(2.0) + 4.0
    for mode in MODES:
        dx: float = rg.grad(f, mode=mode)(1.0, 2.0)
        dy: float = rg.grad(f, 1, mode=mode)(1.0, 2.0)
        last: float = rg.grad(f, argnums=-1, mode=mode)(1.0, 2.0)
        both: tuple[float, ...] = rg.grad(f, argnums=(0, 1), mode=mode)(1.0, 2.0)
        check(dx, expected_dx)
        check(dy, expected_dy)
        check(last, expected_dy)
        assert both == (dx, dy)

        value, slope = rg.value_and_grad(f, mode=mode)(1.0, 2.0)
        assert_type(rg.value_and_grad(f, mode=mode)(1.0, 2.0), tuple[float, float])
        value2, grads = rg.value_and_grad(f, argnums=(0, 1), mode=mode)(1.0, 2.0)
        check(value, f(1.0, 2.0))
        check(slope, dx)
        assert value2 == value and grads == both

        scalar_jacobian: list[list[float]] = rg.jacobian(f, mode=mode)(1.0, 2.0)
        assert scalar_jacobian == [list(both)]
        jac = rg.jacobian(vector_field, mode=mode)(1.0, 2.0)
        assert_type(jac, list[list[float]])
        check(jac[0][0], 2.0)
        check(jac[1][0], math.e)
        check(jac[2][1], 1.0 / 5.0)

        keyword: float = rg.grad(loss_with_target, mode=mode)(0.5, target=2.0)
        check(keyword, 2.0 * 3.0 * (1.5 - 2.0))

    value, tangent = rg.jvp(f, (1.0, 2.0), (1.0, 0.5))
    assert_type(rg.jvp(f, [1.0, 2.0], [1.0, 0.5]), tuple[float, float])
    check(value, f(1.0, 2.0))
    check(tangent, expected_dx + 0.5 * expected_dy)

    out, pullback = rg.vjp(f, 1.0, 2.0)
    assert_type(out, float)
    typed_pullback: Callable[[float], tuple[float, ...]] = pullback  # shaped like the primals
    assert typed_pullback is pullback
    cotangents: tuple[float, ...] = pullback(2.0)
    check(out, f(1.0, 2.0))
    check(cotangents[0], 2.0 * expected_dx)

    outs, pullback_many = rg.vjp(vector_field, 1.0, 2.0)
    assert_type(outs, list[float])
    typed_pullback_many: Callable[[list[float]], tuple[float, ...]] = pullback_many
    assert typed_pullback_many is pullback_many
    check(outs[0], 2.0)
    assert pullback_many([1.0, 0.0, 0.0]) == (2.0, 1.0)

    h: list[list[float]] = rg.hessian(f)(1.0, 2.0)
    # jacobian and hessian keep the signature of f; keyword arguments stay constants.
    jacobian_f: Callable[[float, float], list[list[float]]] = rg.jacobian(vector_field)
    hessian_f: Callable[[float, float], list[list[float]]] = rg.hessian(f)
    assert jacobian_f(1.0, 2.0) == rg.jacobian(vector_field)(1.0, 2.0)
    assert hessian_f(1.0, 2.0) == h
    check(rg.hessian(loss_with_target)(2.0, target=1.0)[0][0],
          rg.derivative(lambda w: loss_with_target(w, target=1.0), order=2)(2.0))  # fmt: skip
    check(h[0][0], 0.0)
    check(h[0][1], math.cos(2.0))
    check(h[1][1], -math.sin(2.0) + 2.0)

    quartic: Callable[[float], float] = lambda x: x**4
    derivatives = [rg.derivative(quartic, order=k)(2.0) for k in range(5)]
    assert_type(rg.derivative(quartic), Callable[[float], float])
    assert derivatives == [16.0, 32.0, 48.0, 48.0, 24.0]


# ---------------------------------------------------------------------------------------------
# Nested transforms, in any mix of modes.


def cube(x: float) -> float:
    return x**3


def df_dy(x: float, y: float) -> float:
    return rg.grad(f, argnums=1)(x, y)


def nested_transforms() -> None:
    second_derivative: Callable[[float], float] = rg.grad(rg.grad(cube))
    second: float = second_derivative(2.0)
    mixed: float = rg.grad(rg.grad(cube, mode="forward"))(2.0)
    third: float = rg.grad(rg.grad(rg.grad(cube)), mode=rg.Mode.FORWARD)(2.0)
    fourth: float = rg.derivative(rg.grad(rg.grad(cube)), order=2)(2.0)
    check(second, 12.0)
    check(mixed, 12.0)
    check(third, 6.0)
    check(fourth, 0.0)

    cross: float = rg.grad(df_dy)(1.0, 2.0)
    check(cross, math.cos(2.0))
    check(cross, rg.hessian(f)(1.0, 2.0)[0][1])

    def newton_step(x: float) -> float:
        """One Newton step for cube(x) = 8, itself differentiated below."""
        return x - (cube(x) - 8.0) / rg.grad(cube)(x)

    root = 3.0
    for _ in range(30):
        root = newton_step(root)
    check(root, 2.0)
    check(rg.grad(newton_step)(root), 0.0, tol=1e-6)  # quadratic convergence


# ---------------------------------------------------------------------------------------------
# Custom ops: partials written with rg ops differentiate again, to any order.


# ---------------------------------------------------------------------------------------------
# Taylor mode: coefficients, jets and high derivatives, over plain float functions.


def damped(x: float) -> float:
    return rg.exp(-x) * rg.sin(3.0 * x)


def taylor_mode() -> None:
    coefficients: list[float] = rg.taylor(damped, order=6)(0.5)
    assert_type(rg.taylor(damped, order=6), Callable[[float], list[float]])
    check(coefficients[0], damped(0.5))
    check(coefficients[1], rg.grad(damped)(0.5))
    check(2.0 * coefficients[2], rg.grad(rg.grad(damped))(0.5))

    primal, terms = rg.jet(damped, (0.5,), ([1.0, 0.0, 0.0],))
    assert_type(primal, float)
    assert_type(terms, list[float])
    check(terms[2], 6.0 * coefficients[3])

    def product_and_sum(x: float, y: float) -> list[float]:
        return [x * y, x + y]

    outs, series = rg.jet(product_and_sum, (1.0, 2.0), ([1.0, 0.0], [0.0, 1.0]))
    assert_type(outs, list[float])
    assert_type(series, list[list[float]])
    assert outs == [2.0, 3.0] and series == [[2.0, 1.0], [1.0, 1.0]]  # (xy)'' = x y'' = 1

    tenth: float = rg.derivative(damped, order=10)(0.5)
    check(tenth, 3628800.0 * rg.taylor(damped, order=10)(0.5)[10])

    # The gradient of a Taylor coefficient with respect to a parameter.
    def third(p: float) -> float:
        return rg.taylor(lambda x: rg.exp(p * x), order=3)(0.0)[3]

    slope: float = rg.grad(third)(2.0)
    check(slope, 2.0)  # d/dp p^3 / 6


def softplus_forward(x: float) -> float:
    return math.log1p(math.exp(-abs(x))) + max(x, 0.0)


def softplus_partials(out: float, x: float) -> tuple[float]:
    return (rg.sigmoid(x),)


def cbrt_forward(x: float) -> float:
    return math.copysign(abs(x) ** (1.0 / 3.0), x)


def cbrt_partials(out: float, x: float) -> tuple[rg.Partial]:
    if rg.to_float(out) == 0.0:
        return (rg.Undefined("the cube root has a vertical tangent at 0"),)
    return (1.0 / (3.0 * out * out),)


def triple_jvp(out: float, primals: tuple[float, ...], tangents: tuple[float, ...]) -> float:
    return 3.0 * tangents[0]


def triple_vjp(out: float, primals: tuple[float, ...], cotangent: float) -> tuple[float]:
    return (3.0 * cotangent,)


def custom_ops() -> None:
    catalogue = rg.OpRegistry()
    softplus: rg.Op = rg.define_op(
        "softplus_private",
        forward=softplus_forward,
        partials=softplus_partials,
        registry=catalogue,
    )
    assert catalogue.get("softplus_private") is softplus
    assert "softplus_private" not in rg.registry  # a registry of its own: the catalogue as was

    s = 1.0 / (1.0 + math.exp(-0.5))
    plain: float = softplus(0.5)
    node: rg.Value = softplus(rg.Value(0.5))
    dual: rg.Dual = softplus(rg.Dual(0.5, 1.0))
    check(plain, math.log(1.0 + math.exp(0.5)))
    check(node.data, plain)
    check(dual.tangent, s)

    for mode in MODES:
        first: float = rg.grad(softplus, mode=mode)(0.5)
        check(first, s)
    second: float = rg.grad(rg.grad(softplus))(0.5)
    second_forward: float = rg.grad(rg.grad(softplus, mode="forward"), mode="forward")(0.5)
    third: float = rg.derivative(softplus, order=3)(0.5)
    check(second, s * (1.0 - s))
    check(second_forward, second)
    check(third, s * (1.0 - s) * (1.0 - 2.0 * s))

    def smooth_loss(w: float) -> float:
        return softplus(w * 2.0 - 1.0) + 0.1 * w**2

    check(rg.hessian(smooth_loss)(0.5)[0][0], 4.0 * 0.25 + 0.2)

    cbrt = rg.define_op(
        "cbrt", forward=cbrt_forward, partials=cbrt_partials, registry=catalogue,
        domain="all reals", samples=[(8.0,), (-1.0,)], doc="The real cube root.",
    )  # fmt: skip
    assert_type(cbrt, rg.Op)
    check(rg.grad(cbrt)(8.0), 1.0 / 12.0)
    check(rg.grad(rg.grad(cbrt))(8.0), -2.0 / 9.0 / 32.0)
    check(rg.grad(rg.grad(cbrt, mode="forward"))(-8.0), 2.0 / 9.0 / 32.0)
    check(cbrt(0.0), 0.0)  # the value exists; only the derivative is Undefined
    message = ""
    try:
        rg.grad(cbrt)(0.0)
    except rg.DomainError as exc:
        message = str(exc)
    assert "vertical tangent" in message, "the derivative of cbrt at 0 should be undefined"

    triple = rg.define_op(
        "triple", forward=lambda x: 3.0 * x, partials=None,
        jvp=triple_jvp, vjp=triple_vjp, registry=catalogue,
    )  # fmt: skip
    assert set(triple.modes) == {"forward", "reverse"}
    for mode in MODES:
        check(rg.grad(triple, mode=mode)(1.0), 3.0)

    replaced = rg.define_op(
        "softplus_private", forward=lambda x: math.log1p(math.exp(x)),
        partials=lambda out, x: (rg.sigmoid(x),), replace=True, registry=catalogue,
    )  # fmt: skip
    assert catalogue.get("softplus_private") is replaced is not softplus
    assert sorted(catalogue.names()) == ["cbrt", "softplus_private", "triple"]


# ---------------------------------------------------------------------------------------------
# Containers (section 8): the gradient has the argument's type; has_aux; the other transforms.


def container_loss(params: dict[str, list[float]], x: float) -> float:
    w, b = params["w"], params["b"]
    return (w[0] * x + w[1] * x * x + b[0] - 1.0) ** 2


def loss_with_accuracy(params: dict[str, list[float]], x: float) -> tuple[float, dict[str, float]]:
    loss = container_loss(params, x)
    return loss, {"loss": loss, "x": x}


class Affine(NamedTuple):
    w: float
    b: float


def containers() -> None:
    @dataclass
    class Scale:  # a class of one's own becomes a container once registered
        k: float

    rg.register_container(Scale, lambda s: ((s.k,), None), lambda aux, kids: Scale(*kids))

    params = {"w": [0.5, -0.25], "b": [0.1]}
    g = rg.grad(container_loss)(params, 2.0)
    assert_type(g, dict[str, list[float]])  # the argument's type, float leaves
    value, same = rg.value_and_grad(container_loss)(params, 2.0)
    assert_type(value, float)
    assert_type(same, dict[str, list[float]])
    assert same == g and sorted(g) == ["b", "w"] and len(g["w"]) == 2
    g_x: float = rg.grad(container_loss, argnums=1)(params, 2.0)
    residual = 0.5 * 2.0 - 0.25 * 4.0 + 0.1 - 1.0
    check(g_x, 2.0 * residual * (0.5 - 0.25 * 2.0 * 2.0))
    check(g["w"][1], 2.0 * residual * 4.0)

    (loss, aux), g2 = rg.value_and_grad(loss_with_accuracy, has_aux=True)(params, 2.0)
    assert_type(aux, dict[str, float])
    assert_type(g2, dict[str, list[float]])
    assert type(aux["loss"]) is float and aux["loss"] == loss and g2 == g
    g3, aux3 = rg.grad(loss_with_accuracy, has_aux=True, mode="forward")(params, 2.0)
    assert_type(g3, dict[str, list[float]])
    check(g3["w"][0], g["w"][0])
    assert aux3 == aux

    affine: Affine = rg.grad(lambda p, x: p.w * x + p.b)(Affine(2.0, 1.0), 3.0)
    assert affine == Affine(3.0, 1.0)
    scale: Scale = rg.grad(lambda s: s.k**2)(Scale(3.0))
    assert scale == Scale(6.0)

    out, tangent = rg.jvp(container_loss, (params, 2.0), ({"w": [1.0, 0.0], "b": [0.0]}, 0.0))
    assert_type(out, float)
    check(tangent, g["w"][0])
    (first, second), pullback = rg.vjp(lambda p: (p["w"][0] * 2.0, p["b"][0]), params)
    assert pullback((1.0, 0.0)) == ({"w": [2.0, 0.0], "b": [0.0]},)
    assert (first, second) == (1.0, 0.1)
    grads, products = rg.hvp(container_loss, (params, 2.0), ({"w": [1.0, 0.0], "b": [0.0]}, 0.0))
    assert grads[0] == g
    check(products[0]["w"][0], 2.0 * 2.0 * 2.0)  # d2/dw0^2 of (w0 x + ...)^2 is 2 x^2
    value2, f_jvp = rg.linearize(container_loss, params, 2.0)
    check(value2, out)
    check(f_jvp({"w": [1.0, 0.0], "b": [0.0]}, 0.0), tangent)
    jac = rg.jacobian(container_loss)(params, 2.0)  # nested, so typed Any: annotate it
    rows: list[list[float]] = rg.jacobian(vector_field)(1.0, 2.0)
    assert jac[0] == g and len(rows) == 3
    rg.check_grads(container_loss, (params, 2.0))

    check(rg.grad(lambda x: x * rg.stop_gradient(x))(3.0), 3.0)
    typed_stop: float = rg.stop_gradient(2.0)
    check(typed_stop, 2.0)

    fast = rg.compile(container_loss)
    compiled_value, compiled_grads = fast.value_and_grad(params, 2.0)
    assert_type(compiled_value, float)
    assert compiled_grads == (g, g_x)


def newton_sqrt(a: float) -> tuple[float, int]:
    x, steps = max(a, 1.0), 0
    while abs(x * x - a) > 1e-15 * a:
        x, steps = 0.5 * (x + a / x), steps + 1
    return x, steps


def sqrt_jvp(
    primals: tuple[float], tangents: tuple[float]
) -> tuple[tuple[float, int], tuple[float, float]]:
    (a,), (t,) = primals, tangents
    root, steps = newton_sqrt_rule(a)
    return (root, steps), (t / (2.0 * root), 0.0)


newton_sqrt_rule = rg.custom_jvp(newton_sqrt)
newton_sqrt_rule.defjvp(sqrt_jvp)


@rg.custom_vjp
def clipped(x: float) -> float:
    return x


def clipped_fwd(x: float) -> tuple[float, None]:
    return x, None


def clipped_bwd(residuals: None, cotangent: float) -> tuple[float]:
    return (max(-1.0, min(1.0, cotangent)),)


clipped.defvjp(clipped_fwd, clipped_bwd)


def custom_rules() -> None:
    root, steps = newton_sqrt_rule(4.0)
    assert_type(root, float)
    assert_type(steps, int)
    check(root, 2.0)
    for mode in MODES:
        check(rg.grad(lambda a: newton_sqrt_rule(a)[0], mode=mode)(4.0), 0.25)
    check(rg.grad(rg.grad(lambda a: newton_sqrt_rule(a)[0]))(4.0), -0.25 * 4.0**-1.5)
    check(rg.grad(lambda x: 5.0 * clipped(x))(2.0), 1.0)


def decay(p: dict[str, float], x: float, y: float) -> float:
    return (p["a"] * rg.exp(-p["k"] * x) - y) ** 2


def batching() -> None:
    params = {"a": 2.0, "k": 0.5}
    xs, ys = [0.0, 1.0, 2.0], [2.0, 1.0, 0.5]
    batched: rg.Batched = rg.vmap(decay, in_axes=(None, 0, 0))
    losses = batched(params, xs, ys)
    check(losses[1], decay(params, 1.0, 1.0))
    total, g = rg.value_and_grad(lambda p: rg.sum(batched(p, xs, ys)))(params)
    assert_type(total, float)
    assert_type(g, dict[str, float])
    check(total, sum(decay(params, x, y) for x, y in zip(xs, ys, strict=True)))
    per_example = rg.vmap(rg.grad(decay), in_axes=(None, 0, 0))(params, xs, ys)
    check(per_example["a"][2], rg.grad(decay)(params, 2.0, 0.5)["a"])
    rows = rg.vmap(lambda x: x * 2.0, in_axes=[0], out_axes=0)(xs)
    check(rows[0], 0.0)
    fixed = rg.vmap(lambda a, x: a + x, in_axes=(None, 0), out_axes=None)
    assert callable(fixed)


def main() -> None:
    contract_example()
    value_operators()
    dual_numbers()
    every_op_keeps_the_kind()
    generic_code()
    reductions()
    first_loss, last_loss = train_mlp()
    assert last_loss < 0.5 * first_loss, (first_loss, last_loss)
    transforms_in_every_mode()
    nested_transforms()
    taylor_mode()
    custom_ops()
    containers()
    custom_rules()
    batching()


if __name__ == "__main__":
    main()
