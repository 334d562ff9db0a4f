"""`examples/micrograd_demo.py` runs as a user runs it and learns."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent.parent / "examples" / "micrograd_demo.py"


def run(*args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_micrograd_demo_example_learns() -> None:
    lines = run("--steps", "20")
    assert lines[0] == "MLP 2-16-16-1 (ReLU, ReLU, linear), 337 parameters"
    assert re.fullmatch(r"before training: loss \d\.\d{4}, accuracy \d+%", lines[1])
    assert all(len(line) < 80 for line in lines)  # no one-line repr of the whole model
    losses = [float(m.group(1)) for m in map(re.compile(r"step \d+ loss (\S+),").match, lines) if m]
    assert len(losses) == 3 and losses[-1] < losses[0] / 4
    final = re.fullmatch(r"final accuracy (\S+)% \(.* ms per step\)", lines[-1])
    assert final is not None and float(final.group(1)) >= 90.0


def test_micrograd_demo_example_minibatches() -> None:
    lines = run("--steps", "2", "--batch-size", "10", "--seed", "3")
    assert [line.split()[:2] for line in lines if line.startswith("step")] == [
        ["step", "0"],
        ["step", "1"],
    ]
