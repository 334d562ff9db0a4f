"""Correctness, checked in the same run: every case's numbers against one reference.

The reference is the workload's closed form where it has one, else the rulegrad `Value`
row. Values are compared relative to their size; a derivative (gradient, tangent or Hessian)
relative to its largest entry, so entries that are nearly zero do not make noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from benchmarks.core import Output, Row

__all__ = ["RTOL", "check_rows", "relative_error"]

RTOL = 1e-8  # float64 throughout; summation order and libm differences stay far below this


def relative_error(got: Output, expected: Output) -> float | str:
    """The largest relative difference (NaN if any), or a sentence if the shapes differ."""
    errors = []
    if got.value is not None and expected.value is not None:
        errors.append(abs(got.value - expected.value) / max(abs(expected.value), 1e-300))
    if got.derivative:
        if len(got.derivative) != len(expected.derivative):
            return f"{len(got.derivative)} derivative entries, expected {len(expected.derivative)}"
        scale = max((abs(e) for e in expected.derivative), default=0.0) or 1.0
        pairs = zip(got.derivative, expected.derivative, strict=True)
        errors += [abs(g - e) / scale for g, e in pairs]
    # max() would skip a NaN that is not first, since every comparison with NaN is false.
    return math.nan if any(map(math.isnan, errors)) else max(errors, default=0.0)


def check_rows(rows: Sequence[Row], reference: Output | None) -> None:
    """Mark every row that ran but disagrees with the reference as a mismatch."""
    source = "the closed form"
    if reference is None:
        source = "rulegrad Value"
        reference = next(
            (r.output for r in rows if r.case == "rulegrad" and r.status == "ok"), None
        )
    for row in rows:
        if row.status != "ok" or row.output is None:
            continue
        if reference is None:
            row.detail = "unchecked: no reference ran"
            continue
        error = relative_error(row.output, reference)
        if isinstance(error, str):
            row.status, row.detail = "mismatch", f"{error} ({source})"
        elif not error <= RTOL:  # NaN counts as a mismatch
            row.max_error = error if math.isfinite(error) else None
            row.status = "mismatch"
            row.detail = f"differs from {source}: relative error {error:.1e} > {RTOL:.0e}"
        else:
            row.max_error = error
