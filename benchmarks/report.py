"""Results as JSON and as markdown tables: medians, ratios to the floor and to micrograd."""

from __future__ import annotations

import datetime
import importlib.metadata
import math
import os
import platform
import statistics
from collections.abc import Sequence
from typing import Any

from benchmarks.core import Output, Row, Workload

__all__ = [
    "from_json",
    "machine",
    "median",
    "quartiles",
    "ratio",
    "row_from_json",
    "row_to_json",
    "to_json",
]

PACKAGES = ("rulegrad", "micrograd", "autograd", "torch", "jax", "jaxlib", "numpy")


def machine() -> dict[str, Any]:
    """Where and when: CPU, cores, memory, OS, Python, load, package versions, date."""
    info: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "packages": {name: _version(name) for name in PACKAGES},
    }
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def median(row: Row) -> float | None:
    """The row's median time in seconds, if it ran and was timed."""
    return (
        statistics.median(row.times_s) if row.times_s and row.status in ("ok", "mismatch") else None
    )


def quartiles(row: Row) -> tuple[float | None, float | None]:
    """The first and third quartiles of the row's times (both the time, for one call)."""
    if median(row) is None:
        return None, None
    if len(row.times_s) == 1:
        return row.times_s[0], row.times_s[0]
    q1, _, q3 = statistics.quantiles(row.times_s, n=4, method="inclusive")
    return q1, q3


def ratio(row: Row, rows: Sequence[Row], case: str) -> float | None:
    """The row's median over that of `case` at the same size (None if either did not run)."""
    base = next((median(r) for r in rows if r.case == case and r.size == row.size), None)
    mine = median(row)
    return mine / base if mine is not None and base else None


def row_to_json(row: Row, rows: Sequence[Row] = ()) -> dict[str, Any]:
    """Everything about a row, plus its median, quartiles and ratios."""
    q1, q3 = quartiles(row)
    return {
        "workload": row.workload,
        "case": row.case,
        "label": row.label,
        "size": row.size,
        "status": row.status,
        "detail": row.detail,
        "median_s": median(row),
        "q1_s": q1,
        "q3_s": q3,
        "times_s": row.times_s,
        "compile_s": row.compile_s,
        "ratio_to_floats": ratio(row, rows, "floats"),
        "ratio_to_micrograd": ratio(row, rows, "micrograd"),
        "metrics": row.metrics,
        "max_error": row.max_error,
        "value": None if row.output is None else row.output.value,
        "derivative": None if row.output is None else list(row.output.derivative),
    }


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def row_from_json(data: dict[str, Any]) -> Row:
    """The inverse of `row_to_json` (the worker's row, read back by the parent)."""
    output = None
    if data.get("derivative") is not None:  # `to_json` leaves derivatives out
        output = Output(data["value"], tuple(data["derivative"]))
    return Row(
        data["workload"],
        data["case"],
        data["label"],
        data["size"],
        data["status"],
        data["detail"],
        data["times_s"],
        data["compile_s"],
        data["metrics"],
        output,
        data["max_error"],
    )


def to_json(
    info: dict[str, Any],
    settings: dict[str, Any],
    results: Sequence[tuple[Workload, list[Row]]],
    targets: list[dict[str, Any]],
    problems: list[str],
) -> dict[str, Any]:
    """The whole run as one JSON document (derivatives left out: they are long)."""
    workloads = []
    for workload, rows in results:
        entries = [row_to_json(row, rows) for row in rows]
        for entry in entries:
            del entry["derivative"]
            # JSON has no NaN or infinity; a row with one is a mismatch that says so.
            entry["value"] = _finite(entry["value"])
        workloads.append(
            {
                "name": workload.name,
                "title": workload.title,
                "note": workload.note,
                "kind": workload.kind,
                "isolate": workload.isolate,
                "rows": entries,
            }
        )
    return {
        "machine": info,
        "settings": settings,
        "ok": not problems,
        "problems": problems,
        "workloads": workloads,
        "targets": targets,
    }


def from_json(document: dict[str, Any]) -> list[tuple[Workload, list[Row]]]:
    """The workloads and rows of a document `to_json` wrote: enough to make its report again.

    The workloads carry their name, title, note, kind and isolation only (no cases): a
    saved run is read, never rerun.
    """
    results = []
    for entry in document["workloads"]:
        workload = Workload(
            name=entry["name"],
            title=entry["title"],
            note=entry["note"],
            cases=lambda size: [],
            sizes=(),
            smoke_sizes=(),
            kind=entry["kind"],
            isolate=entry.get("isolate", False),
        )
        results.append((workload, [row_from_json(row) for row in entry["rows"]]))
    return results
