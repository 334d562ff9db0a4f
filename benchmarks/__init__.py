"""rulegrad's benchmark suite: `python -m benchmarks --help`.

Workloads (`benchmarks.workloads`) are written once over each peer's numbers; peers
(`benchmarks.peers`) say how each library differentiates them; the runner times every case,
checks every case's numbers against one reference, and reports both.
"""

__all__: list[str] = []
