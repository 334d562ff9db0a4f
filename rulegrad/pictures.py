"""Pictures of a `Value` graph: Graphviz DOT text, rendered files, tables, Jupyter display.

`to_dot`, `to_text` and `to_html` need nothing but Python. `draw` and the inline Jupyter
picture run Graphviz's `dot` program in a subprocess; the `graphviz` Python package is not
needed. Without `dot`, Jupyter shows a `Value` as the table of `to_html`, and says once
what to install for pictures.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from rulegrad._tables import (
    INLINE_LIMIT,
    TABLE_LIMIT,
    html_table,
    num,
    text_table,
)
from rulegrad.kernel import (
    ArgumentError,
    Dual,
    Value,
    toposort,
)
from rulegrad.kernel.errors import GraphvizError, GraphvizNotFoundError, PictureOptionError

__all__ = [
    "FORMATS",
    "INLINE_LIMIT",
    "RANKDIRS",
    "TABLE_LIMIT",
    "GraphvizError",
    "GraphvizNotFoundError",
    "PictureOptionError",
    "draw",
    "inline_svg",
    "to_dot",
    "to_html",
    "to_text",
]

RANKDIRS: Final = ("LR", "TB", "RL", "BT")
# Formats `dot` renders, and formats that are the DOT source itself (no Graphviz needed).
FORMATS: Final = ("svg", "png", "pdf")
_SOURCE_FORMATS: Final = ("dot", "gv")
_TABLE: Final = '<table border="0" cellborder="1" cellspacing="0" cellpadding="4">'
_INLINE_TIMEOUT: Final = 20.0  # seconds; a notebook must not hang on a slow layout
_INSTALL: Final = (
    "Graphviz's `dot` program was not found on PATH; install Graphviz "
    "(apt install graphviz, brew install graphviz, conda install graphviz, "
    "or https://graphviz.org/download/) or write the DOT source with rg.to_dot"
)


def to_dot(value: Value, *, rankdir: str = "LR") -> str:
    """Graphviz DOT text for the graph below `value`.

    Each `Value` is a box showing its label (if any), data and grad; an ellipse naming the
    op sits between a value and its inputs, with edges input -> op -> output. Constants
    (plain numbers, and nodes of other transforms) are dashed boxes. Nodes are named
    `v0, v1, ...` inputs first, so the same expression always gives the same text.
    `rankdir` is Graphviz's layout direction: "LR" (default), "TB", "RL" or "BT".

    >>> import rulegrad as rg
    >>> x = rg.Value(2.0, label="x"); y = x * 3.0; y.backward()
    >>> print(to_dot(y), end="")  # doctest: +ELLIPSIS
    digraph rulegrad {
      graph [rankdir=LR];
      v0 [shape=plain, label=<...<td>x</td><td>data 2</td><td>grad 3</td>...>];
      v1 [shape=plain, label=<...<td>data 6</td><td>grad 1</td>...>];
      v1_op [shape=ellipse, label="mul"];
      v1_op -> v1;
      v0 -> v1_op;
      c0 [shape=box, style=dashed, label="3"];
      c0 -> v1_op;
    }
    """
    root = _graph_root(value, "to_dot")
    return _dot(toposort([root], root._tag), _rankdir(rankdir))


def to_text(value: Value, *, limit: int | None = TABLE_LIMIT) -> str:
    """The graph below `value` as a plain-text table, one line per `Value`, inputs first.

    Columns: the row number, the label, the op (empty for a leaf), the inputs (`#i` for a
    row of this table, else the constant's value), data and grad. A graph of more than
    `limit` nodes shows its first and last rows and says how many it left out; `None`
    shows every row.

    >>> import rulegrad as rg
    >>> x = rg.Value(2.0, label="x"); y = x * 3.0 + x; y.label = "y"; y.backward()
    >>> print(to_text(y), end="")
    #   label  op   inputs  data  grad
    #0  x                   2     4
    #1         mul  #0, 3   6     1
    #2  y      add  #1, #0  8     1
    """
    root = _graph_root(value, "to_text")
    return text_table(toposort([root], root._tag), limit)


def to_html(value: Value, *, limit: int | None = TABLE_LIMIT) -> str:
    """The table of `to_text` as HTML: what Jupyter shows for a `Value` without Graphviz.

    >>> import rulegrad as rg
    >>> table = to_html(rg.Value(2.0, label="x") * 3.0)
    >>> table.splitlines()[:2]
    ['<table class="rulegrad-graph">', '<caption>Value graph: 2 nodes, inputs first</caption>']
    """
    root = _graph_root(value, "to_html")
    return html_table(toposort([root], root._tag), limit)


def draw(
    value: Value,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    rankdir: str = "LR",
) -> Path:
    """Draw the graph below `value` into `path` and return the path.

    The format comes from the suffix (`.svg`, `.png`, `.pdf`), or from `format=` when given.
    These run Graphviz's `dot`, and raise `GraphvizNotFoundError` (a `FileNotFoundError`)
    naming what to install when it is missing. `.dot` and `.gv` write the DOT source of
    `to_dot`, which needs no Graphviz.

    >>> import rulegrad as rg, tempfile, pathlib
    >>> x = rg.Value(2.0, label="x")
    >>> path = draw(rg.sin(x), pathlib.Path(tempfile.mkdtemp()) / "sin.dot")
    >>> "sin" in path.read_text()
    True
    """
    target = Path(path)
    fmt = _format(target, format)
    source = to_dot(value, rankdir=rankdir)
    target.write_bytes(source.encode() if fmt in _SOURCE_FORMATS else _render(source, fmt))
    return target


def _graph_root(value: object, caller: str) -> Value:
    """`value` if it is a `Value`, else an error saying why it has no graph to draw."""
    if type(value) is Value:
        return value
    if isinstance(value, Dual):
        why = (
            "a Dual records no graph: forward mode carries only a primal and a tangent. "
            "Build the expression from rg.Value to draw it"
        )
    elif isinstance(value, (int, float)):
        why = (
            f"a plain {type(value).__name__} has no graph: build the expression from "
            "rg.Value, e.g. x = rg.Value(2.0), and pass the result"
        )
    else:
        why = f"got {type(value).__name__}"
    raise ArgumentError(f"{caller}() draws the graph below a Value; {why}")


def _rankdir(rankdir: object) -> str:
    if rankdir not in RANKDIRS:
        raise PictureOptionError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    return str(rankdir)


def _format(target: Path, format: str | None) -> str:
    """The output format: `format` if given, else the file's suffix, lowercased."""
    known = (*FORMATS, *_SOURCE_FORMATS)
    choices = ", ".join(f".{name}" for name in known)
    if format is None:
        if not target.suffix:
            raise PictureOptionError(
                f"cannot tell the picture format of {str(target)!r}: give the file a "
                f"suffix ({choices}) or pass format="
            )
        fmt, where = target.suffix[1:].lower(), f"suffix of {str(target)!r}"
    elif isinstance(format, str):
        fmt, where = format.lower().removeprefix("."), f"format={format!r}"
    else:
        raise PictureOptionError(f"format must be a string, got {type(format).__name__}")
    if fmt not in known:
        raise PictureOptionError(f"cannot draw {fmt!r} (the {where}); supported: {choices}")
    return fmt


def _dot(nodes: Sequence[Value], rankdir: str) -> str:
    """DOT text for `nodes`, a graph in topological order (inputs before their outputs)."""
    ids = {node: f"v{i}" for i, node in enumerate(nodes)}
    lines = ["digraph rulegrad {", f"  graph [rankdir={rankdir}];"]
    constants = 0
    for node in nodes:
        name = ids[node]
        lines.append(f"  {name} [shape=plain, label=<{_record(node)}>];")
        op = node.op
        if op is None:
            continue
        lines.append(f"  {name}_op [shape=ellipse, label={_quoted(op.name)}];")
        lines.append(f"  {name}_op -> {name};")
        # Edges follow argument order, and an input used twice gets two edges.
        for arg in node.inputs:
            if type(arg) is Value and arg in ids:
                lines.append(f"  {ids[arg]} -> {name}_op;")
            else:
                # Constants are not shared: equal numbers in two places are two boxes.
                const = f"c{constants}"
                constants += 1
                lines.append(f"  {const} [shape=box, style=dashed, label={_quoted(num(arg))}];")
                lines.append(f"  {const} -> {name}_op;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _record(node: Value) -> str:
    """The HTML-like label of one Value: a row of cells, like micrograd's record nodes.

    HTML-like labels escape exactly (entities); record labels need `{ } | < >` escaped
    and still drop some spaces (leading ones, and next to non-ASCII text).
    """
    cells = [f"data {num(node.data)}", f"grad {num(node.grad)}"]
    if node.label:
        cells.insert(0, _html(str(node.label)))
    row = "".join(f"<td>{cell}</td>" for cell in cells)
    return f"{_TABLE}<tr>{row}</tr></table>"


def _html(text: str) -> str:
    """`text` for an HTML-like label: entities escaped, newlines as line breaks.

    Graphviz still reads backslash escapes in HTML-like labels (`\\N` becomes the node's
    name), so backslashes are doubled. Control characters and lone surrogates cannot go
    into Graphviz's XML; they are shown as Python escapes.
    """
    parts = []
    for char in text:
        if char == "\n":
            parts.append("<br/>")
            continue
        shown = ascii(char)[1:-1] if unicodedata.category(char) in ("Cc", "Cs") else char
        parts.append(html.escape(shown).replace("\\", "\\\\"))
    return "".join(parts)


def _quoted(text: str) -> str:
    """`text` as a DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _render(source: str, fmt: str, timeout: float | None = None) -> bytes:
    """`source` rendered by Graphviz's `dot` in `fmt`, as bytes."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(_INSTALL)
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"],
            input=source.encode(),
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except OSError as error:  # found on PATH, but not runnable
        raise GraphvizError(f"could not run Graphviz's dot ({program}): {error}") from error
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        raise GraphvizError(f"Graphviz's dot ({program}) could not render {fmt}: {why}")
    return done.stdout


def inline_svg(value: Value) -> str | None:
    """What Jupyter shows for a Value: its graph as SVG, or None for the table or the repr.

    The picture is an extra: a missing or failing Graphviz, or a graph too big to read,
    falls back instead of raising inside the notebook's display machinery.
    """
    if shutil.which("dot") is None:
        return None
    nodes = toposort([value], value._tag)
    if len(nodes) > INLINE_LIMIT:
        return None
    try:
        svg = _render(_dot(nodes, "LR"), "svg", timeout=_INLINE_TIMEOUT)
    except (GraphvizError, subprocess.TimeoutExpired):
        return None
    return svg.decode(errors="replace")
