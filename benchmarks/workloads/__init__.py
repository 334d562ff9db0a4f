"""The workloads, in the order the suite runs and reports them."""

from benchmarks.core import Workload
from benchmarks.workloads import (
    batched,
    batched_dask,
    chain,
    compile_size,
    mlp,
    rosenbrock,
    scaling,
    taylor,
    wide,
)

__all__ = ["WORKLOADS"]

WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        mlp.STEP,
        mlp.MEMORY,
        chain.DEEP,
        chain.HUGE,
        wide.GRADIENT,
        wide.JVP,
        rosenbrock.HESSIAN,
        scaling.SCALING,
        taylor.TAYLOR,
        compile_size.COMPILE_SIZE,
        batched.DECAY,
        batched.MLP,
        batched_dask.DASK,
    )
}
