"""Pictures: `to_dot` text, `draw` through Graphviz's `dot`, and the Jupyter display hook.

Rendering tests run Graphviz for real and are skipped only where `dot` is not installed;
the error paths run everywhere, with PATH pointing at an empty or fake `bin` directory.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pytest

import rulegrad as rg
from rulegrad import pictures
from rulegrad.kernel.nodes import DISPLAY
from rulegrad.pictures import (
    INLINE_LIMIT,
    GraphvizError,
    GraphvizNotFoundError,
    PictureOptionError,
)

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's `dot` is not installed (apt install graphviz)"
)

_NODE = re.compile(r"^  (\w+) \[(.*)\];$")
_EDGE = re.compile(r"^  (\w+) -> (\w+);$")
_CELL = re.compile(r"<td>(.*?)</td>")
_QUOTED_LABEL = re.compile(r'label="((?:[^"\\]|\\.)*)"')


@dataclass
class Graph:
    """The parts of a `to_dot` text: value records, op nodes, constants and edges."""

    records: dict[str, list[str]] = field(default_factory=dict)
    ops: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def named(self, label: str) -> str:
        """The id of the one record whose first cell is `label`."""
        (found,) = [name for name, cells in self.records.items() if cells[0] == label]
        return found

    def into(self, target: str) -> list[str]:
        """The sources of the edges into `target`, in order."""
        return [source for source, dest in self.edges if dest == target]


def parse(dot: str) -> Graph:
    lines = dot.splitlines()
    assert lines[0] == "digraph rulegrad {" and lines[-1] == "}"
    graph = Graph()
    for line in lines[2:-1]:
        edge = _EDGE.match(line)
        if edge:
            graph.edges.append((edge[1], edge[2]))
            continue
        node = _NODE.match(line)
        assert node, f"unexpected line {line!r}"
        name, attrs = node[1], node[2]
        if attrs.startswith("shape=plain, label=<"):
            graph.records[name] = [html.unescape(cell) for cell in _CELL.findall(attrs)]
        else:
            quoted = _QUOTED_LABEL.search(attrs)
            assert quoted
            kind = graph.ops if attrs.startswith("shape=ellipse") else graph.constants
            kind[name] = quoted[1]
    return graph


def svg_texts(svg: bytes | str) -> list[str]:
    """The text elements of an SVG, in document order."""
    root = ET.fromstring(svg.encode() if isinstance(svg, str) else svg)
    return [el.text or "" for el in root.iter("{http://www.w3.org/2000/svg}text")]


# PATH holds only the fake `dot`, so its script uses shell builtins alone.
ECHO_ARGS_AND_INPUT = 'echo "$@"; while IFS= read -r line; do printf "%s\\n" "$line"; done'


def fake_bin(tmp_path: Path, script: str | None) -> str:
    """A PATH holding only a `dot` that runs `script` (sh), or no `dot` when it is None."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if script is not None:
        dot = bin_dir / "dot"
        dot.write_text(f"#!/bin/sh\n{script}\n")
        dot.chmod(0o755)
    return str(bin_dir)


def chain(n: int) -> rg.Value:
    y = rg.Value(0.0, label="start")
    for _ in range(n):
        y = y + 1.0
    return y


# --- to_dot ------------------------------------------------------------------------------


def test_records_ops_and_edges_follow_the_expression() -> None:
    x, y = rg.Value(2.0, label="x"), rg.Value(3.0, label="y")
    z = x * y + rg.sin(x)
    z.label = "z"
    z.backward()
    graph = parse(rg.to_dot(z))
    assert graph.records[graph.named("x")] == ["x", "data 2", "grad 2.584"]  # 3 + cos 2
    assert graph.records[graph.named("y")] == ["y", "data 3", "grad 2"]
    assert graph.records[graph.named("z")] == ["z", "data 6.909", "grad 1"]
    assert sorted(graph.ops.values()) == ["add", "mul", "sin"]
    assert len(graph.records) == 5 and not graph.constants
    by_op = {op: name for name, op in graph.ops.items()}
    x_id, y_id, z_id = graph.named("x"), graph.named("y"), graph.named("z")
    assert graph.into(by_op["mul"]) == [x_id, y_id]  # argument order
    assert graph.into(by_op["sin"]) == [x_id]
    assert graph.into(z_id) == [by_op["add"]]
    product, sine = (graph.into(by_op["add"])[i] for i in (0, 1))
    assert graph.records[product] == ["data 6", "grad 1"]
    assert graph.into(product) == [by_op["mul"]] and graph.into(sine) == [by_op["sin"]]


def test_an_input_used_twice_has_two_edges() -> None:
    x = rg.Value(3.0, label="x")
    graph = parse(rg.to_dot(x * x))
    (mul,) = graph.ops
    assert graph.into(mul) == [graph.named("x"), graph.named("x")]


def test_leaf_alone_has_no_op_node() -> None:
    graph = parse(rg.to_dot(rg.Value(-1.5)))
    assert graph.records == {"v0": ["data -1.5", "grad 0"]}
    assert not graph.ops and not graph.edges


def test_constants_are_dashed_boxes_one_per_use() -> None:
    x = rg.Value(2.0, label="x")
    dot = rg.to_dot(rg.dot([x, 1.5], [3.0, 1.5]) - 2)
    graph = parse(dot)
    assert sorted(graph.constants.values()) == ["1.5", "1.5", "2", "3"]
    assert all(f"  {c} [shape=box, style=dashed," in dot for c in graph.constants)
    by_op = {op: name for name, op in graph.ops.items()}
    feeds = graph.into(by_op["dot"])
    assert feeds[0] == graph.named("x")
    assert [graph.constants[c] for c in feeds[1:]] == ["1.5", "3", "1.5"]


def test_nodes_of_other_transforms_are_constants() -> None:
    w = rg.Value(5.0, label="w")
    seen: list[str] = []

    def f(x: float) -> float:
        y = cast(rg.Value, x) * w  # inside grad, x is a Value of the transform's own level
        seen.append(rg.to_dot(y))
        return cast(float, y)

    assert rg.to_float(rg.grad(f)(2.0)) == 5.0
    graph = parse(seen[0])
    assert list(graph.constants.values()) == ["5"]  # w is not traced by this grad
    assert sorted(cells[0] for cells in graph.records.values()) == ["data 10", "data 2"]


def test_values_of_a_nested_transform_show_their_numbers() -> None:
    seen: list[str] = []

    def f(x: float) -> float:
        y = rg.sin(x)
        seen.append(rg.to_dot(cast(rg.Value, y)))
        return y

    assert rg.grad(rg.grad(f))(0.0) == 0.0  # -sin 0
    assert 'label="sin"' in seen[0] and "data 0" in seen[0]


def test_labels_are_escaped_in_the_text() -> None:
    x = rg.Value(1.0, label='say "hi" {a|b} <c> & d\\e\nline\ttab')
    dot = rg.to_dot(x)
    label = re.search(r"<td>(.*?)</td>", dot)
    assert label is not None
    assert label[1] == (
        "say &quot;hi&quot; {a|b} &lt;c&gt; &amp; d\\\\e<br/>line\\\\ttab"
    )  # fmt: skip


@needs_dot
def test_escaped_labels_survive_graphviz_exactly() -> None:
    labels = [
        'say "hi" {a|b} <c> & d\\e',
        "θ₁ 中文 x",
        "{",
        "|",
        "<>",
        "'",
        "a\\\\b",
        "\\N \\G \\n",
    ]
    inputs = [rg.Value(float(i), label=label) for i, label in enumerate(labels)]
    root = rg.sum(inputs)
    root.label = "two\nlines"
    texts = svg_texts(pictures._render(rg.to_dot(root), "svg"))
    for label in labels:
        assert label in texts
    assert texts.index("two") + 1 == texts.index("lines")
    assert "sum" in texts


@pytest.mark.slow
def test_a_long_chain_needs_no_recursion() -> None:
    n = 100_000
    graph = parse(rg.to_dot(chain(n)))
    assert len(graph.records) == n + 1 and len(graph.ops) == n and len(graph.constants) == n
    assert len(graph.edges) == 3 * n
    assert graph.records[f"v{n}"] == ["data 1e+05", "grad 0"]
    assert graph.into(f"v{n}_op") == [f"v{n - 1}", f"c{n - 1}"]


def test_the_same_expression_gives_the_same_text() -> None:
    def build() -> rg.Value:
        a, b = rg.Value(1.0, label="a"), rg.Value(2.0, label="b")
        return rg.tanh(a * b + a) / b

    assert rg.to_dot(build()) == rg.to_dot(build())
    graph = parse(rg.to_dot(build()))
    # Ids count Values inputs first, whatever their addresses in memory.
    assert list(graph.records) == [f"v{i}" for i in range(6)]
    assert (graph.named("a"), graph.named("b")) == ("v0", "v1")
    assert graph.ops == {"v2_op": "mul", "v3_op": "add", "v4_op": "tanh", "v5_op": "div"}


def test_rankdir() -> None:
    x = rg.Value(1.0)
    assert "  graph [rankdir=LR];" in rg.to_dot(x)
    assert "  graph [rankdir=TB];" in rg.to_dot(x, rankdir="TB")
    with pytest.raises(
        PictureOptionError, match=r"rankdir must be one of LR, TB, RL, BT, got 'up'"
    ):
        rg.to_dot(x, rankdir="up")


@pytest.mark.parametrize(
    ("thing", "why"),
    [
        (rg.Dual(1.0, 1.0), "a Dual records no graph: forward mode"),
        (2.0, "a plain float has no graph"),
        (3, "a plain int has no graph"),
        ("x", "got str"),
    ],
)
def test_only_values_have_pictures(thing: object, why: str, tmp_path: Path) -> None:
    calls: list[Callable[[], object]] = [
        lambda: rg.to_dot(thing),  # type: ignore[arg-type]
        lambda: rg.draw(thing, tmp_path / "g.svg"),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(rg.ArgumentError, match=re.escape(why)) as info:
            call()
        assert isinstance(info.value, TypeError)
        assert "draws the graph below a Value" in str(info.value)
    assert not (tmp_path / "g.svg").exists()


# --- draw --------------------------------------------------------------------------------


@needs_dot
@pytest.mark.parametrize(
    ("name", "magic"),
    [("g.svg", b"<svg"), ("g.png", b"\x89PNG\r\n\x1a\n"), ("g.pdf", b"%PDF-"), ("G.SVG", b"<svg")],
)
def test_draw_renders_by_suffix(name: str, magic: bytes, tmp_path: Path) -> None:
    x = rg.Value(2.0, label="x")
    path = rg.draw(rg.exp(x) * x, tmp_path / name)
    assert path == tmp_path / name
    data = path.read_bytes()
    if magic == b"<svg":  # after the XML prologue and doctype
        assert {"x", "exp", "mul"} <= set(svg_texts(data))
    else:
        assert data.startswith(magic)


@needs_dot
def test_draw_format_overrides_the_suffix(tmp_path: Path) -> None:
    path = rg.draw(rg.Value(1.0), str(tmp_path / "picture"), format=".PNG")
    assert isinstance(path, Path)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_draw_writes_dot_source_without_graphviz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", fake_bin(tmp_path, None))
    x = rg.Value(2.0, label="x")
    y = rg.log(x)
    for suffix in (".dot", ".gv"):
        assert rg.draw(y, tmp_path / f"g{suffix}").read_text() == rg.to_dot(y)


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("g.jpeg", None, "cannot draw 'jpeg' (the suffix of "),
        ("g", None, "cannot tell the picture format of "),
        ("g.svg", "bmp", "cannot draw 'bmp' (the format='bmp'); supported: .svg, .png, .pdf"),
    ],
)
def test_draw_rejects_unknown_formats(
    name: str, fmt: str | None, message: str, tmp_path: Path
) -> None:
    with pytest.raises(PictureOptionError, match=re.escape(message)) as info:
        rg.draw(rg.Value(1.0), tmp_path / name, format=fmt)
    assert isinstance(info.value, ValueError) and isinstance(info.value, rg.RulegradError)
    assert not (tmp_path / name).exists()


def test_draw_without_dot_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", fake_bin(tmp_path, None))
    with pytest.raises(GraphvizNotFoundError) as info:
        rg.draw(rg.Value(1.0), tmp_path / "g.svg")
    message = str(info.value)
    assert "Graphviz's `dot` program was not found on PATH" in message
    assert "apt install graphviz" in message and "brew install graphviz" in message
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, rg.RulegradError)
    assert not (tmp_path / "g.svg").exists()


def test_draw_reports_a_failing_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", fake_bin(tmp_path, "echo 'Error: syntax trouble' >&2; exit 3"))
    with pytest.raises(GraphvizError, match="could not render png: Error: syntax trouble"):
        rg.draw(rg.Value(1.0), tmp_path / "g.png")
    assert not (tmp_path / "g.png").exists()


def test_draw_passes_the_format_and_the_source_to_dot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in `dot` that echoes its arguments and its input shows what draw sends.
    monkeypatch.setenv("PATH", fake_bin(tmp_path, ECHO_ARGS_AND_INPUT))
    y = rg.Value(1.0, label="in") + 1.0
    out = rg.draw(y, tmp_path / "g.pdf", rankdir="BT").read_text()
    assert out == "-Tpdf\n" + rg.to_dot(y, rankdir="BT")


# --- Jupyter -----------------------------------------------------------------------------


@needs_dot
def test_jupyter_shows_the_graph_as_svg() -> None:
    x = rg.Value(0.5, label="x")
    svg = rg.tanh(x)._repr_svg_()
    assert svg is not None and "<svg" in svg
    assert {"x", "tanh"} <= set(svg_texts(svg))


def test_jupyter_falls_back_to_the_repr_without_dot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", fake_bin(tmp_path, None))
    assert rg.Value(1.0)._repr_svg_() is None


def test_jupyter_falls_back_to_the_repr_when_dot_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", fake_bin(tmp_path, "exit 1"))
    assert rg.Value(1.0)._repr_svg_() is None


def test_jupyter_does_not_lay_out_huge_graphs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "dot-ran"
    monkeypatch.setenv("PATH", fake_bin(tmp_path, f": > {marker}; echo '<svg/>'"))
    assert chain(INLINE_LIMIT - 1)._repr_svg_() == "<svg/>\n"
    marker.unlink()
    assert chain(INLINE_LIMIT)._repr_svg_() is None
    assert not marker.exists()


def test_the_kernel_alone_has_no_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DISPLAY, "svg", None)
    assert rg.Value(1.0)._repr_svg_() is None


def test_the_display_hook_is_connected_by_importing_rulegrad() -> None:
    assert DISPLAY.svg is pictures.inline_svg
    assert sys.modules["rulegrad.pictures"] is pictures
