"""micrograd's neural-net modules on rulegrad `Value`s: `Module`, `Neuron`, `Layer`, `MLP`.

They behave as micrograd's do (same initialisation, same order of random draws, same
outputs and reprs), so micrograd's moons demo runs with only its imports changed. Where
micrograd breaks, they do not: a layer of width 1 feeds the next layer, and an input of the
wrong length is an error instead of being silently cut short by `zip`.

Beyond micrograd, a functional style: `parameter_dict()` gives the parameters as a dict of
floats by name, and `functional_call(model, params, x)` runs the model with the given
numbers in their place, so `rg.value_and_grad(loss)(params)` differentiates a loss over
the dict (as `torch.func.functional_call` does for PyTorch modules).
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Mapping, Sequence
from typing import TypeAlias, cast

from rulegrad.kernel import ArgumentError, Node, Value
from rulegrad.nn._checks import SettingError, ShapeError, check_size
from rulegrad.ops import dot, relu

__all__ = ["MLP", "Inputs", "Layer", "Module", "Neuron", "functional_call"]

Inputs: TypeAlias = "Sequence[Value | float] | Value | float"
"""What a neuron, layer or MLP takes: a sequence of numbers, or one number for one input."""


class Module:
    """The base of every model: it has parameters and can zero their gradients.

    >>> class Scale(Module):
    ...     def __init__(self) -> None:
    ...         self.k = Value(2.0)
    ...     def parameters(self) -> list[Value]:
    ...         return [self.k]
    >>> m = Scale(); (m.k * 3.0).backward(); m.k.grad
    3.0
    >>> m.zero_grad(); m.k.grad
    0.0
    """

    def zero_grad(self) -> None:
        """Reset `.grad` of every parameter to 0 (gradients accumulate across `backward`)."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        """The trainable `Value`s, in a fixed order."""
        return []

    def named_parameters(self) -> list[tuple[str, Value]]:
        """`(name, parameter)` pairs in the order of `parameters()`.

        The built-in modules name them by where they sit (`"layers.0.neurons.1.w.0"`, as
        PyTorch does); other modules by position (`"0"`, `"1"`, ...).
        """
        return [(str(i), p) for i, p in enumerate(self.parameters())]

    def parameter_dict(self) -> dict[str, float]:
        """The parameters' current values by name: the argument a functional loss takes.

        >>> Neuron(2, rng=random.Random(0)).parameter_dict().keys()
        dict_keys(['w.0', 'w.1', 'b'])
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_parameter_dict(self, params: Mapping[str, float]) -> None:
        """Set every parameter's `.data` from `params` (keys as `parameter_dict` gives)."""
        named = self.named_parameters()
        _check_names(type(self).__name__, [name for name, _ in named], params)
        for name, p in named:
            p.data = check_number(name, params[name])

    def _functional(self, params: Mapping[str, float], prefix: str, x: Inputs) -> list[Value]:
        raise ArgumentError(
            f"functional_call supports Neuron, Layer and MLP, not {type(self).__name__}: "
            "a module of your own computes with its Values directly"
        )


class Neuron(Module):
    """`relu(w . x + b)`, or `w . x + b` with `nonlin=False`.

    Weights start uniform in [-1, 1], drawn from `rng` (the `random` module by default, as in
    micrograd), and the bias starts at 0. `w . x + b` is a single `dot` node.

    >>> n = Neuron(2, rng=random.Random(0))
    >>> n
    ReLUNeuron(2)
    >>> n.w[0].data, n.w[1].data = 1.0, -2.0
    >>> n([3.0, 1.0]).data, n([1.0, 3.0]).data
    (1.0, 0.0)
    """

    def __init__(self, nin: int, nonlin: bool = True, *, rng: random.Random | None = None) -> None:
        uniform = (rng or random).uniform  # the module's own functions, like micrograd's
        self.w = [Value(uniform(-1.0, 1.0)) for _ in range(check_size("nin", nin))]
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x: Inputs) -> Value:
        return self._apply(_as_list(x, len(self.w), "Neuron"))

    def _apply(self, x: Sequence[Value | float]) -> Value:
        act = dot([*self.w, self.b], [*x, 1.0])  # one node for w . x + b
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [*((f"w.{k}", w) for k, w in enumerate(self.w)), ("b", self.b)]

    def _functional(self, params: Mapping[str, float], prefix: str, x: Inputs) -> list[Value]:
        w = [params[f"{prefix}w.{k}"] for k in range(len(self.w))]
        act = dot([*w, params[f"{prefix}b"]], [*_as_list(x, len(self.w), "Neuron"), 1.0])
        return [relu(act) if self.nonlin else act]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons on the same `nin` inputs; keyword arguments go to each `Neuron`.

    Calling a layer returns a list, or a bare `Value` when `nout == 1` as in micrograd.
    `forward` always returns a list (and is what `MLP` chains), so a width-1 layer can
    feed another layer.

    >>> layer = Layer(3, 2, nonlin=False, rng=random.Random(0))
    >>> layer
    Layer of [LinearNeuron(3), LinearNeuron(3)]
    >>> len(layer([1.0, 2.0, 3.0])), len(layer.parameters())
    (2, 8)
    """

    def __init__(
        self, nin: int, nout: int, *, nonlin: bool = True, rng: random.Random | None = None
    ) -> None:
        check_size("nin", nin)
        self.neurons = [Neuron(nin, nonlin, rng=rng) for _ in range(check_size("nout", nout))]

    def __call__(self, x: Inputs) -> Value | list[Value]:
        out = self.forward(x)
        return out[0] if len(out) == 1 else out

    def forward(self, x: Inputs) -> list[Value]:
        """The outputs as a list, whatever the width (the typed form of calling the layer)."""
        return self._apply(_as_list(x, len(self.neurons[0].w), "Layer"))

    def _apply(self, x: Sequence[Value | float]) -> list[Value]:
        return [n._apply(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"neurons.{j}.{name}", p)
            for j, n in enumerate(self.neurons)
            for name, p in n.named_parameters()
        ]

    def _functional(self, params: Mapping[str, float], prefix: str, x: Inputs) -> list[Value]:
        xs = _as_list(x, len(self.neurons[0].w), "Layer")
        return [n._functional(params, f"{prefix}neurons.{j}.", xs)[0]
                for j, n in enumerate(self.neurons)]  # fmt: skip

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: ReLU layers of widths `nouts[:-1]`, then a linear layer.

    Calling it returns a `Value` when the last layer has width 1 (as in micrograd), else a
    list; `forward` always returns a list. Pass `rng=random.Random(seed)` for a
    reproducible initialisation.

    >>> model = MLP(2, [16, 16, 1], rng=random.Random(0))
    >>> len(model.parameters())
    337
    >>> type(model([0.5, -1.0])).__name__
    'Value'
    >>> MLP(2, [1, 3])
    MLP of [Layer of [ReLUNeuron(2)], Layer of [LinearNeuron(1), LinearNeuron(1), LinearNeuron(1)]]
    """

    def __init__(self, nin: int, nouts: Sequence[int], *, rng: random.Random | None = None) -> None:
        sizes = [check_size("nin", nin)]
        sizes += [check_size(f"nouts[{i}]", n) for i, n in enumerate(nouts)]
        if len(sizes) < 2:
            raise SettingError("an MLP needs at least one layer: nouts is empty")
        last = len(sizes) - 2
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != last, rng=rng) for i in range(last + 1)
        ]

    def __call__(self, x: Inputs) -> Value | list[Value]:
        out = self.forward(x)
        return out[0] if len(out) == 1 else out

    def forward(self, x: Inputs) -> list[Value]:
        """The outputs as a list, whatever the width (the typed form of calling the model)."""
        xs: Sequence[Value | float] = _as_list(x, len(self.layers[0].neurons[0].w), "MLP")
        out: list[Value] = []
        for layer in self.layers:
            xs = out = layer._apply(xs)
        return out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"layers.{i}.{name}", p)
            for i, layer in enumerate(self.layers)
            for name, p in layer.named_parameters()
        ]

    def _functional(self, params: Mapping[str, float], prefix: str, x: Inputs) -> list[Value]:
        xs: Inputs = x
        for i, layer in enumerate(self.layers):
            xs = layer._functional(params, f"{prefix}layers.{i}.", xs)
        return xs  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def _as_list(x: Inputs, nin: int, what: str) -> list[Value | float]:
    """`x` as a list of `nin` inputs; a bare number is one input (a width-1 layer's output)."""
    if isinstance(x, (Node, numbers.Real)):
        xs: list[Value | float] = [x]
    else:
        xs = list(cast("Sequence[Value | float]", x))  # numbers.Real hides float from mypy
    if len(xs) != nin:
        raise ShapeError(f"this {what} takes {nin} input{'s' if nin != 1 else ''}, got {len(xs)}")
    return xs


def functional_call(module: Module, params: Mapping[str, float], x: Inputs) -> list[float]:
    """The outputs of `module` at input `x` with `params` in place of its parameters.

    `params` maps every name of `module.parameter_dict()` to a number; the module's own
    `Value`s are neither read nor changed. Inside `rg.grad` and the other transforms, the
    numbers are traced, so a loss written with it differentiates over the dict, and a
    dict of float gradients comes back. The result is a list, as `forward` gives.

    >>> import rulegrad as rg
    >>> model = MLP(2, [3, 1], rng=random.Random(0))
    >>> params = model.parameter_dict()
    >>> def loss(params: dict[str, float]) -> float:
    ...     return (functional_call(model, params, [0.5, -1.0])[0] - 1.0) ** 2
    >>> grads = rg.grad(loss)(params)
    >>> sorted(grads) == sorted(params) and all(type(g) is float for g in grads.values())
    True
    """
    if not isinstance(module, Module):
        raise ArgumentError(f"functional_call needs a Module, not {type(module).__name__}")
    if not isinstance(params, Mapping):
        raise ArgumentError(
            f"functional_call needs params as a dict of numbers by name (parameter_dict()), "
            f"not {type(params).__name__}"
        )
    _check_names(type(module).__name__, [name for name, _ in module.named_parameters()], params)
    return module._functional(params, "", x)  # type: ignore[return-value]


def _check_names(what: str, names: Sequence[str], params: Mapping[str, object]) -> None:
    """ShapeError unless `params` has exactly the keys `names`."""
    missing = [name for name in names if name not in params]
    extra = sorted(set(params) - set(names), key=str)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(map(repr, missing[:3]))}"
                         f"{' and more' if len(missing) > 3 else ''}")  # fmt: skip
        if extra:
            parts.append(f"unknown {', '.join(map(repr, extra[:3]))}"
                         f"{' and more' if len(extra) > 3 else ''}")  # fmt: skip
        raise ShapeError(
            f"the parameters of this {what} are named as parameter_dict() gives them: "
            + "; ".join(parts)
        )


def check_number(name: str, value: object) -> float:
    if isinstance(value, Node):
        raise ArgumentError(
            f"{name}: load_parameter_dict takes numbers, not a {type(value).__name__}"
        )
    if not isinstance(value, numbers.Real):
        raise ArgumentError(f"{name} must be a real number, not {type(value).__name__}")
    return float(value)
