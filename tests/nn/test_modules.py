"""`Module`, `Neuron`, `Layer`, `MLP`: micrograd's API, plus what micrograd gets wrong."""

from __future__ import annotations

import random

import pytest

import rulegrad as rg
from rulegrad.nn import MLP, Layer, Module, Neuron, SettingError, ShapeError


def test_neuron_computes_relu_of_affine_and_starts_like_micrograd() -> None:
    n = Neuron(3, rng=random.Random(0))
    assert len(n.w) == 3 and all(-1.0 <= w.data <= 1.0 for w in n.w)
    assert n.b.data == 0.0 and n.nonlin
    n.w[0].data, n.w[1].data, n.w[2].data, n.b.data = 1.0, -2.0, 0.5, 0.25
    assert n([1.0, 1.0, 2.0]).data == 0.25  # 1 - 2 + 1 + 0.25
    assert n([0.0, 1.0, 0.0]).data == 0.0  # relu(-1.75)
    linear = Neuron(3, nonlin=False, rng=random.Random(0))
    linear.w[0].data, linear.w[1].data, linear.w[2].data = 1.0, -2.0, 0.5
    assert linear([0.0, 1.0, 0.0]).data == -2.0


def test_neuron_gradients() -> None:
    n = Neuron(2, rng=random.Random(1))
    n.w[0].data, n.w[1].data = 2.0, 3.0
    x = [rg.Value(1.5), rg.Value(-0.5)]
    out = n(x)
    out.backward()
    assert out.data == 1.5
    assert [w.grad for w in n.w] == [1.5, -0.5]
    assert n.b.grad == 1.0
    assert [xi.grad for xi in x] == [2.0, 3.0]


def test_a_neuron_is_a_dot_node_then_a_relu() -> None:
    out = Neuron(16, rng=random.Random(0))([0.5] * 16)
    assert out.op is not None and out.op.name == "relu"
    (act,) = out.inputs
    assert isinstance(act, rg.Value) and act.op is not None and act.op.name == "dot"
    assert all(type(i) is not rg.Value or i.op is None for i in act.inputs)  # leaves only


def test_parameters_in_micrograd_order_and_zero_grad() -> None:
    model = MLP(3, [4, 2], rng=random.Random(0))
    params = model.parameters()
    assert len(params) == (3 + 1) * 4 + (4 + 1) * 2
    first = model.layers[0].neurons[0]
    assert params[:4] == [*first.w, first.b]
    assert params[-1] is model.layers[1].neurons[1].b
    out = model([1.0, -2.0, 0.5])
    assert isinstance(out, list) and len(out) == 2
    rg.sum(out).backward()
    assert any(p.grad != 0.0 for p in params)
    model.zero_grad()
    assert all(p.grad == 0.0 for p in params)


def test_base_module_has_no_parameters() -> None:
    m = Module()
    assert m.parameters() == []
    m.zero_grad()


def test_reprs_match_micrograd() -> None:
    model = MLP(2, [2, 1], rng=random.Random(0))
    assert repr(model) == (
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]"
    )
    assert repr(Layer(1, 1, nonlin=False)) == "Layer of [LinearNeuron(1)]"


def test_width_one_output_is_a_bare_value_like_micrograd() -> None:
    model = MLP(2, [3, 1], rng=random.Random(0))
    assert isinstance(model([0.1, 0.2]), rg.Value)
    assert isinstance(Layer(2, 1)([0.1, 0.2]), rg.Value)
    assert isinstance(Layer(2, 3)([0.1, 0.2]), list)
    forward = model.forward([0.1, 0.2])
    assert isinstance(forward, list) and len(forward) == 1


def test_width_one_hidden_layer_works() -> None:
    model = MLP(2, [1, 3, 1], rng=random.Random(0))
    hidden = model.layers[0].neurons[0]
    hidden.w[0].data, hidden.w[1].data, hidden.b.data = 1.0, 1.0, 0.5
    for n in model.layers[1].neurons:
        n.w[0].data = 1.0
    for w, v in zip(model.layers[2].neurons[0].w, [1.0, 2.0, 3.0], strict=True):
        w.data = v
    out = model([1.0, 2.0])
    assert isinstance(out, rg.Value)
    assert out.data == 3.5 * (1.0 + 2.0 + 3.0)
    out.backward()
    assert hidden.w[0].grad == 6.0 and hidden.w[1].grad == 12.0 and hidden.b.grad == 6.0
    # Calling the layers by hand also chains: a width-1 layer's bare Value feeds the next.
    h = model.layers[0]([1.0, 2.0])
    assert isinstance(h, rg.Value) and h.data == 3.5
    y = model.layers[1](h)
    assert isinstance(y, list) and [v.data for v in y] == [3.5, 3.5, 3.5]


def test_width_one_hidden_layer_learns() -> None:
    model = MLP(1, [1, 1], rng=random.Random(3))
    hidden = model.layers[0].neurons[0]
    hidden.w[0].data = 1.0  # keep the ReLU alive on positive inputs
    xs, ys = [0.5, 1.0, 1.5, 2.0], [1.0, 2.0, 3.0, 4.0]
    optimizer = rg.nn.SGD(model.parameters(), lr=0.05)
    for _ in range(300):
        loss = rg.nn.mse_loss([model.forward([x])[0] for x in xs], ys)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.data < 1e-4


def test_seeded_models_are_reproducible_and_seeds_differ() -> None:
    def weights(seed: int) -> list[float]:
        return [p.data for p in MLP(2, [4, 4, 1], rng=random.Random(seed)).parameters()]

    assert weights(7) == weights(7)
    assert weights(7) != weights(8)


def test_default_initialisation_draws_from_the_random_module() -> None:
    random.seed(11)
    a = [p.data for p in MLP(2, [3, 1]).parameters()]
    random.seed(11)
    b = [p.data for p in MLP(2, [3, 1]).parameters()]
    assert a == b
    random.seed(11)
    expected = [random.uniform(-1.0, 1.0) for _ in range(2)]
    assert a[:2] == expected and a[2] == 0.0


def test_inputs_may_be_values_floats_ints_or_one_bare_number() -> None:
    n = Neuron(2, nonlin=False, rng=random.Random(0))
    n.w[0].data, n.w[1].data = 1.0, 1.0
    assert n([1, rg.Value(2.0)]).data == 3.0
    assert n((1.0, 2.0)).data == 3.0
    single = Neuron(1, nonlin=False, rng=random.Random(0))
    single.w[0].data = 2.0
    assert single(rg.Value(4.0)).data == single(4.0).data == single([4.0]).data == 8.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Neuron(2)([1.0, 2.0, 3.0]), "this Neuron takes 2 inputs, got 3"),
        (lambda: Layer(3, 2)([1.0]), "this Layer takes 3 inputs, got 1"),
        (lambda: MLP(2, [3, 1])([1.0]), "this MLP takes 2 inputs, got 1"),
        (lambda: Neuron(1)([1.0, 2.0]), "this Neuron takes 1 input, got 2"),
    ],
)
def test_wrong_input_length_is_an_error_not_a_silent_zip(call: object, message: str) -> None:
    with pytest.raises(ShapeError, match=message) as info:
        call()  # type: ignore[operator]
    assert isinstance(info.value, ValueError) and isinstance(info.value, rg.RulegradError)


def test_bad_sizes() -> None:
    with pytest.raises(SettingError, match="nin must be at least 1, got 0"):
        Neuron(0)
    with pytest.raises(SettingError, match="nout must be at least 1, got -2"):
        Layer(2, -2)
    with pytest.raises(SettingError, match=r"nouts\[1\] must be at least 1, got 0"):
        MLP(2, [3, 0, 1])
    with pytest.raises(SettingError, match="nouts is empty"):
        MLP(2, [])
    with pytest.raises(rg.ArgumentError, match="nin must be an int, not float"):
        Neuron(2.5)  # type: ignore[arg-type]
    with pytest.raises(rg.ArgumentError, match="nin must be an int, not bool"):
        Layer(True, 2)
