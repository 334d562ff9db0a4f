"""Losses over a batch of scalar scores, each a mean over the batch and a single `Value`.

They are built from catalogue ops, so they differentiate in both modes and to any order.
Scores are usually `Value`s (a model's outputs) and the loss is then a `Value`; floats give
a float and `Dual`s a `Dual`, so a loss also works inside `rg.grad` and the other transforms.
Targets are numbers.

- `svm_loss`: the max-margin hinge loss of micrograd's demo, labels -1 or +1;
- `mse_loss`: mean squared error;
- `binary_cross_entropy_with_logits`: cross-entropy from raw scores (logits), labels in
  [0, 1]; numerically stable for scores of any size. Prefer it to the next one;
- `binary_cross_entropy`: cross-entropy from probabilities in [0, 1];
- `l2_penalty`: `alpha * sum(p * p)`, weight decay added to a loss.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from rulegrad.kernel import DomainError, Dual, Value, to_float
from rulegrad.nn._checks import SettingError, ShapeError, check_real
from rulegrad.ops import dot, exp, log, log1p, relu
from rulegrad.ops import sum as total  # one node for the whole sum

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "l2_penalty",
    "mse_loss",
    "svm_loss",
]

S = TypeVar("S", float, Value, Dual)  # a loss returns the kind of number its scores are


def svm_loss(scores: Sequence[S], labels: Sequence[float]) -> S:
    """The mean of `relu(1 - y * s)`: zero once every score is on its label's side by 1.

    Labels are -1 or +1 (map 0/1 labels with `2 * y - 1`), as in micrograd's demo.

    >>> round(svm_loss([Value(2.0), Value(0.5)], [1, -1]).data, 6)   # (0 + 1.5) / 2
    0.75
    """
    pairs = _pairs("svm_loss", scores, labels)
    for i, (_, y) in enumerate(pairs):
        if y not in (-1.0, 1.0):
            raise SettingError(
                f"svm_loss needs labels -1 or +1, got {y!r} at index {i} "
                "(map 0/1 labels with 2 * y - 1)"
            )
    return total([relu(1.0 - y * s) for s, y in pairs]) / len(pairs)


def mse_loss(predictions: Sequence[S], targets: Sequence[float]) -> S:
    """The mean of `(prediction - target) ** 2`.

    >>> mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data       # (1 + 4) / 2
    2.5
    """
    pairs = _pairs("mse_loss", predictions, targets)
    errors = [p - t for p, t in pairs]
    return dot(errors, errors) / len(pairs)


def binary_cross_entropy_with_logits(logits: Sequence[S], targets: Sequence[float]) -> S:
    """Cross-entropy of `sigmoid(logit)` against targets in [0, 1], computed from the logits.

    Each term is `softplus(z) - y * z`, which equals `-(y log p + (1 - y) log(1 - p))` for
    `p = sigmoid(z)` but never overflows or takes the log of 0, however large `|z|` is
    (PyTorch's `binary_cross_entropy_with_logits`).

    >>> round(binary_cross_entropy_with_logits([Value(0.0)], [1.0]).data, 6)   # log 2
    0.693147
    >>> binary_cross_entropy_with_logits([Value(1000.0)], [1.0]).data
    0.0
    """
    pairs = _pairs("binary_cross_entropy_with_logits", logits, targets)
    _check_probabilities("target", [y for _, y in pairs])
    return total([_softplus(z) - y * z for z, y in pairs]) / len(pairs)


def binary_cross_entropy(probabilities: Sequence[S], targets: Sequence[float]) -> S:
    """The mean of `-(y log p + (1 - y) log(1 - p))` for probabilities `p` in [0, 1].

    A term whose weight is zero is left out, so `p = 1` with `y = 1` costs 0. A probability of
    exactly 0 or 1 on the wrong side would cost infinity: that raises `DomainError` (PyTorch
    clips the log at -100 instead). From raw scores, use
    `binary_cross_entropy_with_logits`, which cannot hit that.

    >>> round(binary_cross_entropy([Value(0.5), Value(1.0)], [0.0, 1.0]).data, 6)  # log 2 / 2
    0.346574
    """
    name = "binary_cross_entropy"
    pairs = _pairs(name, probabilities, targets)
    _check_probabilities("target", [y for _, y in pairs])
    _check_probabilities("probability", [to_float(p) for p, _ in pairs])
    terms: list[S] = []
    for i, (p, y) in enumerate(pairs):
        primal = to_float(p)
        if (y != 0.0 and primal == 0.0) or (y != 1.0 and primal == 1.0):
            raise DomainError(
                name, (primal, y), f"{name}: probability {primal!r} at index {i} with target "
                f"{y!r} gives an infinite loss; binary_cross_entropy_with_logits avoids this",
            )  # fmt: skip
        if y == 1.0:
            terms.append(-log(p))
        elif y == 0.0:
            terms.append(-log1p(-p))
        else:
            terms.append(-(y * log(p) + (1.0 - y) * log1p(-p)))
    return total(terms) / len(pairs)


def l2_penalty(params: Iterable[Value], alpha: float) -> Value:
    """`alpha * sum(p * p for p in params)`, as one `dot` node; add it to a loss.

    >>> l2_penalty([Value(1.0), Value(-2.0)], 0.5).data
    2.5
    """
    weight = check_real("alpha", alpha, low=0.0)
    ps = list(params)
    return weight * dot(ps, ps) if ps else Value(0.0)


def _softplus(z: S) -> S:
    # log(1 + e^z) is z + log(1 + e^-z): take the form whose exp cannot overflow. Both are
    # the same analytic function, so every derivative is exact on either side of the branch.
    return z + log1p(exp(-z)) if z > 0.0 else log1p(exp(z))


def _pairs(name: str, scores: Sequence[S], targets: Sequence[float]) -> list[tuple[S, float]]:
    if len(scores) != len(targets):
        raise ShapeError(f"{name}: {len(scores)} scores but {len(targets)} targets")
    if not scores:
        raise ShapeError(f"{name}: the batch is empty, so its mean is undefined")
    return list(zip(scores, targets, strict=True))


def _check_probabilities(what: str, numbers: Sequence[float]) -> None:
    for i, number in enumerate(numbers):
        if not 0.0 <= number <= 1.0:
            raise SettingError(f"each {what} must be in [0, 1], got {number!r} at index {i}")
