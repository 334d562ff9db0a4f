"""The README fits on a page, keeps the two set-up commands, and its links lead somewhere.

Its examples are doctests (`--doctest-glob=README.md`); the long material lives on the
documentation site, which the README links into by the pages' paths in `docs/`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
README: Final = ROOT / "README.md"
SET_UP: Final = (
    "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/rulegrad demo",
    "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/python -m pytest",
)
_LINK: Final = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def test_the_readme_is_at_most_about_12_kb() -> None:
    assert len(README.read_bytes()) <= 12 * 1024


def test_the_readme_keeps_the_two_set_up_commands() -> None:
    block = README.read_text(encoding="utf-8").split("```sh\n", 1)[1].split("```", 1)[0]
    assert block.splitlines() == list(SET_UP)


def test_every_link_in_the_readme_leads_to_a_file() -> None:
    links = [target for target, _ in _LINK.findall(README.read_text(encoding="utf-8"))]
    local = [target for target in links if "://" not in target]
    assert len(local) >= 15  # the site's pages, guides and notebooks
    missing = [target for target in local if not (ROOT / target).is_file()]
    assert not missing, missing
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert pages <= set(local), f"link every page of the site: {sorted(pages - set(local))}"
