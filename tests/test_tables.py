"""Graph tables: `to_text`, `to_html`, and the HTML table Jupyter shows without Graphviz.

Jupyter's side is IPython's real `DisplayFormatter` (what a kernel uses to build a
`display_data` bundle), reached the way rulegrad reaches it in a kernel: through
`IPython.get_ipython()`. Whether `dot` is installed is simulated with PATH, as in
`test_pictures.py`; `tests/notebooks` runs the same check in a real kernel.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any, cast

import pytest

import rulegrad as rg
from rulegrad import _tables
from rulegrad.kernel import DISPLAY
from rulegrad.pictures import INLINE_LIMIT, TABLE_LIMIT, to_html, to_text
from tests.test_pictures import chain, fake_bin

IPython = pytest.importorskip("IPython", reason="IPython (the dev extra's ipykernel) is needed")
from IPython.core.formatters import DisplayFormatter  # noqa: E402


def bundle(formatter: DisplayFormatter, value: object) -> dict[str, Any]:
    """The mime bundle a kernel sends for `value`: {mime type: content}."""
    data: dict[str, Any] = formatter.format(value)[0]  # type: ignore[no-untyped-call]
    return data


_ROW = re.compile(r"<tr>(.*?)</tr>")
_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>")


def html_rows(table: str) -> list[list[str]]:
    return [[html.unescape(c) for c in _CELL.findall(row)] for row in _ROW.findall(table)]


def neuron() -> rg.Value:
    x1, x2 = rg.Value(2.0, label="x1"), rg.Value(0.0, label="x2")
    w1, w2 = rg.Value(-3.0, label="w1"), rg.Value(1.0, label="w2")
    out = rg.tanh(x1 * w1 + x2 * w2 + 6.8813735870195432)
    out.label = "o"
    out.backward()
    return out


# --- to_text and to_html -----------------------------------------------------------------


def test_text_rows_follow_the_topological_order() -> None:
    # micrograd's neuron: o = tanh(x1 w1 + x2 w2 + b). Leaves show their grads:
    # d o / d x1 = w1 (1 - o^2) = -3 / 2, d o / d w1 = x1 / 2; the seed is 1.
    assert to_text(neuron()) == (
        "#   label  op    inputs     data    grad\n"
        "#0  x1                      2       -1.5\n"
        "#1  w1                      -3      1\n"
        "#2         mul   #0, #1     -6      0.5\n"
        "#3  x2                      0       0.5\n"
        "#4  w2                      1       0\n"
        "#5         mul   #3, #4     0       0.5\n"
        "#6         add   #2, #5     -6      0.5\n"
        "#7         add   #6, 6.881  0.8814  0.5\n"
        "#8  o      tanh  #7         0.7071  1\n"
    )


def test_constants_and_nodes_of_other_transforms_show_their_numbers() -> None:
    w = rg.Value(3.0, label="w")  # not traced by the grad below: a constant in its graph
    seen: list[str] = []

    def f(x: float) -> float:
        y = cast(rg.Value, x) * w + 0.5
        seen.append(to_text(y))
        return cast(float, y)

    assert rg.to_float(rg.grad(f)(2.0)) == 3.0  # a Value of w's graph, holding 3
    assert [line.split() for line in seen[0].splitlines()[1:]] == [
        ["#0", "2", "0"],
        ["#1", "mul", "#0,", "3", "6", "0"],
        ["#2", "add", "#1,", "0.5", "6.5", "0"],
    ]


def test_labels_stay_on_one_line_and_are_escaped_in_html() -> None:
    x = rg.Value(1.0, label="a\nb <i>&")
    assert to_text(x).splitlines()[1].split() == ["#0", "a\\nb", "<i>&", "1", "0"]
    table = to_html(x)
    assert "a\\nb &lt;i&gt;&amp;" in table and "<i>" not in table
    assert html_rows(table)[1] == ["#0", "a\\nb <i>&", "", "", "1", "0"]


def test_big_graphs_show_their_first_and_last_rows() -> None:
    y = chain(1000)  # 1001 nodes
    lines = to_text(y).splitlines()
    assert len(lines) == 1 + TABLE_LIMIT + 1
    assert lines[1].split()[:2] == ["#0", "start"]
    assert lines[1 + TABLE_LIMIT // 2].strip() == f"... {1001 - TABLE_LIMIT:,} more nodes ..."
    assert lines[-1].split()[0] == "#1000"
    assert len(to_text(y, limit=None).splitlines()) == 1 + 1001
    small = to_text(y, limit=4).splitlines()
    assert [line.split()[0] for line in small] == ["#", "#0", "#1", "...", "#999", "#1000"]
    rows = html_rows(to_html(y, limit=10))
    assert len(rows) == 1 + 10 + 1 and rows[6] == ["... 991 more nodes ..."]
    assert "<caption>Value graph: 1,001 nodes, inputs first</caption>" in to_html(y)


@pytest.mark.parametrize("thing", [rg.Dual(1.0, 1.0), 2.0, "x"])
def test_only_values_have_tables(thing: object) -> None:
    for show in (to_text, to_html):
        with pytest.raises(rg.ArgumentError, match="draws the graph below a Value"):
            show(thing)  # type: ignore[arg-type]


# --- Jupyter -----------------------------------------------------------------------------


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> DisplayFormatter:
    """IPython's display formatter, as a running kernel's shell holds it: it asks a Value
    for `_repr_svg_` and `_repr_html_`, which the wiring connects to the pictures."""
    monkeypatch.setattr(_tables._NOTICE, "given", False)
    return DisplayFormatter()


def test_the_table_is_connected_by_importing_rulegrad() -> None:
    assert DISPLAY.html is _tables.inline_html


def test_without_dot_jupyter_shows_a_table_and_says_once_what_to_install(
    kernel: DisplayFormatter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", fake_bin(tmp_path, None))
    first = bundle(kernel, neuron())
    assert set(first) == {"text/plain", "text/html"}  # no SVG, and a table instead
    rows = html_rows(first["text/html"])
    assert rows[0] == ["#", "label", "op", "inputs", "data", "grad"]
    assert rows[-1][:3] == ["#8", "o", "tanh"] and len(rows) == 10
    assert "install Graphviz (<code>apt install graphviz</code>" in first["text/html"]
    second = bundle(kernel, rg.Value(1.0) * 2.0)
    assert "Graphviz" not in second["text/html"]  # told once
    assert html_rows(second["text/html"])[-1] == ["#1", "", "mul", "#0, 2", "2", "0"]


def test_with_dot_jupyter_shows_the_picture_and_no_table(
    kernel: DisplayFormatter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", fake_bin(tmp_path, "echo '<svg/>'"))
    data = bundle(kernel, neuron())
    # A front end prefers HTML to SVG, so the table must be absent for the picture to show.
    assert set(data) == {"text/plain", "image/svg+xml"}
    assert _tables._NOTICE.given is False


def test_a_graph_too_big_to_draw_shows_as_a_capped_table(
    kernel: DisplayFormatter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", fake_bin(tmp_path, "echo '<svg/>'"))
    data = bundle(kernel, chain(INLINE_LIMIT))
    assert set(data) == {"text/plain", "text/html"}
    rows = html_rows(data["text/html"])
    assert len(rows) == 1 + TABLE_LIMIT + 1
    assert "Graphviz" not in data["text/html"]  # dot is installed: nothing to install
