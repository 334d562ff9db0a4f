"""The typing contract, checked by running `mypy --strict` with the project's configuration.

- `positive.py` (realistic user code) must type-check and must also run;
- `negative.py` (misuse, one per line) must produce exactly the errors its `# E: <code>`
  comments announce, no more and no fewer;
- the `rulegrad` package, the tests and the examples must type-check, and pass ruff.

Each target gets one mypy run, in a subprocess (`python -m mypy`), sharing one cache
directory for the session so the package is analysed from scratch only once.
"""

from __future__ import annotations

import io
import re
import runpy
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

HERE: Final = Path(__file__).resolve().parent
ROOT: Final = HERE.parent.parent
POSITIVE: Final = HERE / "positive.py"
NEGATIVE: Final = HERE / "negative.py"
PACKAGE: Final = ROOT / "rulegrad"
CONFIG: Final = ROOT / "pyproject.toml"

# `path:line: error: message  [code]`; errors without a code (syntax errors) keep code None.
_ERROR: Final = re.compile(
    r"^(?P<path>[^\n]+?):(?P<line>\d+): error: (?P<message>.*?)(?:  \[(?P<code>[\w-]+)\])?$"
)
_EXPECTATION: Final = re.compile(r"^#\s*E:\s*(?P<codes>.*?)\s*$")
_CODE: Final = re.compile(r"^[a-z][a-z0-9-]*$")

# The misuse the contract names explicitly: each must stay in negative.py, on a line
# annotated with this code.
REQUIRED_MISUSE: Final = {
    'rg.sin("a")': "call-overload",
    "rg.sin()": "call-overload",
    "rg.atan2(1.0)": "call-overload",
    "s: str = rg.grad(f)(1.0, 2.0)": "assignment",
    "float = rg.grad(f, argnums=(0, 1))(1.0, 2.0)": "assignment",
    "float(rg.Value(1.0))": "arg-type",
    "math.sin(rg.Value(1.0))": "arg-type",
    'rg.Value("x")': "arg-type",
    "v: rg.Value = rg.sin(1.0)": "assignment",
    'rg.grad(f, mode="sideways")': "call-overload",
    'rg.Value(1.0) + "a"': "operator",
    "d: rg.Dual = rg.Value(1.0) * 2.0": "assignment",
    "rg.Value(1.0, label=3)": "arg-type",
    "rg.grad(3.0)": "call-overload",
    'rg.jvp(f, [1.0], ["a"])': "list-item",
    'rg.sum(["a"])': "list-item",
}


@dataclass(frozen=True)
class Reported:
    """One error mypy reported."""

    path: Path
    line: int
    code: str
    message: str

    def show(self) -> str:
        return f"{_relative(self.path)}:{self.line} [{self.code}] {self.message}"


@dataclass(frozen=True)
class MypyRun:
    targets: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    errors: tuple[Reported, ...]

    def transcript(self) -> str:
        return (
            f"$ mypy --strict {' '.join(self.targets)}  (exit status {self.returncode})\n"
            f"{self.stdout}{self.stderr}"
        )


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _parse_errors(stdout: str) -> tuple[Reported, ...]:
    errors = []
    for line in stdout.splitlines():
        match = _ERROR.match(line)
        if match is not None:
            errors.append(
                Reported(
                    path=(ROOT / match["path"]).resolve(),
                    line=int(match["line"]),
                    code=match["code"] or "<no code>",
                    message=match["message"],
                )
            )
    return tuple(errors)


def run_mypy(cache_dir: Path, *targets: Path) -> MypyRun:
    """`mypy --strict` on `targets` from the project root, with the project's config."""
    relative = tuple(_relative(target) for target in targets)
    command = [
        sys.executable, "-m", "mypy",
        "--config-file", str(CONFIG),
        "--strict",
        "--cache-dir", str(cache_dir),
        "--show-error-codes", "--no-pretty", "--no-color-output", "--show-traceback",
        *relative,
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    run = MypyRun(relative, result.returncode, result.stdout, result.stderr, ())
    # 0: clean, 1: type errors; anything else is a crash or a usage error.
    assert result.returncode in (0, 1), f"mypy did not run properly:\n{run.transcript()}"
    return MypyRun(
        relative, result.returncode, result.stdout, result.stderr, _parse_errors(result.stdout)
    )


def expected_errors(path: Path) -> dict[int, set[str]]:
    """line -> the codes announced by its `# E: code[, code]` comment."""
    expected: dict[int, set[str]] = {}
    with path.open("rb") as source:
        for token in tokenize.tokenize(source.readline):
            if token.type != tokenize.COMMENT:
                continue
            match = _EXPECTATION.match(token.string)
            if match is None:
                continue
            line = token.start[0]
            codes = {code.strip() for code in match["codes"].split(",")}
            bad = sorted(code for code in codes if not _CODE.match(code))
            assert not bad, f"{_relative(path)}:{line}: malformed `# E:` annotation {bad}"
            expected[line] = codes
    return expected


def _comments(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return [(t.start[0], t.string) for t in tokens if t.type == tokenize.COMMENT]


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy_cache")


def test_positive_passes_strict(mypy_cache: Path) -> None:
    run = run_mypy(mypy_cache, POSITIVE)
    assert run.returncode == 0 and not run.errors, (
        "positive.py must pass mypy --strict:\n" + run.transcript()
    )


def test_negative_errors_match_annotations(mypy_cache: Path) -> None:
    expected = {(line, code) for line, codes in expected_errors(NEGATIVE).items()
                for code in codes}  # fmt: skip
    assert len(expected) >= len(REQUIRED_MISUSE)
    run = run_mypy(mypy_cache, NEGATIVE)
    reported: dict[tuple[int, str], list[Reported]] = {}
    elsewhere: list[Reported] = []
    for error in run.errors:
        if error.path == NEGATIVE:
            reported.setdefault((error.line, error.code), []).append(error)
        else:
            elsewhere.append(error)

    source = NEGATIVE.read_text(encoding="utf-8").splitlines()
    name = _relative(NEGATIVE)
    missing = sorted(expected - reported.keys())
    unexpected = sorted(reported.keys() - expected)
    report: list[str] = []
    if missing:
        report.append("Annotated `# E:` but mypy reported no such error (misuse it accepts):")
        report += [f"  {name}:{line} [{code}]  {source[line - 1].strip()}"
                   for line, code in missing]  # fmt: skip
    if unexpected:
        report.append("Reported by mypy but not annotated:")
        for key in unexpected:
            line, _ = key
            report.append(f"  {name}:{line}  {source[line - 1].strip()}")
            report += [f"      mypy: {error.show()}" for error in reported[key]]
    if elsewhere:
        report.append("Reported in other files while checking negative.py:")
        report += [f"  {error.show()}" for error in elsewhere]
    assert not report, "\n".join(
        ["mypy --strict disagrees with the annotations of negative.py.", *report,
         "", "Full mypy output:", run.transcript()]
    )  # fmt: skip
    assert run.returncode == 1


def test_negative_covers_the_contract() -> None:
    """The misuse the contract names is there, each on a line annotated with its code."""
    expected = expected_errors(NEGATIVE)
    lines = NEGATIVE.read_text(encoding="utf-8").splitlines()
    absent = []
    for snippet, code in REQUIRED_MISUSE.items():
        annotated = [
            number
            for number, text in enumerate(lines, start=1)
            if snippet in text.split("#")[0] and code in expected.get(number, set())
        ]
        if not annotated:
            absent.append(f"{snippet!r} annotated `# E: {code}`")
    assert absent == []


def test_typing_files_do_not_silence_mypy() -> None:
    """No `# type: ignore` or inline mypy config can hide an error in the two sample files."""
    silencing = [
        f"{_relative(path)}:{line}: {comment}"
        for path in (POSITIVE, NEGATIVE)
        for line, comment in _comments(path)
        if re.search(r"type:\s*ignore|mypy:|pyright:", comment)
    ]
    assert silencing == []


def test_project_passes_strict(mypy_cache: Path) -> None:
    """The package, its tests and its examples: everything the project ships."""
    run = run_mypy(mypy_cache, PACKAGE, ROOT / "tests", ROOT / "examples")
    assert run.returncode == 0 and not run.errors, (
        "rulegrad, tests and examples must pass mypy --strict:\n" + run.transcript()
    )


def test_project_passes_ruff() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"ruff check failed:\n{result.stdout}{result.stderr}"


def test_positive_runs() -> None:
    """positive.py is honest code: it runs, and its own asserts about the results hold."""
    namespace = runpy.run_path(str(POSITIVE), run_name="__main__")
    assert callable(namespace["main"])
