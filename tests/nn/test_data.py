"""`make_moons`: the layout of scikit-learn's two moons, reproducible, written here."""

from __future__ import annotations

import math
import random

import pytest

import rulegrad as rg
from rulegrad.nn import SettingError, make_moons


@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_shape_and_labels(n: int) -> None:
    points, labels = make_moons(n, noise=0.1, rng=random.Random(0))
    assert len(points) == len(labels) == n
    assert all(len(p) == 2 and all(isinstance(c, float) for c in p) for p in points)
    assert labels.count(0) == n // 2 and labels.count(1) == n - n // 2
    assert set(labels) <= {0, 1}


def test_without_noise_points_lie_on_the_two_half_circles() -> None:
    points, labels = make_moons(50, rng=random.Random(0))
    for (x, y), label in zip(points, labels, strict=True):
        if label == 0:  # the upper half of the unit circle
            assert math.isclose(math.hypot(x, y), 1.0) and y >= -1e-12
        else:  # the lower half of the unit circle around (1, 0.5)
            assert math.isclose(math.hypot(x - 1.0, y - 0.5), 1.0) and y <= 0.5 + 1e-12
    xs = sorted(x for (x, _), label in zip(points, labels, strict=True) if label == 0)
    assert math.isclose(xs[0], -1.0) and math.isclose(xs[-1], 1.0)


def test_noise_moves_points_by_about_its_size() -> None:
    clean, _ = make_moons(400, shuffle=False)
    noisy, _ = make_moons(400, noise=0.1, rng=random.Random(3), shuffle=False)
    offsets = [a - b for p, q in zip(noisy, clean, strict=True) for a, b in zip(p, q, strict=True)]
    spread = math.sqrt(sum(d * d for d in offsets) / len(offsets))
    assert 0.08 < spread < 0.12


def test_shuffle_and_reproducibility() -> None:
    a = make_moons(30, noise=0.2, rng=random.Random(5))
    assert a == make_moons(30, noise=0.2, rng=random.Random(5))
    assert a != make_moons(30, noise=0.2, rng=random.Random(6))
    _, ordered = make_moons(6, shuffle=False)
    assert ordered == [0, 0, 0, 1, 1, 1]
    _, shuffled = make_moons(40, rng=random.Random(1))
    assert shuffled != sorted(shuffled)
    random.seed(2)
    b = make_moons(10, noise=0.1)
    random.seed(2)
    assert b == make_moons(10, noise=0.1)  # the random module by default


def test_bad_arguments() -> None:
    with pytest.raises(SettingError, match="n must be at least 1, got 0"):
        make_moons(0)
    with pytest.raises(SettingError, match=r"noise must be a finite number >= 0, got -0\.5"):
        make_moons(10, noise=-0.5)
    with pytest.raises(rg.ArgumentError, match="n must be an int, not float"):
        make_moons(10.0)  # type: ignore[arg-type]
