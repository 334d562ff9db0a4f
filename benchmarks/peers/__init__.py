"""The libraries under test, one module each, and the vectorized references."""

from benchmarks.peers.autograd_peer import AUTOGRAD
from benchmarks.peers.base import (
    Peer,
    derivative_cases,
    gradient_cases,
    hessian_cases,
    jvp_cases,
)
from benchmarks.peers.floats import FLOATS
from benchmarks.peers.floor import FLOOR
from benchmarks.peers.jax_peer import JAX, JAX_JET, JAX_JIT
from benchmarks.peers.micrograd_peer import MICROGRAD
from benchmarks.peers.rulegrad_peer import (
    RULEGRAD,
    RULEGRAD_COMPILE,
    RULEGRAD_DERIVATIVE,
    RULEGRAD_FORWARD,
    RULEGRAD_TAYLOR,
)
from benchmarks.peers.torch_peer import TORCH

__all__ = [
    "AUTOGRAD",
    "FLOATS",
    "FLOOR",
    "JAX",
    "JAX_JET",
    "JAX_JIT",
    "MICROGRAD",
    "RULEGRAD",
    "RULEGRAD_COMPILE",
    "RULEGRAD_DERIVATIVE",
    "RULEGRAD_FORWARD",
    "RULEGRAD_TAYLOR",
    "TORCH",
    "Peer",
    "derivative_cases",
    "gradient_cases",
    "hessian_cases",
    "jvp_cases",
]
