"""rulegrad's types reach user code outside the checkout, however it was installed.

A user's project lives in its own directory. `mypy --strict` there must find `rulegrad`
and its `py.typed` both under the README's development install (`pip install -e`) and
under a normal install of the built wheel. An import hook that only Python follows would
make mypy report `import-not-found` and every rulegrad type `Any`, which hides misuse:
the user file below holds one misuse, and mypy must report exactly that.

Everything stays offline: the wheel is built without build isolation or an index (the
`dev` extra installs hatchling), and installed without dependencies into a fresh venv.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from importlib.metadata import Distribution, distributions
from pathlib import Path
from typing import Final

import pytest
import typing_extensions

import rulegrad

ROOT: Final = Path(__file__).resolve().parents[2]

USER_CODE: Final = textwrap.dedent(
    """\
    import rulegrad as rg


    def f(x: float, y: float) -> float:
        return x * rg.sin(y) + y**2


    slope: float = rg.grad(f)(1.0, 2.0)
    node: rg.Value = rg.tanh(rg.Value(0.5) * 2.0)
    reveal_type(rg.value_and_grad(f)(1.0, 2.0))
    wrong: str = rg.sin(1.0)
    print(slope, node.data)
    """
)
# What mypy says about USER_CODE when it sees rulegrad's types (and not `Any`); mypy
# versions differ in whether they spell out `builtins.`.
EXPECTED: Final = [
    re.compile(
        r"app\.py:10: note: Revealed type is "
        r'"tuple\[(builtins\.)?float, (builtins\.)?float\]"'
    ),
    re.compile(
        r"app\.py:11: error: Incompatible types in assignment "
        r'\(expression has type "(builtins\.)?float", variable has type "(builtins\.)?str"\)'
        r"  \[assignment\]"
    ),
]


def _environment() -> dict[str, str]:
    """This process's environment, minus anything that would point tools at the checkout."""
    drop = ("PYTHONPATH", "MYPYPATH", "PYTHONSAFEPATH")
    return {key: value for key, value in os.environ.items() if key not in drop}


def _editable(dist: Distribution) -> bool:
    """Whether pip installed `dist` in editable mode (PEP 610's direct_url.json says so)."""
    direct_url = dist.read_text("direct_url.json")
    return direct_url is not None and bool(
        json.loads(direct_url).get("dir_info", {}).get("editable")
    )


def mypy_outside(tmp_path: Path, python: Path) -> None:
    """`mypy --strict app.py` in a directory of its own, resolving imports with `python`."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(USER_CODE, encoding="utf-8")
    command = [
        sys.executable, "-m", "mypy", "--strict", "--python-executable", str(python),
        "--cache-dir", str(tmp_path / "mypy-cache"), "--no-pretty", "--no-color-output",
        "--no-error-summary", "app.py",
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=project, env=_environment(), capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    transcript = (
        f"$ mypy --strict app.py (exit status {done.returncode})\n{done.stdout}{done.stderr}"
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 1 and len(lines) == len(EXPECTED), transcript
    for line, expected in zip(lines, EXPECTED, strict=True):
        assert expected.fullmatch(line), transcript


def test_mypy_outside_the_checkout_sees_the_editable_install(tmp_path: Path) -> None:
    if not any(_editable(dist) for dist in distributions(name="rulegrad")):
        pytest.skip("rulegrad is not installed editable here (the README: pip install -e .)")
    # The import resolves to this checkout, not to a copy.
    assert Path(rulegrad.__file__).resolve().parent == ROOT / "rulegrad"
    mypy_outside(tmp_path, Path(sys.executable))


def test_mypy_outside_the_checkout_sees_the_built_wheel(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    build = [*pip, "wheel", "--quiet", "--no-deps", "--no-index", "--no-build-isolation"]
    done = subprocess.run(
        [*build, "--wheel-dir", str(wheels), str(ROOT)],
        env=_environment(), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (wheel,) = wheels.glob("rulegrad-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "rulegrad/py.typed" in names
    assert not [name for name in names if name.split("/")[0] in ("tests", "benchmarks")]

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [*pip, "--python", str(python), "install", "--quiet", "--no-deps", "--no-index"]
    done = subprocess.run(
        [*install, str(wheel)], env=_environment(), capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    mypy_outside(tmp_path, python)

    # The wheel runs too: its console script, with the one runtime dependency beside it.
    deps = tmp_path / "deps"
    deps.mkdir()
    shutil.copy(typing_extensions.__file__, deps)
    done = subprocess.run(
        [str(venv / "bin" / "rulegrad"), "--version"], cwd=tmp_path,
        env={**_environment(), "PYTHONPATH": str(deps)}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, f"rulegrad {rulegrad.__version__}\n"), done.stderr
    where = subprocess.run(
        [str(python), "-c", "import rulegrad; print(rulegrad.__file__)"], cwd=tmp_path,
        env={**_environment(), "PYTHONPATH": str(deps)}, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(venv)
