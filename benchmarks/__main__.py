"""`python -m benchmarks`: run the suite, print the markdown report, write the JSON.

`--page docs/benchmarks.md --page README.md` also writes the report into the
documentation's benchmarks page and the summary of the targets into the README, and
`--render RESULTS.json` makes both from a run saved with `--json` without running anything
(after a change to the report's format, say).

Exits 1 when any case's numbers disagree with the reference or a rulegrad case fails,
2 for bad options, 0 otherwise. Peers that are not installed are reported as skipped.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.core import Row, Workload
from benchmarks.harness import Settings
from benchmarks.page import PageError, with_parts
from benchmarks.report import machine, to_json
from benchmarks.runner import problems, run_workload
from benchmarks.tables import markdown, markdown_from_json, summary, summary_from_json
from benchmarks.targets import evaluate
from benchmarks.workloads import WORKLOADS

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="rulegrad against micrograd, HIPS autograd, PyTorch and JAX on scalar "
        "workloads: markdown table on stdout, progress on stderr, JSON with --json.",
    )
    parser.add_argument(
        "--smoke",
        "--quick",
        action="store_true",
        help="tiny sizes, one call per case: checks correctness in seconds",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        metavar="N",
        help="timed calls per case, after one warm-up (default 5)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="stop repeating a case once its timed calls add up to this (default 30)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        metavar="SECONDS",
        help="limit for a case run in its own process (default 180)",
    )
    parser.add_argument(
        "--memory-limit",
        type=float,
        default=6.0,
        metavar="GIB",
        help="resident memory a case run in its own process may use (default 6)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(WORKLOADS),
        metavar="WORKLOAD",
        help=f"run only this workload (repeatable): {', '.join(WORKLOADS)}",
    )
    parser.add_argument(
        "--peer",
        action="append",
        default=[],
        metavar="CASE",
        help="run only this case id, e.g. rulegrad, torch (repeatable)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the results here")
    parser.add_argument(
        "--page",
        type=Path,
        metavar="PATH",
        action="append",
        default=[],
        help="also write the report, and the summary of the targets, into this page between "
        "the markers it has for them (repeatable: docs/benchmarks.md has the report's, "
        "README.md the summary's)",
    )
    parser.add_argument(
        "--render",
        type=Path,
        metavar="RESULTS",
        help="run nothing: print (and with --page, write) the report of results saved with --json",
    )
    return parser


def _write_pages(paths: Sequence[Path], report: str, summary: str, *, dry_run: bool = False) -> int:
    """Put `report` and `summary` into each page, between the markers it has for them; 2 (and
    why, on stderr) if one cannot take them.

    With `dry_run`, only check that they could: before a run, not after it.
    """
    for path in paths:
        try:
            page = with_parts(path.read_text(encoding="utf-8"), report, summary, path)
            if not dry_run:
                path.write_text(page, encoding="utf-8")
        except (OSError, PageError) as error:
            print(f"python -m benchmarks: cannot write the report into {path}: {error}",
                  file=sys.stderr)  # fmt: skip
            return 2
    return 0


def _render(args: argparse.Namespace) -> int:
    """The report of a saved run, printed and, with --page, written into the page."""
    try:
        document = json.loads(args.render.read_text(encoding="utf-8"))
        report, summary = markdown_from_json(document), summary_from_json(document)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"python -m benchmarks: cannot read results from {args.render}: {error!r}",
              file=sys.stderr)  # fmt: skip
        return 2
    sys.stdout.write(report)
    return _write_pages(args.page, report, summary)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite as the command line says; the exit status says whether it was correct."""
    args = _parser().parse_args(argv)
    if args.render is not None:
        return _render(args)
    if args.repeat < 1 or args.budget <= 0 or args.timeout <= 0 or args.memory_limit <= 0:
        print(
            "python -m benchmarks: --repeat, --budget, --timeout and --memory-limit must be "
            "positive",
            file=sys.stderr,
        )
        return 2
    settings = Settings(
        smoke=args.smoke,
        repeat=args.repeat,
        budget_s=args.budget,
        timeout_s=args.timeout,
        memory_limit=int(args.memory_limit * 2**30),
    )
    workloads = [WORKLOADS[name] for name in args.only or WORKLOADS]
    known = {case.id for w in workloads for case in w.cases(w.smoke_sizes[0])}
    unknown = sorted(set(args.peer) - known)
    if unknown:
        print(
            f"python -m benchmarks: no case {', '.join(unknown)} in the workloads chosen; "
            f"the cases are {', '.join(sorted(known))}",
            file=sys.stderr,
        )
        return 2
    if _write_pages(args.page, "", "", dry_run=True):
        return 2
    info = machine()
    results: list[tuple[Workload, list[Row]]] = []
    for workload in workloads:
        results.append((workload, run_workload(workload, settings, sys.stderr, args.peer)))
    found = problems([row for _, rows in results for row in rows])
    targets = [] if settings.smoke else evaluate(results)
    options = dataclasses.asdict(settings)
    report = markdown(info, options, results, targets, found)
    sys.stdout.write(report)
    if args.json is not None:
        document = to_json(info, options, results, targets, found)
        args.json.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n")
    if _write_pages(args.page, report, summary(info, targets)):
        return 2
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
