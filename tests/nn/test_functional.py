"""rulegrad.nn in the functional style: parameters as a dict of floats, a model run with
any numbers in their place, and gradients over the dict."""

from __future__ import annotations

import random

import pytest

import rulegrad as rg
from rulegrad.nn import MLP, Layer, Module, Neuron, functional_call, svm_loss
from tests.helpers import MODES


def test_parameters_have_names_in_the_order_of_parameters() -> None:
    model = MLP(2, [3, 1], rng=random.Random(0))
    named = model.named_parameters()
    assert [p for _, p in named] == model.parameters()
    assert named[0][0] == "layers.0.neurons.0.w.0" and named[-1][0] == "layers.1.neurons.0.b"
    assert list(Neuron(2).parameter_dict()) == ["w.0", "w.1", "b"]
    assert list(Layer(1, 2).parameter_dict()) == ["neurons.0.w.0", "neurons.0.b",
                                                  "neurons.1.w.0", "neurons.1.b"]  # fmt: skip
    params = model.parameter_dict()
    assert all(type(v) is float for v in params.values()) and len(params) == 13


@pytest.mark.parametrize("mode", MODES)
def test_gradients_over_the_dict_equal_backward_on_the_values(mode: rg.ModeLike) -> None:
    model = MLP(2, [4, 4, 1], rng=random.Random(1))
    points = [[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]]
    labels = [1.0, -1.0, 1.0]

    def loss(params: dict[str, float]) -> float:
        scores = [functional_call(model, params, p)[0] for p in points]
        return svm_loss(scores, labels) + 1e-3 * rg.sum([v * v for v in params.values()])

    params = model.parameter_dict()
    value, grads = rg.value_and_grad(loss, mode=mode)(params)
    scores = [model.forward(p)[0] for p in points]
    graph = svm_loss(scores, labels) + 1e-3 * rg.dot(model.parameters(), model.parameters())
    model.zero_grad()
    graph.backward()
    assert value == pytest.approx(graph.data, rel=1e-15)
    for name, p in model.named_parameters():
        assert grads[name] == pytest.approx(p.grad, rel=1e-12, abs=1e-15)
    assert model.parameter_dict() == params  # the model's own Values were not touched


def test_functional_call_on_floats_and_a_second_order() -> None:
    neuron = Neuron(2, nonlin=False, rng=random.Random(0))
    params = {"w.0": 2.0, "w.1": -1.0, "b": 0.5}
    assert functional_call(neuron, params, [1.0, 3.0]) == [2.0 - 3.0 + 0.5]
    hessian = rg.hessian(lambda p: functional_call(neuron, p, [1.0, 3.0])[0] ** 2)(params)
    assert hessian["w.1"]["w.1"] == 18.0 and hessian["b"]["w.0"] == 2.0


def test_load_parameter_dict_and_errors() -> None:
    model = MLP(1, [2, 1], rng=random.Random(0))
    params = dict.fromkeys(model.parameter_dict(), 0.25)
    model.load_parameter_dict(params)
    assert all(p.data == 0.25 for p in model.parameters())
    with pytest.raises(rg.nn.ShapeError, match="unknown 'extra'"):
        model.load_parameter_dict({**params, "extra": 1.0})
    with pytest.raises(rg.ArgumentError, match="must be a real number"):
        model.load_parameter_dict({**params, "layers.0.neurons.0.b": "x"})  # type: ignore[dict-item]

    class Own(Module):
        def __init__(self) -> None:
            self.k = rg.Value(1.0)

        def parameters(self) -> list[rg.Value]:
            return [self.k]

    assert Own().parameter_dict() == {"0": 1.0}
    with pytest.raises(rg.ArgumentError, match="supports Neuron, Layer and MLP, not Own"):
        functional_call(Own(), {"0": 2.0}, [1.0])
