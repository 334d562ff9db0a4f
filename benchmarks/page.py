"""Pages that show a run: its whole report, or the summary of its targets, between markers.

`docs/benchmarks.md` explains the suite in words it keeps, and shows the latest report
between two markers; the README shows the targets' summary between two others.
`python -m benchmarks --page docs/benchmarks.md --page README.md` replaces what is between
each pair a page has with that part of the run it makes, and `--render RESULTS.json` with
that of a run saved before; nothing else in a page changes. The suite's tests check that
both pages show exactly what the saved results next to them give.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

__all__ = [
    "BEGIN",
    "END",
    "SUMMARY_BEGIN",
    "SUMMARY_END",
    "PageError",
    "report_in",
    "summary_in",
    "with_parts",
    "with_report",
]

BEGIN: Final = (
    "<!-- benchmarks-report: written by `python -m benchmarks --page`; edit the report's "
    "code, not this text -->"
)
END: Final = "<!-- benchmarks-report-end -->"
SUMMARY_BEGIN: Final = "<!-- benchmarks-summary: written by `python -m benchmarks --page` -->"
SUMMARY_END: Final = "<!-- benchmarks-summary-end -->"


class PageError(ValueError):
    """The page does not have the two markers, once each and in order."""


def _split(
    page: str, path: Path | str, begin: str = BEGIN, end: str = END, what: str = "the report"
) -> tuple[str, str, str]:
    if page.count(begin) != 1 or page.count(end) != 1 or page.index(begin) > page.index(end):
        raise PageError(
            f"{path} needs the lines {begin!r} and {end!r}, once each and in that order, "
            f"around the place for {what}"
        )
    head, rest = page.split(begin)
    body, tail = rest.split(end)
    return head, body, tail


def _with(page: str, text: str, path: Path | str, begin: str, end: str, what: str) -> str:
    head, _, tail = _split(page, path, begin, end, what)
    return f"{head}{begin}\n\n{text.strip()}\n\n{end}{tail}"


def with_report(page: str, report: str, path: Path | str = "the page") -> str:
    """`page` with `report` between its markers, and the rest as it was."""
    return _with(page, report, path, BEGIN, END, "the report")


def with_parts(page: str, report: str, summary: str, path: Path | str = "the page") -> str:
    """`page` with the report and the summary between the markers it has for each.

    A page needs at least one of the two pairs; a pair it has must be whole and in order.
    """
    has_report = BEGIN in page or END in page
    has_summary = SUMMARY_BEGIN in page or SUMMARY_END in page
    if not (has_report or has_summary):
        raise PageError(
            f"{path} needs the lines {BEGIN!r} and {END!r} around the place for the report, "
            f"or {SUMMARY_BEGIN!r} and {SUMMARY_END!r} around the place for the summary "
            "of the targets, once each and in that order"
        )
    if has_report:
        page = with_report(page, report, path)
    if has_summary:
        page = _with(page, summary, path, SUMMARY_BEGIN, SUMMARY_END, "the summary")
    return page


def report_in(page: str, path: Path | str = "the page") -> str:
    """The report between the markers of `page`, as `with_report` put it there."""
    return _split(page, path)[1].strip() + "\n"


def summary_in(page: str, path: Path | str = "the page") -> str:
    """The summary between the summary markers of `page`, as `with_parts` put it there."""
    return _split(page, path, SUMMARY_BEGIN, SUMMARY_END, "the summary")[1].strip() + "\n"
