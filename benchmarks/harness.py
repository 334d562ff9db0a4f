"""Running one case: warm-up, timed repeats, memory, and turning failures into rows.

Timing uses `time.perf_counter` around one call of the case's `run`. The cyclic garbage
collector stays enabled while timing, as in user code (micrograd's closures make every node
a reference cycle, and collecting them is part of its cost); `gc.collect()` runs between
calls, untimed, so one call's garbage is not charged to the next. In the suite's own
process, which has loaded every peer, `gc.freeze()` before the first call keeps the objects of
those libraries out of the collector's way; a case run in a fresh process of its own (the
large and the scaling workloads) runs as a user's program does, with nothing frozen.
"""

from __future__ import annotations

import gc
import importlib.util
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.core import Case, NotApplicableError, NotInstalledError, Output, Row, Workload

__all__ = ["Settings", "describe_error", "measure", "memory_status", "reset_peak_rss", "run_case"]


@dataclass(frozen=True)
class Settings:
    """How hard to measure: the command-line options."""

    smoke: bool = False
    repeat: int = 5
    budget_s: float = 30.0  # stop repeating once a row's timed calls add up to this
    timeout_s: float = 180.0  # for an isolated case, set-up and every call included
    memory_limit: int = 6 << 30  # bytes of RSS an isolated case may use before it is killed

    def plan(self, workload: Workload) -> tuple[int, int]:
        """(warm-up calls, timed calls) for a case of `workload`."""
        if self.smoke:
            return 0, 1
        repeat = (
            self.repeat if workload.max_repeat is None else min(self.repeat, workload.max_repeat)
        )
        return workload.warmup, max(1, repeat)


def measure(
    run: Callable[[], Output], warmup: int, repeat: int, budget_s: float, *, freeze: bool = True
) -> tuple[Output, list[float]]:
    """The last call's output and the times of up to `repeat` calls after `warmup` ones.

    The last output is the one checked, so state leaking from one call into the next (a
    gradient that was never reset) shows up as a mismatch.
    """
    gc.collect()
    if freeze:
        # What is alive now (the libraries, the prepared case) is left out of every
        # collection from here on, so a collection during a timed call costs what it would
        # in a process that had loaded only this one library, not every peer.
        gc.freeze()
    try:
        outputs: list[Output] = []
        for _ in range(warmup):
            gc.collect()
            outputs.append(run())
        times: list[float] = []
        while not times or (len(times) < repeat and sum(times) < budget_s):
            gc.collect()
            start = time.perf_counter()
            output = run()
            times.append(time.perf_counter() - start)
            outputs.append(output)
        gc.collect()
    finally:
        if freeze:
            gc.unfreeze()  # the caller's process as it was: the next case freezes its own
    return outputs[-1], times


def traced_peak(run: Callable[[], Output]) -> int:
    """Bytes of Python memory at the peak of one call, above what was live before it."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def memory_status(field: str, pid: int | str = "self") -> int | None:
    """A memory field of a process (VmRSS: resident now, VmHWM: resident at most), in bytes.

    Linux only (None elsewhere). `getrusage`'s maxrss is no substitute: a child started by
    a big parent inherits the parent's peak.
    """
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def reset_peak_rss() -> bool:
    """Restart VmHWM from the current resident memory (Linux); False where that is impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def describe_error(error: BaseException) -> str:
    """One line naming the exception and its message, cut to a readable length."""
    text = " ".join(str(error).split())
    line = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return line if len(line) <= 160 else line[:157] + "..."


def run_case(
    workload: Workload, case: Case, size: int, settings: Settings, *, fresh_process: bool = False
) -> Row:
    """Run `case` here and now; never raises for a failing peer, it reports it instead.

    In a `fresh_process` (a worker), the row also gets the resident-memory growth of the
    calls, which is meaningless in a process that has run other cases before.
    """
    row = Row(workload.name, case.id, case.label, size, "ok")
    if settings.smoke and case.smoke_skip:
        row.status, row.detail = "skipped", f"not in the smoke run: {case.smoke_skip}"
        return row
    missing = [name for name in case.requires if importlib.util.find_spec(name) is None]
    if missing:
        row.status, row.detail = "skipped", f"not installed: {', '.join(missing)}"
        return row
    warmup, repeat = settings.plan(workload)
    try:
        prepared = case.prepare()
        row.compile_s, row.metrics = prepared.compile_s, dict(prepared.metrics)
        peak_known = fresh_process and reset_peak_rss()
        rss_before = memory_status("VmRSS")
        row.output, row.times_s = measure(
            prepared.run, warmup, repeat, settings.budget_s, freeze=not fresh_process
        )
        rss_peak = memory_status("VmHWM")
        if peak_known and rss_before is not None and rss_peak is not None:
            row.metrics["rss_growth_bytes"] = rss_peak - rss_before
        if workload.kind == "scaling" and case.pure_python:
            row.metrics["traced_peak_bytes"] = traced_peak(prepared.run)
    except NotInstalledError as reason:
        row.status, row.detail = "skipped", str(reason)
    except NotApplicableError as reason:
        row.status, row.detail = "n/a", str(reason)
    except Exception as error:  # RecursionError and MemoryError included: reported, not raised
        row.status, row.detail = "failed", describe_error(error)
    finally:
        gc.collect()
    return row
