"""`SGD` and `Adam`: hand-computed steps, PyTorch's optimisers, and bad settings."""

from __future__ import annotations

import math
from typing import Any

import pytest

import rulegrad as rg
from rulegrad.nn import SGD, Adam, Optimizer, SettingError

torch = pytest.importorskip("torch", reason="PyTorch is not installed")


def quadratic(ws: list[rg.Value]) -> rg.Value:
    """A loss with distinct, changing gradients per parameter: sum (i+1) w_i^2 + w0 w1."""
    return rg.sum([(i + 1) * w * w for i, w in enumerate(ws)]) + ws[0] * ws[1]


def torch_quadratic(ws: list[Any]) -> Any:
    return sum((i + 1) * w * w for i, w in enumerate(ws)) + ws[0] * ws[1]


def test_sgd_is_micrograds_update() -> None:
    w, b = rg.Value(1.0), rg.Value(-2.0)
    opt = SGD([w, b], lr=0.1)
    (w * w + 3.0 * b).backward()  # grads 2 and 3
    opt.step()
    assert w.data == 1.0 - 0.1 * 2.0 and b.data == -2.0 - 0.1 * 3.0
    opt.zero_grad()
    assert w.grad == b.grad == 0.0


def test_sgd_momentum_by_hand() -> None:
    w = rg.Value(2.0)
    opt = SGD([w], lr=0.5, momentum=0.5)
    expected, velocity = 2.0, 0.0
    for _ in range(3):
        opt.zero_grad()
        (w * w).backward()
        opt.step()
        velocity = 0.5 * velocity + 2.0 * expected
        expected -= 0.5 * velocity
        assert w.data == expected
    assert expected != 2.0


def test_learning_rate_can_change_between_steps() -> None:
    w = rg.Value(0.0)
    opt = SGD([w], lr=1.0)
    for k in range(3):
        opt.zero_grad()
        (1.0 * w).backward()  # gradient 1
        opt.lr = 1.0 - 0.9 * k / 3
        opt.step()
    assert math.isclose(w.data, -(1.0 + 0.7 + 0.4))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("variant", [False, True])
def test_matches_torch_optim(optimizer: str, variant: bool) -> None:
    start = [0.7, -1.3, 0.4]
    ws = [rg.Value(v) for v in start]
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in start]
    opt: Optimizer
    if optimizer == "sgd":
        momentum = 0.9 if variant else 0.0
        opt = SGD(ws, lr=0.05, momentum=momentum)
        ref = torch.optim.SGD(ts, lr=0.05, momentum=momentum)
    else:
        betas = (0.8, 0.99) if variant else (0.9, 0.999)
        opt = Adam(ws, lr=0.1, betas=betas, eps=1e-6 if variant else 1e-8)
        ref = torch.optim.Adam(ts, lr=0.1, betas=betas, eps=1e-6 if variant else 1e-8)
    for step in range(8):
        opt.zero_grad()
        quadratic(ws).backward()
        opt.step()
        ref.zero_grad()
        torch_quadratic(ts).backward()
        ref.step()
        for w, t in zip(ws, ts, strict=True):
            assert math.isclose(w.data, t.item(), rel_tol=1e-12, abs_tol=1e-12), step
    assert ws[0].data != start[0]


def test_adam_first_step_by_hand() -> None:
    w = rg.Value(1.0)
    opt = Adam([w], lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    (w * w).backward()  # gradient 2
    opt.step()
    first, second = 0.1 * 2.0, 0.001 * 4.0
    step = 0.01 * (first / 0.1) / (math.sqrt(second / 0.001) + 1e-8)
    assert math.isclose(w.data, 1.0 - step, rel_tol=1e-15)
    assert opt.steps == 1


def test_adam_trains_to_the_minimum() -> None:
    ws = [rg.Value(1.0), rg.Value(-1.0)]
    opt = Adam(ws, lr=0.05)
    for _ in range(400):
        opt.zero_grad()
        quadratic(ws).backward()
        opt.step()
    assert all(abs(w.data) < 1e-2 for w in ws)


def test_bad_settings() -> None:
    w = rg.Value(1.0)
    with pytest.raises(SettingError, match=r"lr must be a finite number >= 0, got -0\.1"):
        SGD([w], lr=-0.1)
    with pytest.raises(SettingError, match=r"momentum must be in \[0, 1\), got 1.0"):
        SGD([w], lr=0.1, momentum=1.0)
    with pytest.raises(SettingError, match="empty list of parameters"):
        Adam([])
    with pytest.raises(SettingError, match="parameter 1 appears twice"):
        SGD([w, w], lr=0.1)
    with pytest.raises(rg.ArgumentError, match="parameter 0 must be a Value, not float"):
        SGD([1.0], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(SettingError, match=r"betas\[1\] must be in \[0, 1\), got 1.5"):
        Adam([w], betas=(0.9, 1.5))
    with pytest.raises(rg.ArgumentError, match="betas must be a pair"):
        Adam([w], betas=(0.9,))  # type: ignore[arg-type]
    with pytest.raises(SettingError, match="eps must be a finite number >= 0, got nan"):
        Adam([w], eps=float("nan"))
    opt = SGD([w], lr=0.1)
    with pytest.raises(SettingError, match="lr must be"):
        opt.lr = float("inf")
    with pytest.raises(rg.ArgumentError, match="lr must be a real number, not str"):
        opt.lr = "0.1"  # type: ignore[assignment]
    assert opt.lr == 0.1
    with pytest.raises(NotImplementedError):
        Optimizer([w], lr=0.1).step()
