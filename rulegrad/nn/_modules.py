"""micrograd's neural-net modules on rulegrad `Value`s: `Module`, `Neuron`, `Layer`, `MLP`.

They behave as micrograd's do (same initialisation, same order of random draws, same
outputs and reprs), so micrograd's moons demo runs with only its imports changed. Where
micrograd breaks, they do not: a layer of width 1 feeds the next layer, and an input of the
wrong length is an error instead of being silently cut short by `zip`.
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Sequence
from typing import TypeAlias, cast

from rulegrad.kernel import Node, Value
from rulegrad.nn._checks import SettingError, ShapeError, check_size
from rulegrad.ops import dot

__all__ = ["MLP", "Inputs", "Layer", "Module", "Neuron"]

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
