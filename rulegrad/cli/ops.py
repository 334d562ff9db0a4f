"""`rulegrad ops`: the catalogue, one op a line: name, arity, modes with rules, source.

It loads the installed plugins first, unless `RULEGRAD_DISABLE_PLUGIN_AUTOLOAD` is set,
and reports a skipped plugin as one `rulegrad: warning:` line on stderr.

>>> from rulegrad.cli import main
>>> main(["ops"])  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
name   arity  modes  source
...
sin    1      forward, reverse  built-in
...
sum    n      forward, reverse  built-in
...
0
"""

from __future__ import annotations

import argparse
import json

from rulegrad.cli._common import Commands, Output, load_installed_plugins
from rulegrad.kernel import BUILTIN, Op, registry
from rulegrad.plugins._loader import DISABLE_AUTOLOAD

__all__ = ["add_parser", "run"]

_DESCRIPTION = """\
List every op in the catalogue: its name, how many arguments it takes (n: any number),
the modes it has derivative rules for, and where it comes from (built-in, user, or the
plugin distribution and version). Installed plugins are loaded first, unless the
environment variable RULEGRAD_DISABLE_PLUGIN_AUTOLOAD is set."""


def add_parser(commands: Commands) -> None:
    """Add `rulegrad ops [--json]` to the command line."""
    parser = commands.add_parser(
        "ops", help="list the op catalogue, plugins included", description=_DESCRIPTION
    )
    parser.add_argument(
        "--json", action="store_true", help="print a JSON list of objects instead of a table"
    )


def run(args: argparse.Namespace, out: Output) -> int:
    """Print the catalogue; always exit status 0."""
    disabled = not load_installed_plugins()
    ops = sorted(registry, key=lambda op: op.name)
    if args.json:
        print(json.dumps([_record(op) for op in ops], indent=2), file=out)
        return 0
    rows = [("name", "arity", "modes", "source")]
    rows += [(op.name, _arity(op), ", ".join(op.modes) or "none", op.source) for op in ops]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[3]]), file=out)
    builtin = sum(op.source == BUILTIN for op in ops)
    plugin = sum(op.source.startswith("plugin ") for op in ops)
    summary = f"{len(ops)} ops: {builtin} built-in, {plugin} from plugins"
    others = len(ops) - builtin - plugin
    summary += f", {others} registered in this process" if others else ""
    if disabled:
        summary += f" (plugins not loaded: {DISABLE_AUTOLOAD} is set)"
    print(summary, file=out)
    return 0


def _arity(op: Op) -> str:
    return "n" if op.arity is None else str(op.arity)


def _record(op: Op) -> dict[str, object]:
    return {
        "name": op.name,
        "arity": op.arity,
        "modes": list(op.modes),
        "source": op.source,
        "domain": op.domain,
    }
