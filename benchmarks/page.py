"""The benchmarks page of the documentation: the report of a run, written between markers.

`docs/benchmarks.md` explains the suite in words it keeps, and shows the latest report
between two markers. `python -m benchmarks --page docs/benchmarks.md` replaces what is
between them with the report of the run it makes, and `--render RESULTS.json` with the
report of a run saved before; nothing else in the page changes. The suite's tests check
that the page shows exactly the report of the saved results next to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

__all__ = ["BEGIN", "END", "PageError", "report_in", "with_report"]

BEGIN: Final = (
    "<!-- benchmarks-report: written by `python -m benchmarks --page`; edit the report's "
    "code, not this text -->"
)
END: Final = "<!-- benchmarks-report-end -->"


class PageError(ValueError):
    """The page does not have the two markers, once each and in order."""


def _split(page: str, path: Path | str) -> tuple[str, str, str]:
    if page.count(BEGIN) != 1 or page.count(END) != 1 or page.index(BEGIN) > page.index(END):
        raise PageError(
            f"{path} needs the lines {BEGIN!r} and {END!r}, once each and in that order, "
            "around the place for the report"
        )
    head, rest = page.split(BEGIN)
    body, tail = rest.split(END)
    return head, body, tail


def with_report(page: str, report: str, path: Path | str = "the page") -> str:
    """`page` with `report` between its markers, and the rest as it was."""
    head, _, tail = _split(page, path)
    return f"{head}{BEGIN}\n\n{report.strip()}\n\n{END}{tail}"


def report_in(page: str, path: Path | str = "the page") -> str:
    """The report between the markers of `page`, as `with_report` put it there."""
    return _split(page, path)[1].strip() + "\n"
