"""Without NumPy installed, rg.vmap loops, with the results the array code gives.

A fresh interpreter in which `import numpy` fails stands for an install without the
`array` extra; it computes a few batched results, which must equal this process's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

import rulegrad as rg

PROGRAM = textwrap.dedent(
    """
    import json, sys
    sys.modules["numpy"] = None  # import numpy now raises ImportError, as if not installed
    import rulegrad as rg
    from rulegrad.batching import _backend
    assert _backend.numpy_module() is None

    def loss(p, x, y):
        return (p["a"] * rg.exp(-p["k"] * x) - y) ** 2 + rg.relu(x - p["k"])

    P, XS, YS = {"a": 2.0, "k": 0.5}, [0.0, 0.5, 1.0, 2.0], [2.0, 1.5, 1.2, 0.7]
    batched = rg.vmap(loss, in_axes=(None, 0, 0))
    result = {
        "values": batched(P, XS, YS),
        "sum": rg.value_and_grad(lambda p: rg.sum(batched(p, XS, YS)))(P),
        "per_example": rg.vmap(rg.grad(loss), in_axes=(None, 0, 0))(P, XS, YS),
    }
    try:
        rg.vmap(rg.log)([1.0, -1.0])
    except rg.DomainError as error:
        result["error"] = str(error)
    print(json.dumps(result))
    """
)


P, XS, YS = {"a": 2.0, "k": 0.5}, [0.0, 0.5, 1.0, 2.0], [2.0, 1.5, 1.2, 0.7]


def loss(p: dict[str, float], x: float, y: float) -> float:
    return (p["a"] * rg.exp(-p["k"] * x) - y) ** 2 + rg.relu(x - p["k"])


def test_without_numpy_vmap_loops_with_the_same_results() -> None:
    run = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    got: dict[str, Any] = json.loads(run.stdout)
    batched = rg.vmap(loss, in_axes=(None, 0, 0))  # NumPy here: array code
    assert got["values"] == pytest.approx(batched(P, XS, YS), rel=1e-14)
    total, gradient = rg.value_and_grad(lambda p: rg.sum(batched(p, XS, YS)))(P)
    assert got["sum"][0] == pytest.approx(total, rel=1e-14)
    assert got["sum"][1] == pytest.approx(gradient, rel=1e-14)
    per_example = rg.vmap(rg.grad(loss), in_axes=(None, 0, 0))(P, XS, YS)
    for key in P:
        assert got["per_example"][key] == pytest.approx(per_example[key], rel=1e-14)
    assert got["error"].startswith("at point 1 of the batch: log(x=-1.0) is undefined")
