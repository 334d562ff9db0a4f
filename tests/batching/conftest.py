"""Every batching test runs twice: as NumPy array code, and as the loop rg.vmap falls back
to without NumPy (switched off with `USE_ARRAYS`, the same path as NumPy missing)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rulegrad.batching import USE_ARRAYS
from rulegrad.batching._run import CHUNK


@pytest.fixture(params=["arrays", "loop"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """'arrays' or 'loop': which way rg.vmap runs for this test."""
    USE_ARRAYS.enabled = request.param == "arrays"
    try:
        yield str(request.param)
    finally:
        USE_ARRAYS.enabled = True


@pytest.fixture
def small_chunks() -> Iterator[None]:
    """Chunks of 3 points, so that small batches cross chunk boundaries."""
    saved = CHUNK[0]
    CHUNK[0] = 3
    try:
        yield
    finally:
        CHUNK[0] = saved
