"""The examples run as a user runs them, and say what they should."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quickstart_runs_and_fits() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "dz/dx = 2.583853" in out
    assert "grad f(1, 2), reverse: (0.909297, 3.583853)" in out
    assert "grad f(1, 2), forward: (0.909297, 3.583853)" in out
    assert "d3/dx3 x^5 at 2 = 240.0" in out
    final = re.search(r"final loss (\S+)", out)
    assert final is not None
    assert float(final.group(1)) < 0.01  # noise variance 0.05**2 = 0.0025
