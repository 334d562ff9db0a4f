"""The documentation site builds with `mkdocs build --strict`, and its examples run.

The build fails on a broken link, a page left out of `nav` or an API entry that does not
resolve, and so does this test. The notebooks are converted here but not run
(`RULEGRAD_DOCS_EXECUTE=false`): `test_notebooks.py` runs them. Every code example in
`docs/*.md` is a doctest, collected by pytest through `--doctest-glob` as the README is.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parents[2]
DOCS: Final = ROOT / "docs"
CONFIG: Final = ROOT / "mkdocs.yml"
PAGES: Final = ("index", "getting-started", "api")
NOTEBOOKS: Final = ("backprop", "moons", "own-ops")
_FENCE: Final = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built with --strict into a temporary directory."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "RULEGRAD_DOCS_EXECUTE": "false", "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    command += ["--config-file", str(CONFIG), "--site-dir", str(out)]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    assert not [line for line in log.splitlines() if line.startswith("WARNING")], log
    return out


def test_every_page_is_built(site: Path) -> None:
    assert (site / "index.html").is_file()
    for page in (*PAGES[1:], *(f"notebooks/{name}" for name in NOTEBOOKS)):
        assert (site / page / "index.html").is_file(), page
    # Tooling in docs/ (the griffe extension, the notebooks' ruff settings) is no page.
    assert not (site / "_ext").exists() and not list(site.rglob("ruff.toml"))


def test_every_source_file_is_in_the_nav() -> None:
    nav = CONFIG.read_text(encoding="utf-8").split("\nnav:\n", 1)[1].split("\n\n", 1)[0]
    sources = [*DOCS.glob("*.md"), *DOCS.glob("notebooks/*.ipynb")]
    assert sorted(path.stem for path in sources) == sorted((*PAGES, *NOTEBOOKS))
    for path in sources:
        assert f": {path.relative_to(DOCS).as_posix()}\n" in nav + "\n", path


def test_the_api_reference_comes_from_docstrings_and_type_hints(site: Path) -> None:
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    names = ["rulegrad.grad", "rulegrad.Value", "rulegrad.define_op", "rulegrad.nn.MLP",
             "rulegrad.pictures.to_text", "rulegrad.DomainError", "rulegrad.cli.main"]  # fmt: skip
    for name in names:
        assert f'id="{name}"' in api, name
    # A docstring's text, a signature's annotation, and its doctest shown as code.
    assert "The gradient of scalar <code>f</code> with respect to the argument(s)" in api
    assert '<span title="collections.abc.Callable">Callable</span>' in api
    assert '<span class="gp">&gt;&gt;&gt; </span>' in api
    assert "<blockquote>" not in api  # a bare `>>>` read as nested quotes


def test_code_blocks_are_doctests() -> None:
    """Each Python block on a page is a doctest session, so pytest runs all of them."""
    for page in DOCS.glob("*.md"):
        for language, body in _FENCE.findall(page.read_text(encoding="utf-8")):
            if language == "python":
                first = body.lstrip().splitlines()[0]
                assert first.startswith(">>> "), f"{page.name}: a python block not a doctest"
            else:
                assert language in ("sh", "toml", "text"), f"{page.name}: ```{language}"


def test_pytest_collects_the_pages_as_doctests() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "docs"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    collected = {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}
    assert {f"docs/{page}.md" for page in PAGES} <= collected, done.stdout
