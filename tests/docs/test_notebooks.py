"""The tutorial notebooks run top to bottom in a Jupyter kernel, as a reader runs them.

They are stored without outputs (the site shows them run), and each checks its own
numbers with `assert`s, so a wrong derivative fails here. A kernel also shows how a
`Value` displays: drawn by Graphviz when `dot` is installed, a table when it is not.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Final

import pytest

from tests.test_pictures import fake_bin, needs_dot

nbformat = pytest.importorskip("nbformat", reason="the dev extra's nbformat runs notebooks")
nbclient = pytest.importorskip("nbclient", reason="the dev extra's nbclient runs notebooks")

NOTEBOOKS: Final = Path(__file__).resolve().parents[2] / "docs" / "notebooks"
CELL_TIMEOUT: Final = 600  # seconds; the slowest cell (training) takes seconds


def run(notebook: Any, cwd: Path) -> Any:
    """`notebook`, executed in a fresh kernel of this interpreter, in `cwd`."""
    client = nbclient.NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )  # fmt: skip
    client.execute()
    return notebook


def outputs(notebook: Any) -> list[dict[str, Any]]:
    return [output for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.outputs]  # fmt: skip


def text_of(notebook: Any) -> str:
    return "".join(
        out.get("text", "") for out in outputs(notebook) if out["output_type"] == "stream"
    )


def mime_types(notebook: Any) -> list[set[str]]:
    """The mime types of each display (a cell's last value, or a shown figure)."""
    return [set(out["data"]) for out in outputs(notebook) if "data" in out]


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda path: path.stem)
def test_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: clear the outputs before committing (the site and this suite "
                f"run the notebook); cell {cell.source[:60]!r}"
            )


def test_backpropagation_from_scratch(tmp_path: Path) -> None:
    notebook = run(nbformat.read(NOTEBOOKS / "backprop.ipynb", as_version=4), tmp_path)
    text = text_of(notebook)
    assert "f(3) = 20.0, df/dx = 14.0" in text
    assert "topological order: ['a', 'b', 'e', 'c', 'd', 'f', 'L']" in text
    assert "do/dx1 -1.5000000000, estimate -1.50000000" in text
    graphs = [kinds for kinds in mime_types(notebook) if kinds & {"image/svg+xml", "text/html"}]
    assert len(graphs) == 4  # each `Value` left last in a cell shows its graph


def test_moons_demo(tmp_path: Path) -> None:
    notebook = run(nbformat.read(NOTEBOOKS / "moons.ipynb", as_version=4), tmp_path)
    text = text_of(notebook)
    assert "number of parameters 337" in text
    assert "step  99" in text and "after 100 steps" in text
    # the data, the loss and accuracy curves, the decision boundary
    assert sum("image/png" in kinds for kinds in mime_types(notebook)) == 3


def test_own_ops_modes_and_compile(tmp_path: Path) -> None:
    notebook = run(nbformat.read(NOTEBOOKS / "own-ops.ipynb", as_version=4), tmp_path)
    text = text_of(notebook)
    assert "logcosh(800) = 799.306853" in text
    assert "<rulegrad op hyp/2 (user)> ('x', 'y') 5.0" in text
    assert "swish (user): 4 points" in text
    # The generated code's partials come from pow's rule, written inline as a temporary.
    assert "    r9_0 = 2.0 * v8\n    g8 = r9_0 * g9\n" in text
    for case in ("plain floats, value only", "rg.compile(loss).value_and_grad"):
        assert case in text  # the measured speeds (their values vary; nothing checks them)
    assert "TracingError" in text


def _graph_notebook() -> Any:
    cells = [
        "import sys\nimport rulegrad as rg\nprint(sys.executable)",
        "x = rg.Value(2.0, label='x')\ny = rg.tanh(x * x)\ny.backward()\ny",
        "y * 2.0",
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return notebook


def test_without_graphviz_a_value_shows_a_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", fake_bin(tmp_path, None))  # the kernel finds no `dot`
    notebook = run(_graph_notebook(), tmp_path)
    first, second = (notebook.cells[i].outputs[0] for i in (1, 2))
    # The kernel is this environment's interpreter (so it imports this rulegrad).
    shown = notebook.cells[0].outputs[0]["text"].strip()
    assert os.path.realpath(shown) == os.path.realpath(sys.executable)
    assert set(first["data"]) == {"text/plain", "text/html"}
    table = first["data"]["text/html"]
    assert '<table class="rulegrad-graph">' in table and "<td>tanh</td>" in table
    assert "install Graphviz" in table
    assert "<td>mul</td>" in second["data"]["text/html"]
    assert "Graphviz" not in second["data"]["text/html"]  # said once


@needs_dot
def test_with_graphviz_a_value_shows_its_picture(tmp_path: Path) -> None:
    notebook = run(_graph_notebook(), tmp_path)
    for cell in notebook.cells[1:]:
        (display,) = cell.outputs
        assert set(display["data"]) == {"text/plain", "image/svg+xml"}
        assert "<svg" in display["data"]["image/svg+xml"]
