"""Misuse of rulegrad that `mypy --strict` must reject: one misuse per line.

Each such line ends in `# E: <code>` (or `# E: <code>, <code>`), the mypy error code(s)
expected on that line. `tests/typing/test_mypy.py` checks that mypy reports exactly these
(line, code) pairs: a misuse mypy accepts and an error nobody expected both fail.

The misuse sits inside functions that are never called, so importing this module (pytest's
doctest collection does) runs none of it. The default `mypy` run of the project excludes
this file (see `[tool.mypy]` in pyproject.toml).
"""

from __future__ import annotations

import math

import rulegrad as rg


def f(x: float, y: float) -> float:
    return x * rg.sin(y) + y**2


def g(x: float) -> float:
    return x**3


def over_values(x: rg.Value) -> rg.Value:
    return x * x


def vector_field(x: float, y: float) -> list[float]:
    return [x * y, x + y]


def scalar_partials(out: float, x: float) -> float:
    return 1.0


def text_partials(out: float, x: float) -> tuple[str]:
    return ("one",)


def short_jvp(out: float, primals: tuple[float, ...]) -> float:
    return 0.0


def nodes() -> None:
    rg.Value("x")  # E: arg-type
    rg.Value(1.0, label=3)  # E: arg-type
    rg.Value(rg.Value(1.0))  # E: arg-type
    rg.Dual("a")  # E: arg-type
    rg.Dual(1.0, "b")  # E: arg-type
    float(rg.Value(1.0))  # E: arg-type
    int(rg.Value(1.0))  # E: call-overload
    math.sin(rg.Value(1.0))  # E: arg-type
    math.exp(rg.Dual(1.0))  # E: arg-type
    rg.to_float("a")  # E: arg-type
    rg.Value(1.0).backward(seed="a")  # E: arg-type
    rg.Value(1.0).backward(1.0, 2.0)  # E: call-arg
    rg.Value(1.0).data = "x"  # E: assignment
    rg.Value(1.0).grad = rg.Value(2.0)  # E: assignment
    primal = rg.Value(1.0).primal  # E: attr-defined
    rg.Dual(1.0).backward()  # E: attr-defined
    rg.Value(1.0).relu(2.0)  # E: call-arg
    rg.Undefined(3)  # E: arg-type
    sideways = rg.Mode.SIDEWAYS  # E: attr-defined


def operators() -> None:
    rg.Value(1.0) + "a"  # E: operator
    "a" * rg.Value(1.0)  # E: operator
    rg.Dual(1.0) - "a"  # E: operator
    rg.Value(1.0) ** "2"  # E: operator
    rg.Value(1.0) @ rg.Value(2.0)  # E: operator
    less = rg.Value(1.0) < "a"  # E: operator
    d: rg.Dual = rg.Value(1.0) * 2.0  # E: assignment
    w: rg.Value = rg.Dual(1.0).relu()  # E: assignment
    u: float = rg.Value(1.0).tanh()  # E: assignment
    x: float = rg.Dual(1.0) / 2.0  # E: assignment


def ops() -> None:
    rg.sin("a")  # E: call-overload
    rg.sin(None)  # E: call-overload
    rg.sin(1.0j)  # E: call-overload
    rg.sin()  # E: call-overload
    rg.sin(1.0, 2.0)  # E: call-overload
    rg.atan2(1.0)  # E: call-overload
    rg.hypot(rg.Value(1.0), "a")  # E: call-overload
    w: rg.Value = rg.atan2(1.0, rg.Dual(2.0))  # E: assignment
    rg.maximum(rg.Value(1.0), "a")  # E: call-overload
    rg.registry.get("sin")("a")  # E: call-overload
    rg.registry.get(3)  # E: arg-type
    v: rg.Value = rg.sin(1.0)  # E: assignment
    e: float = rg.exp(rg.Value(1.0))  # E: assignment
    rg.sum(["a"])  # E: list-item
    rg.sum(1.0)  # E: call-overload
    s: float = rg.sum([rg.Value(1.0)])  # E: assignment
    t: rg.Value = rg.sum([rg.Dual(1.0)])  # E: assignment
    rg.dot([1.0], ["b"])  # E: list-item
    rg.dot([1.0], 2.0)  # E: call-overload


def transforms() -> None:
    s: str = rg.grad(f)(1.0, 2.0)  # E: assignment
    g2: float = rg.grad(f, argnums=(0, 1))(1.0, 2.0)  # E: assignment
    rg.grad(f, mode="sideways")  # E: call-overload
    rg.grad(f, mode=rg.Mode)  # E: call-overload
    rg.grad(f, 0, "forward")  # E: call-overload
    rg.grad(f, argnums=[0, 1])  # E: call-overload
    rg.grad(f, argnums="0")  # E: call-overload
    rg.grad(f, argnums=(0, "1"))  # E: arg-type
    rg.grad(3.0)  # E: call-overload
    rg.grad(over_values)  # E: arg-type
    rg.grad(vector_field)  # E: arg-type
    rg.grad(rg.grad(f, argnums=(0, 1)))  # E: arg-type
    rg.grad(f)(1.0)  # E: call-arg
    rg.grad(f)(1.0, 2.0, 3.0)  # E: call-arg
    rg.grad(f)(1.0, "a")  # E: arg-type
    rg.value_and_grad(f, mode="backward")  # E: call-overload
    vg: float = rg.value_and_grad(f)(1.0, 2.0)  # E: assignment
    rg.value_and_grad(f, argnums=(0, 1))(1.0, 2.0)[1] + 1.0  # E: operator
    rg.jvp(f, [1.0], ["a"])  # E: list-item
    rg.jvp(f, 1.0, 1.0)  # E: call-overload
    jv: str = rg.jvp(f, [1.0, 2.0], [1.0, 0.0])  # E: assignment
    rg.vjp(f, "a")  # E: call-overload
    _out, pullback = rg.vjp(f, 1.0, 2.0)
    pullback("a")  # E: arg-type
    pullback([1.0])  # E: arg-type
    outs, pullback_many = rg.vjp(vector_field, 1.0, 2.0)
    pullback_many(1.0)  # E: arg-type
    first: float = outs  # E: assignment
    rg.jacobian(f, mode="sideways")  # E: call-overload
    rg.jacobian(3.0)  # E: call-overload
    jac: float = rg.jacobian(f)(1.0, 2.0)  # E: assignment
    rg.jacobian(vector_field)(1.0, "a")  # E: call-overload
    rg.hessian(f)(1.0, "a")  # E: call-overload
    h: list[float] = rg.hessian(f)(1.0, 2.0)  # E: assignment
    rg.hessian(vector_field)  # E: arg-type
    rg.derivative(f)  # E: arg-type
    rg.derivative(g, order=1.5)  # E: arg-type
    rg.derivative(g)(rg.Value(1.0))  # E: arg-type
    rg.derivative(over_values)  # E: arg-type
    rg.taylor(g)  # E: call-arg
    rg.taylor(g, order="3")  # E: arg-type
    rg.taylor(f, order=3)  # E: arg-type
    coefficient: float = rg.taylor(g, order=3)(1.0)  # E: assignment
    rg.taylor(g, order=3)("a")  # E: arg-type
    rg.jet(g, 1.0, [1.0])  # E: call-overload
    rg.jet(g, (1.0,), ["a"])  # E: list-item
    rg.jet(g, (1.0,), ([1.0],), 3)  # E: call-overload
    jet_terms: float = rg.jet(g, (1.0,), ([1.0],))[1]  # E: assignment


def loss(params: dict[str, list[float]], x: float) -> float:
    return params["w"][0] * x


def loss_and_accuracy(params: dict[str, float]) -> tuple[float, str]:
    return params["w"], "fine"


def containers_and_custom_rules() -> None:
    params = {"w": [0.5, -0.25]}
    g: list[float] = rg.grad(loss)(params, 2.0)  # E: arg-type
    rg.grad(loss)(params, "x")  # E: arg-type
    _, wrong = rg.value_and_grad(loss)(params, 2.0)
    w: float = wrong  # E: assignment
    rg.grad(loss_and_accuracy)  # E: arg-type
    (_, aux), _ = rg.value_and_grad(loss_and_accuracy, has_aux=True)({"w": 1.0})
    n: int = aux  # E: assignment
    rg.grad(loss, has_aux=True)  # E: call-overload
    rg.stop_gradient("a")  # E: call-overload
    rg.custom_jvp(3.0)  # E: arg-type
    custom = rg.custom_jvp(loss)
    custom(params, "x")  # E: arg-type
    custom.defjvp(3.0)  # E: type-var
    rg.hvp(f, 1.0, 1.0)  # E: call-overload
    rg.check_grads(f, (1.0, 2.0), order="2")  # E: arg-type
    rg.tree_unflatten(3, [1.0])  # E: arg-type
    rg.nn.functional_call(rg.nn.MLP(2, [1]), [1.0], [0.5])  # E: arg-type
    compiled = rg.compile(loss)
    compiled(params, "x")  # E: arg-type
    c: str = compiled(params, 2.0)  # E: assignment


def custom_ops() -> None:
    rg.define_op("sq", forward=lambda x: x * x)  # E: call-arg
    rg.define_op("sq", lambda x: x * x, None)  # E: call-arg
    rg.define_op("sq", forward=3, partials=None)  # E: arg-type
    rg.define_op(3, forward=g, partials=None)  # E: arg-type
    rg.define_op("sq", forward=lambda x: "a", partials=None)  # E: arg-type, return-value
    rg.define_op("sq", forward=g, partials=scalar_partials)  # E: arg-type
    rg.define_op("sq", forward=g, partials=text_partials)  # E: arg-type
    rg.define_op("sq", forward=g, partials=None, jvp=short_jvp)  # E: arg-type
    rg.define_op("sq", forward=g, partials=None, replace="yes")  # E: arg-type
    rg.define_op("sq", forward=g, partials=None, registry={})  # E: arg-type
    rg.Op("sq", forward=g)  # E: call-arg
    op: rg.Op = rg.define_op("sq", forward=g, partials=None)
    p: float = op(rg.Dual(1.0))  # E: assignment


def batching() -> None:
    rg.vmap(3.0)  # E: arg-type
    rg.vmap(g, in_axes="0")  # E: arg-type
    rg.vmap(g, out_axes=1.5)  # E: arg-type
    batched: str = rg.vmap(g)  # E: assignment
    rg.vmap(g, axes=0)  # E: call-arg
