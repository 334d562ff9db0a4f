"""The markdown report: a header saying where and how, one table per workload, the targets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.core import Row, Workload
from benchmarks.report import from_json, median, quartiles, ratio

__all__ = ["markdown", "markdown_from_json", "summary", "summary_from_json"]


def _time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def _bytes(n: float | None) -> str:
    if n is None:
        return ""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


def _times(r: float | None) -> str:
    return "" if r is None else f"{r:.3g}x"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def verdict(row: Row) -> str:
    """The check column: ok with the error seen, or what went wrong, loudly."""
    if row.status == "ok":
        error = "" if row.max_error is None else f" ({row.max_error:.0e})"
        return f"ok{error}" + (f", {row.detail}" if row.detail else "")
    loud = {"mismatch": "**MISMATCH**", "failed": "**failed**"}.get(row.status, row.status)
    return _cell(f"{loud}: {row.detail}")


def _memory_note(row: Row) -> str:
    """The batched workloads' memory: arrays per traced op, or a Dask worker's peak."""
    m = row.metrics
    if "arrays_per_op" in m:
        return f"{m['arrays_per_op']:.2f} chunk arrays/op ({_bytes(m.get('peak_bytes'))} peak)"
    if "worker_peak_growth_bytes" in m:
        return (
            f"worker peak +{_bytes(m['worker_peak_growth_bytes'])} over "
            f"{_bytes(m.get('worker_baseline_rss_bytes'))} at start; data "
            f"{_bytes(m.get('data_bytes'))}"
        )
    return ""


def _time_table(workload: Workload, rows: Sequence[Row]) -> list[str]:
    rss = workload.isolate
    memory = any(_memory_note(row) for row in rows)
    sized = len({row.size for row in rows}) > 1  # the batched workloads: one row per size
    head = "| implementation |" + " points |" * sized
    head += " median | IQR/median | n | x floats | x micrograd | compile |"
    head += " RSS growth |" * rss + " memory |" * memory + " check |"
    lines = [head, "|---" + "|---:" * (6 + sized + rss + memory) + "|---|"]
    for row in rows:
        med, (q1, q3) = median(row), quartiles(row)
        iqr = f"{(q3 - q1) / med:.0%}" if med and q1 is not None and q3 is not None else ""
        cells = [
            _cell(row.label),
            *([f"{row.size:,}"] if sized else []),
            _time(med),
            iqr,
            str(len(row.times_s)) if med else "",
            _times(ratio(row, rows, "floats")),
            _times(ratio(row, rows, "micrograd")),
            _time(row.compile_s),
        ]
        if rss:
            cells.append(_bytes(row.metrics.get("rss_growth_bytes")))
        if memory:
            cells.append(_memory_note(row))
        lines.append("| " + " | ".join([*cells, verdict(row)]) + " |")
    return lines


def _memory_table(rows: Sequence[Row]) -> list[str]:
    lines = [
        "| implementation | nodes | bytes retained | bytes/node | x micrograd | check |",
        "|---|---:|---:|---:|---:|---|",
    ]
    base = next((r.metrics.get("bytes_per_node") for r in rows if r.case == "micrograd"), None)
    for row in rows:
        m = row.metrics
        per = m.get("bytes_per_node")
        nodes = f"{m['nodes']:,.0f}" if "nodes" in m else ""
        vs = _times(per / base) if per is not None and base else ""
        per_text = "" if per is None else f"{per:.0f}"
        cells = [_cell(row.label), nodes, _bytes(m.get("bytes")), per_text, vs, verdict(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


_SCALING_METRICS = (
    ("time", "time", _time),
    ("traced_peak_bytes", "traced peak", _bytes),
    ("rss_growth_bytes", "RSS growth", _bytes),
)


def _per_op(row: Row | None, metric: str) -> float | None:
    if row is None or row.status != "ok":
        return None
    value = median(row) if metric == "time" else row.metrics.get(metric)
    return None if value is None else value / row.size


def _scaling_table(rows: Sequence[Row]) -> list[str]:
    """One line per case and metric, one column per size, and the spread across sizes."""
    sizes = sorted({r.size for r in rows})
    lines = [
        "| implementation | per op | " + " | ".join(f"{s:,}" for s in sizes) + " | max/min |",
        "|---|---" + "|---:" * (len(sizes) + 1) + "|",
    ]
    notes = []
    for case in dict.fromkeys(r.case for r in rows):
        by_size = {r.size: r for r in rows if r.case == case}
        label = _cell(next(iter(by_size.values())).label)
        shown = 0
        for metric, name, show in _SCALING_METRICS:
            values = [_per_op(by_size.get(size), metric) for size in sizes]
            if metric != "time" and all(v is None for v in values):
                continue  # not measured for this case
            cells = [show(v) if v is not None else "-" for v in values]
            known = [v for v in values if v is not None]
            # Under a byte per op, memory does not grow with the graph: a ratio would be noise.
            floor = 0.0 if metric == "time" else 1.0
            grows = len(known) > 1 and min(known) >= floor and min(known) > 0
            spread = _times(max(known) / min(known)) if grows else ""
            first = label if not shown else ""
            lines.append(f"| {first} | {name} | " + " | ".join(cells) + f" | {spread} |")
            shown += 1
        notes += [
            f"- {label} at {size:,} ops: {verdict(row)}"
            for size, row in by_size.items()
            if row.status != "ok"
        ]
    return lines + (["", *notes] if notes else [])


def _orders_table(rows: Sequence[Row]) -> list[str]:
    """One line per case, one column per order: the median time of the case at that order.

    A case with a compile time (JAX's first call at each order) gets a second line for it.
    Orders a case did not run at are a dash, and each reason is given once, below.
    """
    orders = sorted({r.size for r in rows})
    lines = [
        "| implementation | | " + " | ".join(str(k) for k in orders) + " |",
        "|---|---" + "|---:" * len(orders) + "|",
    ]
    notes = []
    for case in dict.fromkeys(r.case for r in rows):
        by_order = {r.size: r for r in rows if r.case == case}
        label = _cell(next(iter(by_order.values())).label)
        times = [_time(median(by_order[k])) if k in by_order else "" for k in orders]
        lines.append(f"| {label} | time | " + " | ".join(t or "-" for t in times) + " |")
        compiles = [by_order[k].compile_s if k in by_order else None for k in orders]
        if any(c is not None for c in compiles):
            cells = [_time(c) or "-" for c in compiles]
            lines.append("| | first call | " + " | ".join(cells) + " |")
        reasons: dict[str, list[int]] = {}
        for k, row in sorted(by_order.items()):
            if row.status != "ok":
                reasons.setdefault(verdict(row), []).append(k)
        notes += [f"- {label}, order {_span(ks)}: {reason}" for reason, ks in reasons.items()]
    return lines + (["", *notes] if notes else [])


def _span(orders: list[int]) -> str:
    return str(orders[0]) if len(orders) == 1 else f"{orders[0]} to {orders[-1]}"


def _targets_table(targets: Sequence[dict[str, Any]]) -> list[str]:
    """The measured targets as a table, and how many this run could not measure."""
    measured = [t for t in targets if t["met"] is not None]
    lines = ["| target | goal | measured | met |", "|---|---|---|---|"]
    for t in measured:
        met = "yes" if t["met"] else "**no**"
        lines.append(f"| {t['name']} | {t['goal']} | {_cell(t['measured'])} | {met} |")
    if len(measured) < len(targets):
        lines += ["", f"{len(targets) - len(measured)} more need workloads this run left out."]
    return lines


def summary(info: dict[str, Any], targets: Sequence[dict[str, Any]]) -> str:
    """The targets of a run and where it ran: what the README shows of the report."""
    when = info["date"].split("T")[0]
    lines = [
        f"Measured {when} on {info['cpu']} ({info['cpus']} CPUs), {info['python']}: medians, "
        "and ratios between cases of that one run.",
        "",
    ]
    if any(t["met"] is not None for t in targets):
        lines += _targets_table(targets)
    else:
        lines.append("This run measured no targets (a smoke run, or its workloads left them out).")
    return "\n".join(lines) + "\n"


def markdown(
    info: dict[str, Any],
    settings: dict[str, Any],
    results: Sequence[tuple[Workload, list[Row]]],
    targets: Sequence[dict[str, Any]],
    problems: Sequence[str],
) -> str:
    """The report in markdown: what the command prints, and the docs' benchmarks page shows."""
    versions = ", ".join(f"{name} {v or 'not installed'}" for name, v in info["packages"].items())
    load = info["load_average"]
    how = (
        "Smoke run: one call per case, correctness only; the times mean nothing."
        if settings["smoke"]
        else f"Median of up to {settings['repeat']} timed calls after one warm-up call, fewer "
        f"once a case's calls add up to {settings['budget_s']:g} s (n says how many). Garbage "
        "collection on while timing, `gc.collect()` between calls, untimed. Timeout for a "
        f"case in its own process {settings['timeout_s']:g} s, memory cap "
        f"{settings['memory_limit'] / 2**30:g} GiB."
    )
    lines = [
        f"Taken {info['date']} on {info['cpu']} ({info['cpus']} CPUs), {info['platform']}, "
        f"{info['python']}" + (f"; load average {load[0]:.2f} at the start." if load else "."),
        "",
        f"Versions: {versions}.",
        "",
        how,
    ]
    for workload, rows in results:
        lines += ["", f"### {workload.name}: {workload.title}", "", workload.note, ""]
        if workload.kind == "memory":
            lines += _memory_table(rows)
        elif workload.kind == "scaling":
            lines += _scaling_table(rows)
        elif workload.kind == "orders":
            lines += _orders_table(rows)
        else:
            lines += _time_table(workload, rows)
    if any(t["met"] is not None for t in targets):
        lines += ["", "### Targets", "", *_targets_table(targets)]
    if problems:
        lines += ["", "**Problems** (the command exits non-zero):", ""]
        lines += [f"- {_cell(p)}" for p in problems]
    return "\n".join(lines) + "\n"


def summary_from_json(document: dict[str, Any]) -> str:
    """The summary of a run saved with `--json`, as that run wrote it into a page."""
    return summary(document["machine"], document["targets"])


def markdown_from_json(document: dict[str, Any]) -> str:
    """The report of a run saved with `--json`, exactly as that run printed it."""
    return markdown(
        document["machine"],
        document["settings"],
        from_json(document),
        document["targets"],
        document["problems"],
    )
