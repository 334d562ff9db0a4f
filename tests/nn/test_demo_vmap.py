"""`rulegrad demo` through rg.vmap trains exactly as the graph built point by point."""

from __future__ import annotations

import io
import re

from rulegrad.cli import main


def _run(*extra: str) -> list[str]:
    out = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(out):
        assert main(["demo", "--steps", "12", "--points", "30", *extra]) == 0
    return out.getvalue().splitlines()


def test_the_demo_through_vmap_learns_as_the_graph_does() -> None:
    batched, graph = _run(), _run("--graph")
    assert "training through rg.vmap over the points (NumPy)" in batched[0]
    assert "training through the graph, point by point" in graph[0]
    progress = [line for line in batched if line.startswith("step")]
    assert progress == [line for line in graph if line.startswith("step")]
    assert len(progress) >= 10
    losses = [float(m.group(1)) for line in progress if (m := re.search(r"loss (\S+)", line))]
    assert losses[-1] < losses[0]
    final = [line.split(" after ")[0] for line in (batched[-1], graph[-1])]
    assert final[0] == final[1] and final[0].startswith("final accuracy")
