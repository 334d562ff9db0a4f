"""`rulegrad check [NAME ...]`: `check_op` over ops of the catalogue, printed as a table.

Exit status 0 when every op passes, 1 when any fails, 2 for a name not in the catalogue.
"""

from __future__ import annotations

import argparse

from rulegrad.cli._common import CliError, Commands, Output, load_installed_plugins
from rulegrad.kernel import Op, UnknownOpError, registry
from rulegrad.plugins import RuleCheckError, check_op

__all__ = ["add_parser", "run"]

_DESCRIPTION = """\
Check derivative rules with rulegrad.check_op: at sample points in each op's domain, the
value, forward mode, reverse mode and central finite differences must agree, up to
second derivatives in every pair of modes. With no NAME, checks every op in the
catalogue, plugins included (unless RULEGRAD_DISABLE_PLUGIN_AUTOLOAD is set). Exits 1
if any op fails."""


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "check",
        help="check ops' derivative rules against finite differences",
        description=_DESCRIPTION,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="an op to check (default: all)")


def run(args: argparse.Namespace, out: Output) -> int:
    load_installed_plugins()  # `rulegrad check` with no name must see plugin ops too
    names: list[str] = list(dict.fromkeys(args.names)) or registry.names()
    ops = [_lookup(name) for name in names]  # every name is checked before any op runs
    name_width = max(len("op"), *(len(op.name) for op in ops))
    source_width = max(len("source"), *(len(op.source) for op in ops))

    def row(*cells: str) -> None:
        name, source, points, result, message = cells
        line = f"{name:<{name_width}}  {source:<{source_width}}  {points:>6}  {result:<6}  "
        print((line + message).rstrip(), file=out, flush=True)

    row("op", "source", "points", "result", "message")
    failed = 0
    for op in ops:
        points, result, message = _check(op)
        failed += result != "ok"
        row(op.name, op.source, points, result, message)
    passed = len(ops) - failed
    summary = f"{len(ops)} op{'' if len(ops) == 1 else 's'} checked: {passed} passed"
    print(summary + (f", {failed} failed" if failed else ""), file=out)
    return 1 if failed else 0


def _lookup(name: str) -> Op:
    try:
        return registry.get(name)
    except UnknownOpError as error:  # its message suggests close names, as `grad`'s does
        raise CliError(str(error)) from None


def _check(op: Op) -> tuple[str, str, str]:
    """(points checked, result, message) for the table."""
    try:
        report = check_op(op)
    except RuleCheckError as error:
        return "-", "FAIL", str(error)
    except Exception as error:  # a plugin's broken op is a row of the table, not a crash
        return "-", "ERROR", " ".join(f"{type(error).__name__}: {error}".split())
    skipped = len(report.skipped)
    note = f"{skipped} default point{'' if skipped == 1 else 's'} outside the domain skipped"
    return str(len(report.points)), "ok", note if skipped else ""
