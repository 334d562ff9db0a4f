"""Running a case in a fresh subprocess, under a timeout and a cap on resident memory.

The parent watches the child's resident memory (Linux `/proc`) and kills it past the cap,
so a peer that would eat the machine is reported as failing instead. The child is this
module run as a script: it rebuilds the workload's cases, runs the one asked for, and prints
its row as one JSON line.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.core import Case, Row, Workload
from benchmarks.harness import Settings, memory_status, run_case
from benchmarks.report import row_from_json, row_to_json

__all__ = ["main", "run_isolated"]

_MARK = "BENCHMARK-ROW "
_ROOT = Path(__file__).resolve().parent.parent


def run_isolated(workload: Workload, case: Case, size: int, settings: Settings) -> Row:
    """Run `case` in a child process and return its row, or a failed row saying why not."""
    spec = {
        "workload": workload.name,
        "case": case.id,
        "size": size,
        "settings": dataclasses.asdict(settings),
    }
    # After the caller's own path, so the child imports the same rulegrad as the parent.
    path = [p for p in (os.environ.get("PYTHONPATH"), str(_ROOT)) if p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    command = [sys.executable, "-m", "benchmarks.isolation", json.dumps(spec)]
    failed = Row(workload.name, case.id, case.label, size, "failed")
    start = time.monotonic()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as child:
        while True:
            try:
                out, err = child.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                rss = memory_status("VmRSS", child.pid)
                if time.monotonic() - start > settings.timeout_s:
                    failed.detail = f"did not finish within the {settings.timeout_s:g} s timeout"
                elif rss is not None and rss > settings.memory_limit:
                    failed.detail = (
                        f"killed at {rss / 2**30:.1f} GiB resident memory "
                        f"(cap {settings.memory_limit / 2**30:g} GiB)"
                    )
                else:
                    continue
                child.kill()
                child.communicate()
                return failed
    rows = [line[len(_MARK) :] for line in out.splitlines() if line.startswith(_MARK)]
    if child.returncode == 0 and rows:
        return row_from_json(json.loads(rows[-1]))
    last = (err.strip().splitlines() or ["no output"])[-1]
    how = f"signal {-child.returncode}" if child.returncode < 0 else f"status {child.returncode}"
    failed.detail = f"worker exited with {how}: {last}"[:200]
    return failed


def main(argv: list[str]) -> int:
    """The child's side: run one case of one workload and print its row."""
    from benchmarks.workloads import WORKLOADS

    spec = json.loads(argv[0])
    workload = WORKLOADS[spec["workload"]]
    size = int(spec["size"])
    case = next(c for c in workload.cases(size) if c.id == spec["case"])
    settings = Settings(**spec["settings"])
    stdout, sys.stdout = sys.stdout, sys.stderr  # whatever a peer prints stays off our line
    row = run_case(workload, case, size, settings, fresh_process=True)
    stdout.write(_MARK + json.dumps(row_to_json(row)) + "\n")
    stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
