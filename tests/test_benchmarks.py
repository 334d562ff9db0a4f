"""The benchmark suite's smoke mode and its reporting rules (correctness only, no timings).

The smoke run is what CI runs: every workload and every installed peer at tiny sizes, one
call each, all numbers checked against the reference. The other tests pin down how the suite
reports what goes wrong: wrong numbers fail the run loudly, a missing peer is skipped (never
a zero time), a peer that crashes is reported with its error.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks import __main__ as command
from benchmarks.check import check_rows, relative_error
from benchmarks.core import Case, Output, Prepared, Row, Workload
from benchmarks.harness import Settings, memory_status, run_case
from benchmarks.isolation import run_isolated
from benchmarks.page import (
    BEGIN,
    END,
    SUMMARY_BEGIN,
    SUMMARY_END,
    report_in,
    summary_in,
    with_report,
)
from benchmarks.report import row_to_json
from benchmarks.runner import problems, run_workload
from benchmarks.tables import markdown, markdown_from_json, summary, summary_from_json
from benchmarks.workloads import WORKLOADS, chain

ROOT = Path(__file__).resolve().parent.parent
SMOKE = Settings(smoke=True)
STATUSES = {"ok", "mismatch", "failed", "skipped", "n/a"}


def test_smoke_run_passes_and_writes_valid_json(tmp_path: Path) -> None:
    path = tmp_path / "smoke.json"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--json", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(path.read_text())
    assert document["ok"] is True and document["problems"] == []
    assert document["settings"]["smoke"] is True
    assert document["machine"]["packages"]["rulegrad"]
    assert [w["name"] for w in document["workloads"]] == list(WORKLOADS)
    rows = [row for workload in document["workloads"] for row in workload["rows"]]
    assert {row["status"] for row in rows} <= STATUSES
    for row in rows:
        if row["case"].startswith("rulegrad"):
            assert row["status"] == "ok", row
        if row["status"] == "ok":
            assert row["median_s"] > 0 and row["max_error"] is not None, row
        else:
            assert row["median_s"] is None and row["detail"], row
    for workload in WORKLOADS.values():
        assert f"### {workload.name}: {workload.title}" in result.stdout


def _workload(cases: list[Case], reference: Output | None = None) -> Workload:
    return Workload(
        name="toy",
        title="toy",
        note="",
        cases=lambda size: cases,
        sizes=(1,),
        smoke_sizes=(1,),
        reference=None if reference is None else (lambda size: reference),
    )


def _case(case_id: str, run: Callable[[], Output], requires: tuple[str, ...] = ()) -> Case:
    return Case(case_id, f"{case_id} label", lambda: Prepared(run), requires)


def _boom() -> Output:
    raise RecursionError("maximum recursion depth exceeded")


TOY = [
    _case("floats", lambda: Output(2.0)),
    _case("rulegrad", lambda: Output(2.0, (1.0, 3.0))),
    _case("right", lambda: Output(2.0, (1.0, 3.0 + 1e-12))),
    _case("wrong", lambda: Output(2.0, (1.0, 3.1))),
    _case("crashes", _boom),
    _case("absent", lambda: Output(2.0, (1.0, 3.0)), ("no_such_module_for_rulegrad_tests",)),
]


def test_rows_are_checked_against_rulegrad_and_mismatches_are_problems() -> None:
    rows = {row.case: row for row in run_workload(_workload(TOY), SMOKE, sys.stderr)}
    assert rows["floats"].status == rows["right"].status == "ok"
    assert rows["right"].max_error is not None and rows["right"].max_error < 1e-8
    assert rows["wrong"].status == "mismatch" and "rulegrad Value" in rows["wrong"].detail
    assert rows["crashes"].status == "failed"
    assert rows["crashes"].detail.startswith("RecursionError: maximum recursion depth")
    found = problems(list(rows.values()))
    assert len(found) == 1 and "wrong label" in found[0]


def test_a_missing_peer_is_skipped_never_zero() -> None:
    row = run_case(_workload(TOY), TOY[-1], 1, SMOKE)
    assert row.status == "skipped" and "no_such_module_for_rulegrad_tests" in row.detail
    assert row.times_s == [] and row_to_json(row)["median_s"] is None
    table = markdown(_info(), {"smoke": True}, [(_workload(TOY), [row])], [], [])
    assert "| absent label |  |  |  |  |  |  | skipped: not installed" in table


def _info() -> dict[str, Any]:
    return {
        "date": "today", "cpu": "cpu", "cpus": 1, "platform": "os", "python": "py",
        "load_average": None, "packages": {"rulegrad": "0"},
    }  # fmt: skip


def test_the_command_exits_non_zero_and_says_so_on_a_mismatch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(WORKLOADS, "toy", _workload(TOY, reference=Output(2.0, (1.0, 3.0))))
    path = tmp_path / "toy.json"
    assert command.main(["--smoke", "--only", "toy", "--json", str(path)]) == 1
    assert "**MISMATCH**: differs from the closed form" in capsys.readouterr().out
    document = json.loads(path.read_text())
    assert document["ok"] is False and len(document["problems"]) == 1


def test_bad_options_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert command.main(["--repeat", "0"]) == 2
    assert "must be positive" in capsys.readouterr().err
    assert command.main(["--only", "hessian", "--peer", "pytorch"]) == 2
    assert "no case pytorch in the workloads chosen; the cases are autograd, floats" in (
        capsys.readouterr().err
    )
    with pytest.raises(SystemExit) as exit_info:
        command.main(["--only", "no-such-workload"])
    assert exit_info.value.code == 2


def test_relative_error_catches_nan_and_wrong_shapes() -> None:
    rows = [Row("w", "c", "c", 1, "ok", output=Output(1.0, (math.nan,)))]
    check_rows(rows, Output(1.0, (2.0,)))
    assert rows[0].status == "mismatch"
    assert relative_error(Output(None, (1.0,)), Output(None, (1.0, 2.0))) == (
        "1 derivative entries, expected 2"
    )
    assert relative_error(Output(1.0), Output(1.0, (5.0,))) == 0.0  # floats rows: value only


def test_micrograd_fails_on_a_deep_chain_and_is_reported() -> None:
    pytest.importorskip("micrograd", reason="micrograd is in the dev and bench extras")
    case = next(c for c in chain.DEEP.cases(2_000) if c.id == "micrograd")
    row = run_case(chain.DEEP, case, 2_000, SMOKE)
    assert row.status == "failed" and row.detail.startswith("RecursionError")


def _rulegrad_chain_case(steps: int) -> Case:
    return next(c for c in chain.HUGE.cases(steps) if c.id == "rulegrad")


def test_an_isolated_case_runs_in_its_own_process() -> None:
    row = run_isolated(chain.HUGE, _rulegrad_chain_case(50), 50, SMOKE)
    check_rows([row], chain.reference(50))
    assert row.status == "ok", row.detail
    assert row.max_error is not None and row.max_error < 1e-12
    if memory_status("VmRSS") is not None:  # Linux: the child reports its memory growth
        assert row.metrics["rss_growth_bytes"] >= 0


def test_an_isolated_case_past_its_timeout_is_killed_and_reported() -> None:
    settings = Settings(smoke=True, timeout_s=0.2)
    row = run_isolated(chain.HUGE, _rulegrad_chain_case(1_000_000), 1_000_000, settings)
    assert row.status == "failed" and row.detail == "did not finish within the 0.2 s timeout"


@pytest.mark.skipif(
    memory_status("VmRSS") is None, reason="resident memory is read from Linux's /proc"
)
def test_an_isolated_case_past_its_memory_cap_is_killed_and_reported() -> None:
    settings = Settings(smoke=True, memory_limit=1)
    row = run_isolated(chain.HUGE, _rulegrad_chain_case(1_000_000), 1_000_000, settings)
    assert row.status == "failed" and row.detail.startswith("killed at")
    assert "resident memory (cap" in row.detail


def test_the_report_goes_into_the_docs_page_and_renders_again_from_the_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(WORKLOADS, "toy", _workload(TOY[:3]))
    results, page = tmp_path / "toy.json", tmp_path / "page.md"
    page.write_text(f"# Words kept\n\n{BEGIN}\nan old report\n{END}\n\nMore words.\n")
    assert (
        command.main(["--smoke", "--only", "toy", "--json", str(results), "--page", str(page)]) == 0
    )
    printed = capsys.readouterr().out
    text = page.read_text()
    assert text.startswith(f"# Words kept\n\n{BEGIN}\n\n") and text.endswith(
        f"{END}\n\nMore words.\n"
    )
    assert report_in(text) == printed and "an old report" not in text
    assert "| right label |" in printed
    # The saved run gives the same report, without running anything.
    page.write_text(with_report(text, "stale"))
    assert command.main(["--render", str(results), "--page", str(page)]) == 0
    assert capsys.readouterr().out == printed == report_in(page.read_text())
    assert markdown_from_json(json.loads(results.read_text())) == printed


def test_the_summary_of_the_targets_goes_into_a_page_with_its_markers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A page with the summary's markers (the README) gets the summary, the docs page the
    report, from one run and again from its JSON; the rest of each page is kept."""
    monkeypatch.setitem(WORKLOADS, "toy", _workload(TOY[:3]))
    results, docs, readme = tmp_path / "toy.json", tmp_path / "page.md", tmp_path / "README.md"
    docs.write_text(f"# Docs\n\n{BEGIN}\nold\n{END}\n")
    readme.write_text(f"# Readme\n\n## Speed\n\n{SUMMARY_BEGIN}\nold\n{SUMMARY_END}\n\nEnd.\n")
    argv = ["--smoke", "--only", "toy", "--json", str(results)]
    assert command.main([*argv, "--page", str(docs), "--page", str(readme)]) == 0
    printed = capsys.readouterr().out
    document = json.loads(results.read_text())
    text = readme.read_text()
    assert summary_in(text) == summary_from_json(document) and "old" not in text
    assert text.startswith(f"# Readme\n\n## Speed\n\n{SUMMARY_BEGIN}\n\nMeasured ")
    assert text.endswith(f"{SUMMARY_END}\n\nEnd.\n") and BEGIN not in text
    assert report_in(docs.read_text()) == printed and SUMMARY_BEGIN not in docs.read_text()
    assert "measured no targets" in summary_in(text)  # a smoke run measures none
    readme.write_text(text.replace(summary_in(text).strip(), "stale"))
    assert command.main(["--render", str(results), "--page", str(readme)]) == 0
    assert readme.read_text() == text
    # A half pair is refused, naming the markers it needs.
    readme.write_text(f"# Readme\n\n{SUMMARY_BEGIN}\n")
    assert command.main(["--render", str(results), "--page", str(readme)]) == 2
    assert SUMMARY_END in capsys.readouterr().err


def test_the_summary_is_the_targets_table_with_misses_in_bold() -> None:
    info = {"date": "2026-11-30T12:00:00+00:00", "cpu": "a CPU", "cpus": 2, "python": "3.12"}
    targets: list[dict[str, Any]] = [
        {"name": "fast", "goal": "≤ 2x", "value": 1.5, "met": True, "measured": "1.50x"},
        {"name": "slow", "goal": "≤ 1x", "value": 1.2, "met": False, "measured": "1.20x"},
        {"name": "absent", "goal": "< 1 s", "value": None, "met": None, "measured": "-"},
    ]
    text = summary(info, targets)
    assert text.startswith("Measured 2026-11-30 on a CPU (2 CPUs), 3.12")
    assert "| fast | ≤ 2x | 1.50x | yes |" in text and "| slow | ≤ 1x | 1.20x | **no** |" in text
    assert "absent" not in text and "1 more need workloads this run left out." in text


def test_a_page_without_markers_is_refused_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(WORKLOADS, "toy", _workload(TOY[:3]))
    page = tmp_path / "page.md"
    page.write_text("# No markers\n")
    assert command.main(["--smoke", "--only", "toy", "--page", str(page)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "needs the lines" in err and page.read_text() == "# No markers\n"
    (tmp_path / "not.json").write_text("{}")
    assert command.main(["--render", str(tmp_path / "not.json")]) == 2
    assert "cannot read results from" in capsys.readouterr().err
