"""The documentation site builds with `mkdocs build --strict`, and its examples run.

The build fails on a broken link, a page left out of `nav` or an API entry that does not
resolve, and so does this test. The notebooks are converted here but not run
(`RULEGRAD_DOCS_EXECUTE=false`): `test_notebooks.py` runs them. Every code example on a
page (`docs/*.md` and `docs/guides/*.md`) is a doctest, collected by pytest through
`--doctest-glob` as the README is. What the pages state about the package (its public
names, its layout, its errors, the benchmark report) is checked against the package here.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Final
from xml.etree import ElementTree

import pytest

ROOT: Final = Path(__file__).resolve().parents[2]
DOCS: Final = ROOT / "docs"
CONFIG: Final = ROOT / "mkdocs.yml"
PAGES: Final = (
    "index", "getting-started", "concepts", "guides/transforms", "guides/ops-and-plugins",
    "guides/custom-rules", "guides/compile", "guides/taylor", "guides/vmap", "guides/nn",
    "guides/pictures", "guides/cli", "guides/errors", "coming-from", "benchmarks", "api",
)  # fmt: skip
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


def _pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def test_every_page_is_built(site: Path) -> None:
    assert (site / "index.html").is_file()
    for page in (*PAGES[1:], *(f"notebooks/{name}" for name in NOTEBOOKS)):
        assert (site / page / "index.html").is_file(), page
    assert (site / "images" / "layout.svg").is_file()
    # Tooling in docs/ (the griffe extension, the notebooks' ruff settings) is no page.
    assert not (site / "_ext").exists() and not list(site.rglob("ruff.toml"))


def test_every_source_file_is_in_the_nav() -> None:
    nav = CONFIG.read_text(encoding="utf-8").split("\nnav:\n", 1)[1].split("\n\n", 1)[0]
    sources = [*_pages(), *DOCS.glob("notebooks/*.ipynb")]
    names = [path.relative_to(DOCS).with_suffix("").as_posix() for path in sources]
    assert sorted(names) == sorted((*PAGES, *(f"notebooks/{name}" for name in NOTEBOOKS)))
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
    for page in _pages():
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
    # Pages in subfolders too: every page with a python block is run.
    assert {f"docs/{page}.md" for page in PAGES if page != "benchmarks"} <= collected, done.stdout


def _public_names() -> list[str]:
    """Every name a user imports: `rulegrad.__all__`, `rulegrad.nn` and the pictures."""
    import rulegrad
    import rulegrad.nn
    import rulegrad.pictures

    ops = {op.name for op in rulegrad.registry if op.source == "built-in"} | {"stop_gradient"}
    names = [f"rulegrad.{name}" for name in rulegrad.__all__ if name not in ops]
    names += [f"rulegrad.nn.{name}" for name in rulegrad.nn.__all__]
    pictures = ("to_text", "to_html", "GraphvizError", "GraphvizNotFoundError",
                "PictureOptionError")  # fmt: skip
    return names + [f"rulegrad.pictures.{name}" for name in pictures]


def test_the_api_reference_covers_every_public_name() -> None:
    """Each public name has an entry (or, for the few that are no object, a sentence)."""
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    entries = set(re.findall(r"^::: ([\w.]+)$", api, re.M))
    in_words = {"rulegrad.__version__", "rulegrad.nn"}  # a string, and the module's own entry
    missing = [n for n in _public_names() if n not in entries and n not in in_words]
    assert not missing, f"add to docs/api.md: {missing}"
    assert "`rulegrad.__version__`" in api and "`rulegrad.stop_gradient(x)`" in api
    import rulegrad

    # Every built-in op is named in the catalogue's listing (a doctest keeps it true); ops
    # that other pages' doctests defined in this process are not built-in.
    for op in rulegrad.registry:
        if op.source == "built-in":
            assert f" {op.name}" in api or f"{op.name} " in api, op.name


def test_the_layout_picture_names_every_package_and_wiring_slot() -> None:
    """The concepts page's picture stays true to the package as it grows."""
    svg = ElementTree.parse(DOCS / "images" / "layout.svg").getroot()
    text = " ".join("".join(element.itertext()) for element in svg.iter())
    package = ROOT / "rulegrad"
    parts = [p.name + "/" for p in package.iterdir() if (p / "__init__.py").is_file()]
    parts += [p.name for p in package.glob("*.py") if p.stem not in ("__main__", "__init__")]
    parts += [p.name for p in (package / "kernel").glob("*.py") if p.stem != "__init__"]
    parts += [p.name for p in (package / "modes").glob("*.py") if not p.stem.startswith("_")]
    missing = [part for part in parts if part not in text]
    assert not missing, f"docs/images/layout.svg does not show {missing}"
    wiring = (package / "_wiring.py").read_text(encoding="utf-8")
    for slot in ("SPECIALIZER", "OPERATORS", "DISPLAY"):
        assert slot in wiring and slot in text, slot


def test_the_error_table_matches_the_classes() -> None:
    """Each row of the errors guide: the class exists, with the base the table gives."""
    import builtins

    import rulegrad

    page = (DOCS / "guides" / "errors.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([\w.]+)` \| `(\w+)` \|", page, re.M)
    assert len(rows) >= 20
    documented = set()
    for name, base in rows:
        module, _, attribute = name.rpartition(".")
        where = importlib.import_module(module) if module else rulegrad
        cls = getattr(where, attribute)
        parent = getattr(builtins, base, None) or getattr(rulegrad, base)
        assert issubclass(cls, parent), (name, base)
        documented.add(attribute)
    errors = [n for n in rulegrad.__all__ if n.endswith(("Error", "Warning"))]
    assert set(errors) <= documented, set(errors) - documented


def test_the_benchmarks_page_is_the_report_of_the_saved_run() -> None:
    """The tables on the page are `python -m benchmarks`'s, never pasted or edited by hand."""
    from benchmarks.page import report_in
    from benchmarks.tables import markdown_from_json

    document = json.loads((DOCS / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    page = (DOCS / "benchmarks.md").read_text(encoding="utf-8")
    assert report_in(page) == markdown_from_json(document), (
        "docs/benchmarks.md is not the report of docs/benchmarks/results.json: run "
        "python -m benchmarks --render docs/benchmarks/results.json --page docs/benchmarks.md"
    )
    assert not document["settings"]["smoke"] and document["ok"], "a full run, all correct"
    assert {w["name"] for w in document["workloads"]} == set(_workload_names())


def test_the_readme_shows_the_summary_of_the_saved_run() -> None:
    """The README's targets are the saved run's, as `python -m benchmarks --page` wrote them."""
    from benchmarks.page import summary_in
    from benchmarks.tables import summary_from_json

    document = json.loads((DOCS / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert summary_in(readme) == summary_from_json(document), (
        "README.md does not show the summary of docs/benchmarks/results.json: run "
        "python -m benchmarks --render docs/benchmarks/results.json --page README.md"
    )


def _workload_names() -> list[str]:
    from benchmarks.workloads import WORKLOADS

    return list(WORKLOADS)
