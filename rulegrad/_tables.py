"""A `Value` graph as a table: one row per node, inputs before the nodes that use them.

The table is the picture that needs no Graphviz: plain text for a terminal or an example's
output, HTML for Jupyter. Rows are numbered in topological order (the order backward
visits them in reverse), and an input is named by its row number, `#3`; a constant (a
plain number, or a node of another transform) shows its value.

In Jupyter a `Value` shows as this table when Graphviz's `dot` is missing (or the graph is
too big to draw): the wiring makes `inline_html` the kernel's `DISPLAY.html`.
"""

from __future__ import annotations

import html
import shutil
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, final

from rulegrad.kernel import Scalar, Value, to_float, toposort

__all__ = [
    "HEADERS",
    "INLINE_LIMIT",
    "TABLE_LIMIT",
    "Row",
    "html_table",
    "inline_html",
    "num",
    "rows",
    "text_table",
]

HEADERS: Final = ("#", "label", "op", "inputs", "data", "grad")
# Tables show at most this many rows by default: the first and last halves, with a row
# saying how many were left out. A graph of a training step has tens of thousands.
TABLE_LIMIT: Final = 40
# Jupyter draws graphs up to this many Values; a bigger one takes `dot` long to lay out
# and is unreadable inline anyway, so it shows as a table of its first and last nodes.
INLINE_LIMIT: Final = 300
_TABLE_NOTE: Final = (
    "Graphviz's <code>dot</code> program is not installed, so graphs show as tables. "
    "To see them drawn, install Graphviz (<code>apt install graphviz</code>, "
    "<code>brew install graphviz</code> or <code>conda install graphviz</code>) "
    "and restart the kernel."
)


@dataclass(frozen=True)
class Row:
    """One node of the graph, every field already text."""

    index: int
    label: str
    op: str  # "" for a leaf
    inputs: tuple[str, ...]  # `#i` for a node of this graph, else the constant's value
    data: str
    grad: str

    def cells(self) -> tuple[str, ...]:
        return (f"#{self.index}", self.label, self.op, ", ".join(self.inputs), self.data,
                self.grad)  # fmt: skip


def num(x: Scalar) -> str:
    """A number as pictures and tables show it; nodes of outer transforms show their number."""
    return format(to_float(x), ".4g")


def rows(nodes: Sequence[Value]) -> list[Row]:
    """The rows of `nodes`, a graph in topological order (inputs before their outputs)."""
    index = {node: i for i, node in enumerate(nodes)}
    table = []
    for i, node in enumerate(nodes):
        inputs = tuple(
            f"#{index[arg]}" if type(arg) is Value and arg in index else num(arg)
            for arg in node.inputs
        )
        op = "" if node.op is None else node.op.name
        table.append(Row(i, _printable(node.label), op, inputs, num(node.data), num(node.grad)))
    return table


def _printable(text: str) -> str:
    """`text` on one line: control characters (a newline, say) as Python escapes."""
    return "".join(
        ascii(char)[1:-1] if unicodedata.category(char) in ("Cc", "Cs") else char
        for char in str(text)
    )


def _shown(table: Sequence[Row], limit: int | None) -> tuple[list[Row], int, list[Row]]:
    """The rows before the gap, how many the gap leaves out, and the rows after it."""
    if limit is None or len(table) <= limit:
        return list(table), 0, []
    head = max(limit // 2, 1)
    tail = max(limit - head, 1)
    return list(table[:head]), len(table) - head - tail, list(table[-tail:])


def _gap(count: int) -> str:
    return f"... {count:,} more node{'' if count == 1 else 's'} ..."


def text_table(nodes: Sequence[Value], limit: int | None) -> str:
    """The rows as aligned plain text, one line per node, ending with a newline."""
    head, left_out, tail = _shown(rows(nodes), limit)
    lines: list[tuple[str, ...]] = [HEADERS, *(row.cells() for row in head)]
    if left_out:
        lines.append(("", _gap(left_out)))
    lines += [row.cells() for row in tail]
    widths = [max(len(line[i]) for line in lines if i < len(line)) for i in range(len(HEADERS))]
    out = []
    for line in lines:
        if len(line) < len(HEADERS):  # the gap: one cell across the table
            out.append(f"  {line[1]}")
            continue
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    return "\n".join(text.rstrip() for text in out) + "\n"


_RIGHT: Final = frozenset({0, 4, 5})  # numbers align right


def html_table(nodes: Sequence[Value], limit: int | None, note: str = "") -> str:
    """The rows as an HTML table, with a caption, and `note` (HTML) below it if given."""
    table = rows(nodes)
    head, left_out, tail = _shown(table, limit)
    count = len(table)
    caption = f"Value graph: {count:,} node{'' if count == 1 else 's'}, inputs first"
    parts = [
        '<table class="rulegrad-graph">',
        f"<caption>{caption}</caption>",
        "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS) + "</tr></thead>",
        "<tbody>",
    ]
    parts += [_html_row(row) for row in head]
    if left_out:
        parts.append(f'<tr><td colspan="{len(HEADERS)}">{_gap(left_out)}</td></tr>')
    parts += [_html_row(row) for row in tail]
    parts += ["</tbody>", "</table>"]
    if note:
        parts.append(f"<p>{note}</p>")
    return "\n".join(parts) + "\n"


def _html_row(row: Row) -> str:
    cells = []
    for i, cell in enumerate(row.cells()):
        style = ' style="text-align: right"' if i in _RIGHT else ""
        cells.append(f"<td{style}>{html.escape(cell)}</td>")
    return "<tr>" + "".join(cells) + "</tr>"


@final
class _Notice:
    """Whether the table has told this process, once, what to install for pictures."""

    __slots__ = ("given",)

    def __init__(self) -> None:
        self.given = False


_NOTICE: Final = _Notice()


def inline_html(value: Value) -> str | None:
    """What Jupyter shows for a Value that is not drawn as SVG: its graph as a table.

    None (no HTML) when the SVG picture shows instead: a front end prefers HTML to SVG.
    The first table without `dot` says what to install; later ones do not repeat it.
    """
    nodes = toposort([value], value._tag)
    missing = shutil.which("dot") is None
    if not missing and len(nodes) <= INLINE_LIMIT:
        return None
    note = ""
    if missing and not _NOTICE.given:
        _NOTICE.given = True
        note = _TABLE_NOTE
    return html_table(nodes, TABLE_LIMIT, note)
