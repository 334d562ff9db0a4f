"""Toy data sets, written in plain Python (no scikit-learn, no numpy)."""

from __future__ import annotations

import math
import random

from rulegrad.nn._checks import check_real, check_size

__all__ = ["make_moons"]


def make_moons(
    n: int = 100,
    noise: float = 0.0,
    rng: random.Random | None = None,
    *,
    shuffle: bool = True,
) -> tuple[list[tuple[float, float]], list[int]]:
    """Two interleaving half circles in the plane, the data of micrograd's demo.

    Returns `(points, labels)`: `n` points `(x, y)` and their labels, 0 for the upper moon
    (centre (0, 0), radius 1) and 1 for the lower one (centre (1, 0.5)), with `n // 2` points
    on the upper moon (scikit-learn's `make_moons` layout). Gaussian noise of standard
    deviation `noise` is added to each coordinate. Random draws come from `rng` (the `random`
    module by default).

    >>> points, labels = make_moons(4, shuffle=False)
    >>> [(round(x, 6), round(y, 6)) for x, y in points]
    [(1.0, 0.0), (-1.0, 0.0), (0.0, 0.5), (2.0, 0.5)]
    >>> labels
    [0, 0, 1, 1]
    """
    n = check_size("n", n)
    noise = check_real("noise", noise, low=0.0)
    draw = rng or random  # the module's own functions, like micrograd's seeding
    upper = n // 2
    lower = n - upper
    points = [_arc(i, upper, 0.0, 0.0, 1.0) for i in range(upper)]
    points += [_arc(i, lower, 1.0, 0.5, -1.0) for i in range(lower)]
    labels = [0] * upper + [1] * lower
    order = list(range(n))
    if shuffle:
        draw.shuffle(order)
    if noise:
        noisy = [(x + draw.gauss(0.0, noise), y + draw.gauss(0.0, noise)) for x, y in points]
        points = noisy
    return [points[i] for i in order], [labels[i] for i in order]


def _arc(i: int, count: int, cx: float, cy: float, side: float) -> tuple[float, float]:
    """Point i of `count` spread evenly over a half circle of radius 1 around (cx, cy).

    `side` 1 is the upper half, run from angle 0 to pi; -1 the lower half, from pi to 2 pi.
    """
    angle = math.pi * i / (count - 1) if count > 1 else 0.0
    return cx + side * math.cos(angle), cy + side * math.sin(angle)
