"""Running workloads: every case, in process or isolated, then the correctness check."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TextIO

from benchmarks.check import check_rows
from benchmarks.core import Row, Workload
from benchmarks.harness import Settings, run_case
from benchmarks.isolation import run_isolated
from benchmarks.report import median

__all__ = ["problems", "run_workload"]


def run_workload(
    workload: Workload, settings: Settings, log: TextIO, peers: Sequence[str] = ()
) -> list[Row]:
    """Every case of `workload` at each of its sizes, checked; `peers` filters by case id."""
    rows: list[Row] = []
    for size in workload.smoke_sizes if settings.smoke else workload.sizes:
        sized: list[Row] = []
        for case in workload.cases(size):
            if peers and case.id not in peers:
                continue
            # Smoke sizes are too small to hang or to need a clean heap.
            isolate = (workload.isolate or case.isolate) and not settings.smoke
            start = time.perf_counter()
            if isolate:
                row = run_isolated(workload, case, size, settings)
            else:
                row = run_case(workload, case, size, settings)
            med = median(row)
            timed = f", median {med:.4g} s of {len(row.times_s)}" if med is not None else ""
            wall = time.perf_counter() - start
            log.write(
                f"[{workload.name} {size:,}] {case.label}: {row.status}{timed} ({wall:.1f} s)\n"
            )
            log.flush()
            sized.append(row)
        check_rows(sized, workload.reference(size) if workload.reference else None)
        rows += sized
    return rows


def problems(rows: Sequence[Row]) -> list[str]:
    """What makes the run fail: wrong numbers anywhere, or rulegrad itself not running."""
    found = []
    for row in rows:
        where = f"{row.workload} {row.size:,}, {row.label}"
        if row.status == "mismatch":
            found.append(f"{where}: {row.detail}")
        elif row.case.startswith("rulegrad") and row.status == "failed":
            found.append(f"{where} failed: {row.detail}")
    return found
