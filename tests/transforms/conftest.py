"""Reference libraries for the transforms' cross-checks, each skipped when not installed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def jax() -> Iterator[Any]:
    """JAX in float64, as rulegrad computes."""
    module = pytest.importorskip(
        "jax", reason="JAX is not installed, so rulegrad is not cross-checked against it"
    )
    previous = module.config.jax_enable_x64
    module.config.update("jax_enable_x64", True)
    yield module
    module.config.update("jax_enable_x64", previous)


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip(
        "torch", reason="PyTorch is not installed, so rulegrad is not cross-checked against it"
    )


def as_floats(jax: Any, tree: object) -> Any:
    """A JAX result with Python floats for its 0-d arrays, to compare with rulegrad's."""
    return jax.tree_util.tree_map(float, tree)
