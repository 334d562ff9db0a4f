"""`rulegrad demo`: it trains, reports progress, reaches micrograd's accuracy, plots, and
answers every bad argument with one line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from rulegrad.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FINAL = re.compile(
    r"^final accuracy (\d+\.\d)% after (\d+) steps in [\d.]+ s \([\d.]+ ms per step\)$"
)
STEP = re.compile(r"^step (\d+)/(\d+)  loss (\d+\.\d{4})  accuracy (\d+\.\d)%$")


def run_demo(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    status = main(["demo", *args])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def final_accuracy(lines: list[str]) -> float:
    match = FINAL.match(lines[-1] if not lines[-1].startswith("decision") else lines[-2])
    assert match is not None, lines
    return float(match.group(1))


def test_progress_and_final_report(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines, err = run_demo(capsys, "--steps", "25", "--points", "20", "--seed", "3")
    assert status == 0 and err == ""
    assert lines[0] == (
        "two moons: 20 points, noise 0.1, seed 3; MLP 2-16-16-1 with 337 parameters; "
        "training through rg.vmap over the points (NumPy)"
    )
    steps = [STEP.match(line) for line in lines[1:-1]]
    assert all(steps), lines
    numbers = [int(m.group(1)) for m in steps if m]
    assert numbers == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]
    assert FINAL.match(lines[-1])


def test_reaches_full_accuracy_on_a_small_problem(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines, _ = run_demo(capsys, "--points", "30", "--steps", "50", "--seed", "0")
    assert status == 0
    assert final_accuracy(lines) == 100.0
    first = STEP.match(lines[1])
    assert first is not None and float(first.group(4)) < 100.0  # it had something to learn


def test_the_default_demo_reaches_full_accuracy_and_plots(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) is not installed")
    image = tmp_path / "moons.png"
    status, lines, err = run_demo(capsys, "--plot", str(image))
    assert status == 0 and err == ""
    assert lines[0].startswith("two moons: 100 points, noise 0.1, seed 0;")
    assert final_accuracy(lines) == 100.0
    assert lines[-1] == f"decision boundary written to {image}"
    data = image.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 5000


def test_plot_formats_by_suffix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) is not installed")
    image = tmp_path / "moons.svg"
    status, _, _ = run_demo(capsys, "--steps", "1", "--points", "6", "--plot", str(image))
    assert status == 0
    assert "<svg" in image.read_text()


def test_missing_matplotlib_names_the_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # importing it now fails
    status, lines, err = run_demo(capsys, "--plot", str(tmp_path / "moons.png"))
    assert status == 2 and lines == []  # failed before training
    assert err == (
        "rulegrad: error: --plot needs matplotlib: pip install matplotlib "
        "(in a rulegrad checkout: pip install -e '.[plot]')\n"
    )
    assert not (tmp_path / "moons.png").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "-3"], "argument --steps: must be at least 1, got -3"),
        (["--steps", "0"], "argument --steps: must be at least 1, got 0"),
        (["--steps", "2.5"], "argument --steps: '2.5' is not a whole number"),
        (["--steps", "many"], "argument --steps: 'many' is not a whole number"),
        (["--seed", "x"], "argument --seed: invalid int value: 'x'"),
        (["--points", "1"], "argument --points: must be at least 2, got 1"),
        (["--noise", "-1"], "argument --noise: must be a finite number >= 0, got -1"),
        (["--noise", "nan"], "argument --noise: must be a finite number >= 0, got nan"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_arguments_give_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status, lines, err = run_demo(capsys, *args)
    assert status == 2 and lines == []
    assert err == f"rulegrad: error: {message}\n"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("moons.xyz", "--plot: cannot write 'xyz' files; use .png, .svg or .pdf"),
        ("moons", "--plot: cannot write 'no' files; use .png, .svg or .pdf"),
        ("missing/moons.png", "--plot: no directory '{dir}/missing' to write 'moons.png' in"),
    ],
)
def test_bad_plot_paths_fail_before_training(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, message: str
) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) is not installed")
    status, lines, err = run_demo(capsys, "--plot", str(tmp_path / name))
    assert status == 2 and lines == []
    assert err == f"rulegrad: error: {message.format(dir=tmp_path)}\n"


def test_python_dash_m(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rulegrad", "demo", "--steps", "3", "--points", "20"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[1] for line in lines[1:4]] == ["0/3", "1/3", "2/3"]
    assert FINAL.match(lines[-1])
    bad = subprocess.run(
        [sys.executable, "-m", "rulegrad", "demo", "--steps", "-1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == "rulegrad: error: argument --steps: must be at least 1, got -1\n"
