"""Losses: values and gradients against PyTorch, stability, kinds of number, bad input."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import rulegrad as rg
from rulegrad.nn import (
    SettingError,
    ShapeError,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    l2_penalty,
    mse_loss,
    svm_loss,
)

torch = pytest.importorskip("torch", reason="PyTorch is not installed")
F = torch.nn.functional

Loss = Callable[[Sequence[rg.Value], Sequence[float]], rg.Value]


def torch_svm(scores: Any, labels: Any) -> Any:
    return torch.clamp(1.0 - labels * scores, min=0.0).mean()


CASES: list[tuple[str, Loss, Callable[[Any, Any], Any], list[float], list[float]]] = [
    ("svm", svm_loss, torch_svm, [2.0, 0.3, -0.4, -1.7, 0.9], [1.0, -1.0, -1.0, 1.0, 1.0]),
    ("mse", mse_loss, F.mse_loss, [0.5, -1.25, 3.0, 0.0], [1.0, -1.0, 2.5, 0.25]),
    (
        "bce logits",
        binary_cross_entropy_with_logits,
        F.binary_cross_entropy_with_logits,
        [0.0, 2.5, -3.0, 40.0, -40.0, 0.7],
        [1.0, 0.0, 0.0, 1.0, 1.0, 0.3],
    ),
    (
        "bce",
        binary_cross_entropy,
        F.binary_cross_entropy,
        [0.5, 0.9, 0.2, 0.999, 1e-3, 0.35],
        [1.0, 0.0, 0.0, 1.0, 0.0, 0.6],
    ),
]


@pytest.mark.parametrize(("name", "loss", "reference", "scores", "targets"), CASES)
def test_value_and_gradient_match_torch(
    name: str,
    loss: Loss,
    reference: Callable[[Any, Any], Any],
    scores: list[float],
    targets: list[float],
) -> None:
    values = [rg.Value(s) for s in scores]
    out = loss(values, targets)
    out.backward()
    t = torch.tensor(scores, dtype=torch.float64, requires_grad=True)
    expected = reference(t, torch.tensor(targets, dtype=torch.float64))
    expected.backward()
    assert math.isclose(out.data, expected.item(), rel_tol=1e-12, abs_tol=1e-12), name
    for v, g in zip(values, t.grad.tolist(), strict=True):
        assert math.isclose(v.grad, g, rel_tol=1e-12, abs_tol=1e-12), (name, v.grad, g)


def test_bce_at_certain_probabilities() -> None:
    # A sure and right prediction costs nothing; its slope is the exact -1/p (PyTorch reports
    # 0 there, from its clamped (p - y) / (p (1 - p))).
    p = [rg.Value(1.0), rg.Value(0.0)]
    out = binary_cross_entropy(p, [1.0, 0.0])
    out.backward()
    assert out.data == 0.0
    assert p[0].grad == -0.5 and p[1].grad == 0.5


def test_bce_with_logits_is_stable_far_out() -> None:
    z = [rg.Value(1000.0), rg.Value(-1000.0)]
    out = binary_cross_entropy_with_logits(z, [0.0, 1.0])  # each term costs |z|
    out.backward()
    assert out.data == 1000.0
    assert z[0].grad == 0.5 and z[1].grad == -0.5  # (sigmoid(z) - y) / n


def test_bce_with_logits_has_every_derivative_at_zero() -> None:
    def f(z: float) -> float:
        return binary_cross_entropy_with_logits([z], [1.0])

    for mode in ("forward", "reverse"):
        assert rg.grad(f, mode=mode)(0.0) == -0.5  # sigmoid(0) - 1
    assert math.isclose(rg.grad(rg.grad(f))(0.0), 0.25)  # sigmoid'(0)
    assert math.isclose(rg.derivative(f, order=3)(0.0), 0.0, abs_tol=1e-15)
    assert math.isclose(rg.derivative(f, order=2)(2.0), 0.25 / math.cosh(1.0) ** 2)


def test_losses_keep_the_kind_of_number() -> None:
    assert svm_loss([2.0, 0.5], [1, -1]) == 0.75
    assert mse_loss([1.0, 3.0], [0.0, 1.0]) == 2.5
    dual = mse_loss([rg.Dual(1.0, 1.0)], [0.0])
    assert isinstance(dual, rg.Dual) and (dual.primal, dual.tangent) == (1.0, 2.0)


def test_l2_penalty() -> None:
    ps = [rg.Value(1.0), rg.Value(-2.0), rg.Value(0.5)]
    out = l2_penalty(ps, 1e-2)
    out.backward()
    assert math.isclose(out.data, 1e-2 * 5.25)
    assert [p.grad for p in ps] == [2e-2, -4e-2, 1e-2]
    assert l2_penalty([], 1.0).data == 0.0
    with pytest.raises(SettingError, match="alpha must be"):
        l2_penalty(ps, -1.0)


def test_bad_input() -> None:
    v = [rg.Value(0.5), rg.Value(0.25)]
    with pytest.raises(ShapeError, match="mse_loss: 2 scores but 3 targets"):
        mse_loss(v, [1.0, 2.0, 3.0])
    with pytest.raises(ShapeError, match="svm_loss: the batch is empty"):
        svm_loss([], [])
    with pytest.raises(SettingError, match=r"labels -1 or \+1, got 0 at index 1 \(map 0/1"):
        svm_loss(v, [1, 0])
    with pytest.raises(SettingError, match=r"each target must be in \[0, 1\], got 2.0 at index 0"):
        binary_cross_entropy_with_logits(v, [2.0, 0.0])
    with pytest.raises(SettingError, match=r"each probability must be in \[0, 1\], got 1.5"):
        binary_cross_entropy([rg.Value(1.5), rg.Value(0.5)], [1.0, 0.0])
    with pytest.raises(
        rg.DomainError, match=r"probability 0\.0 at index 0 with target 1\.0"
    ) as info:
        binary_cross_entropy([rg.Value(0.0)], [1.0])
    assert info.value.op_name == "binary_cross_entropy"
    with pytest.raises(rg.DomainError, match="infinite loss"):
        binary_cross_entropy([rg.Value(1.0)], [0.5])
