"""Parity with micrograd: same weights give the same outputs, loss and gradients, and
micrograd's demo runs on rulegrad with only its imports changed."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest

import rulegrad as rg
from rulegrad import nn

micrograd_engine = pytest.importorskip("micrograd.engine", reason="micrograd is not installed")
micrograd_nn = pytest.importorskip("micrograd.nn", reason="micrograd is not installed")
np = pytest.importorskip("numpy", reason="numpy is not installed")

TOL = 1e-9


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=TOL, abs_tol=TOL)


def copy_weights(source: nn.MLP, target: Any) -> None:
    """Put rulegrad's weights into a micrograd MLP of the same shape."""
    ours, theirs = source.parameters(), target.parameters()
    assert len(ours) == len(theirs)
    for p, q in zip(ours, theirs, strict=True):
        q.data = p.data


@pytest.mark.parametrize("nouts", [[16, 16, 1], [4, 3], [5, 1]])
def test_same_weights_same_outputs_loss_and_gradients(nouts: list[int]) -> None:
    model = nn.MLP(2, nouts, rng=random.Random(5))
    reference = micrograd_nn.MLP(2, nouts)
    copy_weights(model, reference)
    points, classes = nn.make_moons(24, noise=0.1, rng=random.Random(2))
    labels = [2 * c - 1 for c in classes]

    def demo_loss(m: Any, value: Callable[[float], Any]) -> tuple[Any, list[Any]]:
        # micrograd's demo loss, written against either library.
        outs = [m([value(x) for x in p]) for p in points]
        scores = outs if not isinstance(outs[0], list) else [o[0] for o in outs]
        losses = [(1 + -y * s).relu() for y, s in zip(labels, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in m.parameters())
        return data_loss + reg_loss, scores

    loss, scores = demo_loss(model, rg.Value)
    expected, reference_scores = demo_loss(reference, micrograd_engine.Value)
    for s, r in zip(scores, reference_scores, strict=True):
        assert close(s.data, r.data)
    assert close(loss.data, expected.data)
    loss.backward()
    expected.backward()
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        assert close(p.grad, q.grad), (p.grad, q.grad)
    # the gradient is not trivially zero
    assert sum(abs(p.grad) for p in model.parameters()) > 0.1


def test_library_losses_match_micrograds_demo_loss() -> None:
    model = nn.MLP(2, [8, 1], rng=random.Random(1))
    reference = micrograd_nn.MLP(2, [8, 1])
    copy_weights(model, reference)
    points, classes = nn.make_moons(30, noise=0.1, rng=random.Random(4))
    labels = [2 * c - 1 for c in classes]
    loss = nn.svm_loss([model.forward(p)[0] for p in points], labels)
    loss = loss + nn.l2_penalty(model.parameters(), 1e-4)
    ref_scores = [reference([micrograd_engine.Value(x) for x in p]) for p in points]
    ref_losses = [(1 + -y * s).relu() for y, s in zip(labels, ref_scores, strict=True)]
    expected = sum(ref_losses) * (1.0 / len(ref_losses))
    expected = expected + 1e-4 * sum(p * p for p in reference.parameters())
    assert close(loss.data, expected.data)
    loss.backward()
    expected.backward()
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        assert close(p.grad, q.grad)


def test_same_global_seed_gives_micrograds_weights() -> None:
    random.seed(1234)
    reference = micrograd_nn.MLP(3, [4, 4, 1])
    random.seed(1234)
    model = nn.MLP(3, [4, 4, 1])
    assert [p.data for p in model.parameters()] == [p.data for p in reference.parameters()]
    assert repr(model) == repr(reference)
    assert repr(model.layers[0].neurons[0]) == repr(reference.layers[0].neurons[0])


def micrograd_demo(
    value: Any, mlp: Any, steps: int
) -> tuple[list[tuple[float, float]], list[bool]]:
    """micrograd's demo notebook, unchanged but for where `Value` and `MLP` come from: numpy
    data, numpy labels, builtin `sum`, micrograd's reg loss and update loop."""
    np.random.seed(1337)
    random.seed(1337)
    points, classes = nn.make_moons(30, noise=0.1, rng=random.Random(9))
    X, y = np.array(points), np.array(classes)  # noqa: N806  # the notebook's names
    y = y * 2 - 1
    model = mlp(2, [16, 16, 1])

    def loss(batch_size: int | None = None) -> tuple[Any, float]:
        if batch_size is None:
            Xb, yb = X, y  # noqa: N806
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]  # noqa: N806
        inputs = [list(map(value, xrow)) for xrow in Xb]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]  # noqa: B905
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]  # noqa: B905
        return total_loss, sum(accuracy) / len(accuracy)

    history = []
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total_loss.data, acc))
    # and the notebook's decision-boundary evaluation on a numpy mesh
    xx, yy = np.meshgrid(np.arange(-2.0, 3.0, 1.0), np.arange(-1.0, 2.0, 1.0))
    mesh = np.c_[xx.ravel(), yy.ravel()]
    scores = list(map(model, [list(map(value, xrow)) for xrow in mesh]))
    return history, [bool(s.data > 0) for s in scores]


def test_micrograds_demo_runs_with_only_its_imports_changed() -> None:
    ours, our_sides = micrograd_demo(rg.Value, nn.MLP, steps=3)
    theirs, their_sides = micrograd_demo(micrograd_engine.Value, micrograd_nn.MLP, steps=3)
    assert len(ours) == len(theirs) == 3
    assert len({loss for loss, _ in ours}) == 3  # each step changed the model
    for (loss, acc), (ref_loss, ref_acc) in zip(ours, theirs, strict=True):
        assert close(loss, ref_loss) and acc == ref_acc
    assert our_sides == their_sides and len(our_sides) == 15
